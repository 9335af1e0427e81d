#!/usr/bin/env node
// A stand-in for Google Cloud Logging, its OAuth2 token endpoint and the
// GCE/GKE metadata server, in one process, for sluice's end-to-end tests.
//
// No Google service is reachable from the test machines, so this server was
// written from Google's references (Cloud Logging API v2 entries.write,
// LogEntry, WriteLogEntriesPartialErrors, quotas and limits; "Using OAuth 2.0
// for Server to Server Applications" (JWT bearer grant, RFC 7523); the
// Compute Engine metadata server docs; the google.rpc error model) and the
// answers Google is seen giving in client-library issue reports (see
// ../../shared/protocols.md section 5); it is not Google. It is checked
// against google-auth-library, gtoken and @google-cloud/logging by
// check_standins.js. Rules and messages: google_auth.js, google_entries.js.
//
// Endpoints (all on 127.0.0.1:<port>):
//   POST /token   form (or JSON) grant_type=urn:ietf:params:oauth:grant-type:
//        jwt-bearer&assertion=<RS256 JWT>; the JWT must be signed by the
//        service account's key (kid, if present, = private_key_id), iss =
//        client_email, aud = one of the accepted audiences (the key file's
//        token_uri, http://127.0.0.1:<port>/token, each --accept-audience),
//        exp - iat <= 3600 with iat/exp within --max-skew of now, scope
//        non-empty. Answers {"access_token","expires_in","token_type":"Bearer"}
//        or Google's 400 invalid_grant / invalid_scope / unsupported_grant_type.
//   GET /computeMetadata/v1/...   needs "Metadata-Flavor: Google" (else 403),
//        refuses X-Forwarded-For; answers with "Metadata-Flavor: Google":
//        instance/service-accounts/default/token[?scopes=a,b] (cached like the
//        real server: the same token until it has less than min(300 s, ttl/2)
//        left), .../default/email, .../default/scopes, instance/id, zone,
//        hostname, name, project/project-id, project/numeric-project-id.
//   POST /v2/entries:write   needs "Authorization: Bearer <token>": a token
//        this process issued, not expired or revoked, with a logging.write,
//        logging.admin or cloud-platform scope, or a self-signed JWT of the
//        account (aud https://logging.googleapis.com/). Else 401
//        UNAUTHENTICATED (WWW-Authenticate) or 403 insufficient scopes.
//        Body JSON, gzip allowed (Fluent Bit's stackdriver output sends
//        Content-Encoding: gzip), at most 10 MB after decoding; rules in
//        google_entries.js; answers 200 {} or Google's error JSON.
//
// Usage:
//   node google_standin.js --port P [--log FILE] [--store FILE] [--control FILE]
//        (--key-file SA.json | --generate-key-file OUT.json |
//         --public-key PEM --client-email EMAIL)
//        [--project ID]... [--project-number N] [--accept-audience URI]...
//        [--token-ttl 3599] [--max-skew 300] [--retention-days 30] [--strict]
//        [--zone us-central1-a] [--metadata-email E] [--metadata-scopes S,S]
//        [--fast]
// --port 0 picks a free port; "listening <port>" is printed once connections
// are accepted (after --generate-key-file has written a fresh service-account
// key file whose token_uri is http://127.0.0.1:<port>/token). --project
// (repeatable; default the key's project_id, else "standin-project") names
// the projects the account may write to (others: PERMISSION_DENIED). --strict
// turns the warnings (no insertId, trace not projects/<id>/traces/<32 hex>,
// spanId not 16 hex, no payload, unknown resource label) into per-entry
// INVALID_ARGUMENT. --fast answers entries:write 200 {} without any check or
// store (benchmarks); tokens and metadata keep working. SIGTERM exits 0.
//
// --control FILE: {"faults": [F, ...]}, re-read whenever it changes, each F
// applied to the next F.count (default 1) requests to F.on ("write", the
// default, after authentication; "token"; "metadata"), in order:
//   {"type":"status","status":429}  Google's error for that status (429
//        RESOURCE_EXHAUSTED without Retry-After, 500 INTERNAL, 503 UNAVAILABLE,
//        403 PERMISSION_DENIED, 401 UNAUTHENTICATED which also revokes the
//        presented token unless "revoke":false, ...); optional "message",
//        "retry_after" (sets Retry-After), "body" (answer this JSON instead)
//   {"type":"drop"}             read the request, close without answering
//   {"type":"drop_after_store"} (write) store, then close without answering
//   {"type":"slow","delay":3}   handle normally but wait delay s before answering
// Per entry: jsonPayload.standin_fail = "<gRPC code>" (or a textPayload with
// "standin_fail=<code>") fails that entry with the code; "<code>x<N>" fails it
// the first N times it arrives.
//
// --log FILE, JSON lines:
//   {"req":n,"endpoint":"token","status":200,"iss","aud","scope","kid",
//    "error":null|"invalid_grant","error_description","token_n":k,"fault"}
//   {"req":n,"endpoint":"metadata","path":"/computeMetadata/v1/...","status",
//    "token_n":k|null,"fault"}
//   {"req":n,"endpoint":"write","status":200,"token_n":k|null,
//    "auth":"token"|"self-signed-jwt"|null,"gzip":bool,"body_bytes":raw,
//    "bytes":decoded,"entries":N,"partial_success":bool,"dry_run":bool,
//    "error":null|{"code","status","message"},"fault":null|"<type>"}
//    (status 0: dropped by a fault; --fast lines: req/endpoint/body_bytes/status/fast)
//   then per entry {"req":n,"entry":i,"logName","insertId","timestamp",
//    "result":"stored"|"duplicate"|"outside_retention"|"error"|"not_written",
//    "code"?,"message"?,"warnings":[...]}
// --store FILE, one JSON line per stored (deduplicated) entry: the entry as
// Cloud Logging keeps it, top-level logName/resource/labels merged in:
//   {"req":n,"logName","resource","timestamp" (RFC 3339 UTC),"receiveTimestamp",
//    "severity","insertId","labels"?,"textPayload"|"jsonPayload"|"protoPayload",
//    "trace"?,"spanId"?,"traceSampled"?,"httpRequest"?,"sourceLocation"?,"operation"?}
'use strict';

const fs = require('fs');
const { parseArgs, JsonLines, FaultQueue, BodyTooLarge, readBody, decodeBody, dropConnection, serve, sleep } =
  require('./standin_common');
const auth = require('./google_auth');
const { EntriesService, ParseError } = require('./google_entries');

const kMaxRequestBytes = 10 * 1024 * 1024;
const kMaxRawBytes = 64 * 1024 * 1024;
const kStatusName = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED', 499: 'CANCELLED', 500: 'INTERNAL', 501: 'NOT_IMPLEMENTED', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED' };
const kGrpcToHttp = { 2: 500, 3: 400, 4: 504, 5: 404, 7: 403, 8: 429, 9: 400, 10: 409, 13: 500, 14: 503, 16: 401 };
const kDefaultMessage = {
  400: 'Request contains an invalid argument.',
  401: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid ' +
    'authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
  403: "Permission 'logging.logEntries.create' denied on resource (or it may not exist).",
  404: 'Requested entity was not found.',
  500: 'Internal error encountered.',
  503: 'The service is currently unavailable.',
  504: 'The request timed out.',
};
const kMissingCredential = 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie ' +
  'or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.';
const kMethodInfo = { service: 'logging.googleapis.com', method: 'google.logging.v2.LoggingServiceV2.WriteLogEntries' };

const args = parseArgs(process.argv.slice(2), {
  known: ['port', 'log', 'store', 'control', 'key-file', 'generate-key-file', 'public-key', 'client-email', 'project',
    'project-number', 'accept-audience', 'token-ttl', 'max-skew', 'retention-days', 'zone', 'metadata-email', 'metadata-scopes'],
  booleans: ['strict', 'fast'],
  repeated: ['project', 'accept-audience'],
});
if (args.port === undefined) throw new Error('--port is required (0 picks one)');

const log = new JsonLines(args.log);
const store = new JsonLines(args.store);
const faults = new FaultQueue(args.control);
const tokens = new auth.TokenStore();
let account = auth.loadAccount({ keyFile: args['key-file'], publicKeyFile: args['public-key'], clientEmail: args['client-email'] });
const projects = args.project.length ? args.project : [account?.projectId || 'standin-project'];
const projectNumber = args['project-number'] || '123456789012';
const tokenTtl = Number(args['token-ttl'] || 3599);
const skewS = Number(args['max-skew'] || 300);
const zone = args.zone || 'us-central1-a';
const metadataEmail = () => args['metadata-email'] || account?.clientEmail || `${projectNumber}-compute@developer.gserviceaccount.com`;
const metadataScopes = (args['metadata-scopes'] || 'https://www.googleapis.com/auth/cloud-platform').split(',');
const entries = new EntriesService({ projects, retentionDays: Number(args['retention-days'] || 30), strict: !!args.strict });
let audiences = [];
const metadataTokens = new Map(); // scopes -> token info
let requests = 0;

function send(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, Object.assign({ 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': Buffer.byteLength(text) }, headers));
  res.end(text);
}

function googleError(code, message, details) {
  const error = { code, message, status: kStatusName[code] || 'UNKNOWN' };
  if (details) error.details = details;
  return { error };
}

function errorInfo(reason, domain = 'googleapis.com', metadata = kMethodInfo) {
  return { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain, metadata };
}

async function answerFault(req, res, fault, defaultAnswer) {
  if (fault.type === 'drop') return dropConnection(req);
  const headers = fault.retry_after !== undefined ? { 'Retry-After': String(fault.retry_after) } : {};
  if (fault.type === 'status') {
    const [status, body, extra] = fault.body !== undefined ? [fault.status || 500, fault.body, {}] : defaultAnswer(fault.status || 500, fault.message);
    return send(res, status, body, Object.assign(extra, headers));
  }
  return null;
}

// ---- POST /token ---------------------------------------------------------
async function handleToken(req, res, entry) {
  const raw = await readBody(req, 1024 * 1024);
  const type = (req.headers['content-type'] || '').split(';')[0].trim();
  let form = {};
  try {
    form = type === 'application/json' ? JSON.parse(raw.toString('utf8')) : Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
  } catch (e) {
    form = {};
  }
  const fault = faults.next((f) => f.on === 'token');
  entry.fault = fault ? fault.type : null;
  if (fault && fault.type !== 'slow') {
    entry.status = fault.type === 'drop' ? 0 : fault.status || 500;
    log.write(entry);
    return answerFault(req, res, fault, (status, message) => [status, {
      error: status >= 500 ? 'internal_failure' : 'invalid_grant', error_description: message || 'scripted failure (stand-in)' }, {}]);
  }
  const result = await auth.exchangeJwt(form, { account, audiences, skewS, ttlS: tokenTtl, tokens, now: Date.now() });
  Object.assign(entry, {
    status: result.status, iss: result.claims?.iss ?? null, aud: result.claims?.aud ?? null, scope: result.claims?.scope ?? null,
    error: result.body.error ?? null, error_description: result.body.error_description ?? null, token_n: result.info?.n ?? null,
  });
  log.write(entry);
  if (fault) await sleep(Number(fault.delay ?? 3));
  send(res, result.status, result.body, { 'Cache-Control': 'no-cache, no-store, max-age=0, must-revalidate', Pragma: 'no-cache' });
}

// ---- GET /computeMetadata/v1/... -----------------------------------------
function metadataToken(scopes) {
  const key = scopes.join(' ');
  const now = Date.now();
  let info = metadataTokens.get(key);
  if (!info || info.expiresAt - now < Math.min(300, tokenTtl / 2) * 1000) {
    info = tokens.issue(metadataEmail(), scopes, tokenTtl, 'metadata', now);
    metadataTokens.set(key, info);
  }
  return info;
}

function metadataValue(path, query) {
  const sa = /^instance\/service-accounts\/([^/]+)\/(token|email|scopes|identity)?$/.exec(path);
  if (sa && (sa[1] === 'default' || sa[1] === metadataEmail())) {
    if (sa[2] === 'token') {
      const scopes = query.get('scopes') ? query.get('scopes').split(',') : metadataScopes;
      const info = metadataToken(scopes);
      return { json: { access_token: info.token, expires_in: Math.max(0, Math.floor((info.expiresAt - Date.now()) / 1000)), token_type: 'Bearer' }, info };
    }
    if (sa[2] === 'email') return { text: metadataEmail() };
    if (sa[2] === 'scopes') return { text: metadataScopes.join('\n') + '\n' };
    if (sa[2] === undefined) return { text: 'aliases\nemail\nidentity\nscopes\ntoken\n' };
    return null;
  }
  const values = {
    '': 'instance/\nproject/\n',
    'project/': 'numeric-project-id\nproject-id\n',
    'project/project-id': projects[0],
    'project/numeric-project-id': projectNumber,
    'instance/': 'hostname\nid\nname\nservice-accounts/\nzone\n',
    'instance/id': '4520031799277581759',
    'instance/name': 'sluice-standin',
    'instance/hostname': `sluice-standin.${zone}.c.${projects[0]}.internal`,
    'instance/zone': `projects/${projectNumber}/zones/${zone}`,
    'instance/service-accounts/': `default/\n${metadataEmail()}/\n`,
  };
  if (path in values) return { text: values[path] };
  return `${path}/` in values ? { text: values[`${path}/`] } : null; // a directory asked for without its slash

}

async function handleMetadata(req, res, entry, url) {
  await readBody(req, 64 * 1024);
  const path = url.pathname.slice('/computeMetadata/v1/'.length);
  const flavor = req.headers['metadata-flavor'] === 'Google' || req.headers['x-google-metadata-request'] === 'True';
  const headers = { 'Metadata-Flavor': 'Google', Server: 'Metadata Server for VM' };
  const html = (status, text) => {
    entry.status = status;
    log.write(entry);
    send(res, status, `<!DOCTYPE html>\n<html lang=en><title>Error ${status}</title><p>${text}</p></html>\n`,
      Object.assign({ 'Content-Type': 'text/html; charset=UTF-8' }, headers));
  };
  if (req.method !== 'GET') return html(405, 'Method not allowed.');
  if (req.headers['x-forwarded-for']) return html(403, 'Request had an X-Forwarded-For header and is refused.');
  if (!flavor) {
    return html(403, `Your client does not have permission to get URL <code>${url.pathname}</code> from this server. Missing Metadata-Flavor:Google header.`);
  }
  const fault = faults.next((f) => f.on === 'metadata');
  entry.fault = fault ? fault.type : null;
  if (fault && fault.type !== 'slow') {
    entry.status = fault.type === 'drop' ? 0 : fault.status || 503;
    log.write(entry);
    return answerFault(req, res, fault, (status, message) => [status, message || 'scripted failure (stand-in)', { 'Content-Type': 'text/plain', ...headers }]);
  }
  const value = metadataValue(path, url.searchParams);
  if (!value) return html(404, `The requested URL <code>${url.pathname}</code> was not found on this server.`);
  entry.status = 200;
  entry.token_n = value.info?.n ?? null;
  log.write(entry);
  if (fault) await sleep(Number(fault.delay ?? 3));
  if (value.json) send(res, 200, value.json, Object.assign({ 'Content-Type': 'application/json' }, headers));
  else send(res, 200, value.text, Object.assign({ 'Content-Type': 'application/text' }, headers));
}

// ---- POST /v2/entries:write ----------------------------------------------
async function authenticate(req, now) {
  const header = req.headers.authorization;
  const m = header && /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) return { problem: [401, googleError(401, kMissingCredential, [errorInfo('CREDENTIALS_MISSING')])] };
  const info = tokens.lookup(m[1]) || (await auth.selfSignedJwtInfo(m[1], account, now, skewS));
  if (!info || info.revoked) return { token: m[1], info, problem: [401, googleError(401, kDefaultMessage[401], [errorInfo('ACCESS_TOKEN_TYPE_UNSUPPORTED')])] };
  if (info.expiresAt <= now) return { token: m[1], info, problem: [401, googleError(401, kDefaultMessage[401], [errorInfo('ACCESS_TOKEN_EXPIRED')])] };
  if (!auth.canWrite(info)) {
    return { token: m[1], info, problem: [403, googleError(403, 'Request had insufficient authentication scopes.', [errorInfo('ACCESS_TOKEN_SCOPE_INSUFFICIENT')])] };
  }
  return { token: m[1], info, problem: null };
}

const kUnauthenticatedHeaders = { 'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' };

function faultAnswer(status, message) {
  const details = {
    401: [errorInfo('ACCESS_TOKEN_EXPIRED')],
    403: [errorInfo('IAM_PERMISSION_DENIED', 'iam.googleapis.com', { permission: 'logging.logEntries.create' })],
    429: [errorInfo('RATE_LIMIT_EXCEEDED', 'googleapis.com', Object.assign({ quota_metric: 'logging.googleapis.com/write_requests',
      quota_limit: 'WriteRequestsPerMinutePerProject', consumer: `projects/${projectNumber}` }, kMethodInfo))],
  }[status];
  const text = message || kDefaultMessage[status] || (status === 429
    ? `Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute' of service 'logging.googleapis.com' for consumer 'project_number:${projectNumber}'.`
    : `scripted failure (stand-in)`);
  return [status, googleError(status, text, details), status === 401 ? Object.assign({}, kUnauthenticatedHeaders) : {}];
}

function writeAnswer(outcome) {
  const failed = outcome.results.map((r, i) => [i, r]).filter(([, r]) => r.result === 'error');
  if (!failed.length) return [200, {}];
  const [, first] = failed[0];
  const status = kGrpcToHttp[first.code] || 500;
  const logEntryErrors = Object.fromEntries(failed.map(([i, r]) => [String(i), { code: r.code, message: r.message }]));
  const details = [{ '@type': 'type.googleapis.com/google.logging.v2.WriteLogEntriesPartialErrors', logEntryErrors }];
  if (first.code === 7) details.unshift(errorInfo('IAM_PERMISSION_DENIED', 'iam.googleapis.com', { permission: 'logging.logEntries.create' }));
  return [status, googleError(status, first.message, details)];
}

async function handleWrite(req, res, entry, n) {
  let raw;
  try {
    raw = await readBody(req, kMaxRawBytes);
  } catch (e) {
    if (!(e instanceof BodyTooLarge)) throw e;
    entry.status = 400;
    log.write(entry);
    return send(res, 400, googleError(400, `Request payload size exceeds the limit: ${kMaxRequestBytes} bytes.`));
  }
  entry.body_bytes = raw.length;
  if (args.fast) {
    Object.assign(entry, { status: 200, fast: true });
    log.write(entry);
    return send(res, 200, {});
  }
  const now = Date.now();
  Object.assign(entry, { status: 0, token_n: null, auth: null, gzip: /gzip/i.test(req.headers['content-encoding'] || ''), bytes: null,
    entries: 0, partial_success: false, dry_run: false, error: null, fault: null });
  const fail = (status, body, headers) => {
    entry.status = status;
    entry.error = body.error ? { code: body.error.code, status: body.error.status, message: body.error.message } : null;
    log.write(entry);
    send(res, status, body, headers);
  };
  const who = await authenticate(req, now);
  entry.token_n = who.info?.n ?? null;
  entry.auth = who.info?.source === 'self-signed-jwt' ? 'self-signed-jwt' : who.info ? 'token' : null;
  if (who.problem) return fail(who.problem[0], who.problem[1], who.problem[0] === 401 ? kUnauthenticatedHeaders : {});

  const fault = faults.next((f) => (f.on || 'write') === 'write');
  entry.fault = fault ? fault.type : null;
  if (fault && fault.type === 'drop') {
    log.write(entry);
    return dropConnection(req);
  }
  if (fault && fault.type === 'status') {
    if ((fault.status || 500) === 401 && fault.revoke !== false) tokens.revoke(who.token);
    const [status, body, headers] = fault.body !== undefined ? [fault.status || 500, fault.body, {}] : faultAnswer(fault.status || 500, fault.message);
    if (fault.retry_after !== undefined) headers['Retry-After'] = String(fault.retry_after);
    return fail(status, body, headers);
  }

  let body;
  try {
    const decoded = decodeBody(raw, req.headers['content-encoding'], kMaxRequestBytes + 1);
    entry.bytes = decoded.length;
    if (decoded.length > kMaxRequestBytes) return fail(400, googleError(400, `Request payload size exceeds the limit: ${kMaxRequestBytes} bytes.`));
    const type = (req.headers['content-type'] || 'application/json').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') throw new ParseError(`Content-Type must be application/json, not ${type} (stand-in)`, '');
    try {
      body = JSON.parse(decoded.toString('utf8'));
    } catch (e) {
      throw new ParseError(`Invalid JSON payload received. ${e.message}`, '');
    }
  } catch (e) {
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) return fail(400, googleError(400, `Request payload size exceeds the limit: ${kMaxRequestBytes} bytes.`));
    const message = e instanceof ParseError ? e.message : `Invalid request body: ${e.message} (stand-in)`;
    return fail(400, googleError(400, message, [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: e.field || '', description: message }] }]));
  }

  let outcome;
  try {
    outcome = entries.write(body, now);
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    return fail(400, googleError(400, e.message, [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: e.field || '', description: e.message }] }]));
  }
  Object.assign(entry, { entries: outcome.results.length, partial_success: outcome.request.partialSuccess, dry_run: outcome.request.dryRun });
  const [status, answerBody] = writeAnswer(outcome);
  entry.status = status;
  entry.error = answerBody.error ? { code: answerBody.error.code, status: answerBody.error.status, message: answerBody.error.message } : null;
  log.write(entry);
  outcome.results.forEach((r, i) => {
    const e = r.entry;
    const line = { req: n, entry: i, logName: e.logName ?? null, insertId: e.insertId ?? null, timestamp: r.stored?.timestamp ?? e.timestamp ?? null, result: r.result };
    if (r.result === 'error') Object.assign(line, { code: r.code, message: r.message });
    line.warnings = r.warnings;
    log.write(line);
    if (r.result === 'stored') store.write(Object.assign({ req: n }, r.stored));
  });
  if (fault && fault.type === 'drop_after_store') return dropConnection(req);
  if (fault && fault.type === 'slow') await sleep(Number(fault.delay ?? 3));
  send(res, status, answerBody);
}

async function handle(req, res) {
  const n = ++requests;
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname === '/token' && req.method === 'POST') return handleToken(req, res, { req: n, endpoint: 'token' });
  if (url.pathname.startsWith('/computeMetadata/v1/')) return handleMetadata(req, res, { req: n, endpoint: 'metadata', path: url.pathname }, url);
  if (url.pathname === '/v2/entries:write' && req.method === 'POST') return handleWrite(req, res, { req: n, endpoint: 'write' }, n);
  await readBody(req, kMaxRawBytes).catch(() => null);
  log.write({ req: n, endpoint: 'unknown', method: req.method, path: url.pathname, status: 404 });
  send(res, 404, `<!DOCTYPE html>\n<html lang=en><title>Error 404 (Not Found)</title><p>The requested URL <code>${url.pathname}</code> was not found on this server.</p></html>\n`,
    { 'Content-Type': 'text/html; charset=UTF-8' });
}

serve((req, res) => {
  handle(req, res).catch((e) => {
    process.stderr.write(`google_standin: ${e.stack}\n`);
    if (!res.headersSent) send(res, 500, googleError(500, kDefaultMessage[500]));
  });
}, args.port, (port) => {
  const ownTokenUri = `http://127.0.0.1:${port}/token`;
  if (args['generate-key-file']) {
    const key = auth.generateKeyFile(projects[0], ownTokenUri);
    fs.writeFileSync(args['generate-key-file'], JSON.stringify(key, null, 2) + '\n', { mode: 0o600 });
    account = auth.loadAccount({ keyFile: args['generate-key-file'] });
  }
  audiences = [account?.tokenUri || ownTokenUri, ownTokenUri, ...args['accept-audience']].filter((a, i, all) => a && all.indexOf(a) === i);
});
