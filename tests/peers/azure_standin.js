#!/usr/bin/env node
// A stand-in for Azure Monitor's Logs Ingestion API, Microsoft Entra ID's
// token endpoint and the VM's managed-identity endpoint (IMDS), in one
// process, for sluice's tests.
//
// No Azure service is reachable from the test machines, so this server was
// written from Microsoft's documentation: "Logs Ingestion API in Azure
// Monitor" (URI, headers, JSON array body, 204), the service limits (1 MB per
// call compressed or not, 64 KB per field, Retry-After on 429), the API's
// OpenAPI description (azure-rest-api-specs, ingestion 2023-01-01: error
// body {"error":{"code","message"}} with x-ms-error-code), the 403 and 413
// bodies quoted in the SDKs' troubleshooting guides and issue reports, and
// the Entra ID / IMDS pages named in azure_entra.js (see also
// ../../shared/protocols.md section 6). It is not Azure. check_azure.js
// points Microsoft's own clients at it: @azure/identity (client secret,
// certificate, workload identity, managed identity) and
// @azure/monitor-ingestion's LogsIngestionClient.
//
// Endpoints (127.0.0.1:<port>, HTTP; also HTTPS on the same port with
// --tls-cert/--tls-key):
//   POST /{tenant}/oauth2/v2.0/token   client_credentials with client_secret,
//        a certificate assertion (RS256 or PS256, x5t or x5t#S256 naming a
//        --client-cert, aud = this URL, iss = sub = client id, jti, nbf/exp
//        within --max-skew) or a federated token (workload identity: one of
//        --federated-token / the content of --federated-token-file); scope
//        <resource>/.default (one or two slashes) of monitor.azure.com,
//        management.azure.com or graph.microsoft.com. Answers {"token_type":
//        "Bearer","expires_in","ext_expires_in","access_token"} or Entra's
//        error body (AADSTS7000215 wrong secret, 700027 unknown certificate or
//        bad signature, 700024 expired assertion, 700211 unknown federated
//        token, 700016 unknown client, 90002 unknown tenant, ...).
//   GET /{tenant}/v2.0/.well-known/openid-configuration   what MSAL reads first.
//   GET /metadata/identity/oauth2/token?api-version&resource[&client_id|
//        object_id|msi_res_id|mi_res_id]   needs "Metadata: true" (else 400
//        bad_request_102); the system-assigned identity unless
//        --no-system-identity, user-assigned ones from --managed-identity
//        (else 400 "Identity not found"). expires_in etc. are strings.
//   POST /dataCollectionRules/{dcr}/streams/{stream}?api-version=2023-01-01
//        (or 2021-11-01-preview)   "Authorization: Bearer <token>" this
//        process issued for https://monitor.azure.com, unexpired and not
//        revoked (else 401 InvalidToken / TokenExpired); a --dcr and a
//        --stream (else 404); a principal not in --no-role (else 403
//        OperationFailed); body at most 1,048,576 bytes as sent and after
//        gzip (else 413 ContentLengthLimitExceeded), a JSON array of objects
//        (else 400). 204 and every record stored, string fields cut to 64 KB.
//
// Usage:
//   node azure_standin.js --port P [--log FILE] [--store FILE] [--control FILE]
//        [--tenant ID] [--client-id ID] [--client-secret S]... [--client-cert PEM]...
//        [--federated-token T]... [--federated-token-file FILE]
//        [--managed-identity CLIENT_ID[,OBJECT_ID[,RESOURCE_ID]]]... [--no-system-identity]
//        [--dcr ID]... [--stream NAME]... [--no-role PRINCIPAL]...
//        [--token-ttl 3599] [--max-skew 300] [--accept-audience URL]...
//        [--tls-cert PEM --tls-key PEM]
// Defaults: tenant aaaabbbb-0000-cccc-1111-dddd2222eeee, client id
// 00001111-aaaa-2222-bbbb-3333cccc4444 (Microsoft's placeholder ids), dcr
// dcr-00000000000000000000000000000000, stream Custom-MyTable. A principal
// is the app's client id, "system" or a user-assigned identity's client id.
// --accept-audience adds assertion audiences besides the URL the token
// request came to. --port 0 picks a free port; "listening <port>" is printed
// once connections are accepted. SIGTERM exits 0.
//
// --control FILE: {"faults": [F, ...]}, re-read whenever it changes, each F
// applied to the next F.count (default 1) requests to F.on ("ingest", the
// default, checked after authentication, the DCR and the role; "token";
// "imds"; "openid"):
//   {"type":"status","status":429,"retry_after":1}  the service's error body
//        for that status (ingest: 401 InvalidToken also revokes the presented
//        token unless "revoke":false, 403 OperationFailed, 413, 429, 500,
//        503; token: Entra's body; imds: IMDS's); optional "message", "body"
//        (answer this JSON instead), "retry_after" (sets Retry-After)
//   {"type":"drop"}              read the request, close without answering
//   {"type":"drop_after_store"}  (ingest) store, then close without answering
//   {"type":"slow","delay":3}    handle normally, answer delay s later
//
// --log FILE, one JSON line per request:
//   {"req":n,"endpoint":"token","tenant","status","grant":"client_secret"|
//    "client_certificate"|"workload_identity"|null,"client_id","scope","alg",
//    "x5t","x5t_s256","error":null|"invalid_client",
//    "error_codes":null|[7000215],"token_n":k|null,"fault"}
//   {"req":n,"endpoint":"openid","tenant","status","fault"}
//   {"req":n,"endpoint":"imds","status","metadata":bool,"resource",
//    "identity":"system"|"<client id>"|null,"id_param":null|"client_id"|...,
//    "cached":bool,"error","token_n","fault"}
//   {"req":n,"endpoint":"ingest","status","dcr","stream","api_version",
//    "token_n","principal","grant","gzip":bool,"body_bytes":sent,"bytes":
//    decoded,"records":N,"truncated":[field,...],"error":null|{"code",
//    "message"},"fault"}   (status 0: dropped by a fault)
//   {"req":n,"endpoint":"unknown","method","path","status":404}
// No line holds a secret, an assertion or a token.
// --store FILE, one JSON line per stored record:
//   {"req":n,"dcr","stream","index":i,"record":{...as sent, strings cut to 64 KB}}
'use strict';

const fs = require('fs');
const { parseArgs, JsonLines, FaultQueue, BodyTooLarge, readBody, decodeBody, dropConnection, serve, sleep } =
  require('./standin_common');
const entra = require('./azure_entra');

const kMaxCallBytes = 1024 * 1024;  // "Maximum size of API call: 1 MB", compressed and not
const kMaxFieldBytes = 64 * 1024;
const kApiVersions = ['2023-01-01', '2021-11-01-preview'];

const args = parseArgs(process.argv.slice(2), {
  known: ['port', 'log', 'store', 'control', 'tenant', 'client-id', 'client-secret', 'client-cert', 'federated-token',
    'federated-token-file', 'managed-identity', 'dcr', 'stream', 'no-role', 'token-ttl', 'max-skew', 'accept-audience',
    'tls-cert', 'tls-key'],
  booleans: ['no-system-identity'],
  repeated: ['client-secret', 'client-cert', 'federated-token', 'managed-identity', 'dcr', 'stream', 'no-role', 'accept-audience'],
});
if (args.port === undefined) throw new Error('--port is required (0 picks one)');
if (!args['tls-cert'] !== !args['tls-key']) throw new Error('--tls-cert and --tls-key go together');

const log = new JsonLines(args.log);
const store = new JsonLines(args.store);
const faults = new FaultQueue(args.control);
const tokens = new entra.TokenStore();
const tenant = args.tenant || 'aaaabbbb-0000-cccc-1111-dddd2222eeee';
const app = {
  clientId: args['client-id'] || '00001111-aaaa-2222-bbbb-3333cccc4444',
  secrets: args['client-secret'],
  certificates: args['client-cert'].map(entra.loadCertificate),
};
const dcrs = args.dcr.length ? args.dcr : ['dcr-00000000000000000000000000000000'];
const streams = args.stream.length ? args.stream : ['Custom-MyTable'];
const ttlS = Number(args['token-ttl'] || 3599);
const skewS = Number(args['max-skew'] || 300);
const identities = new Map();  // any id of a managed identity -> its principal
if (!args['no-system-identity']) identities.set('system', 'system');
for (const spec of args['managed-identity']) {
  const [clientId, ...others] = spec.split(',');
  for (const id of [clientId, ...others]) identities.set(id, clientId);
}
const imdsCache = new Map();
let requests = 0;

function federatedTokens() {
  const out = args['federated-token'].slice();
  if (args['federated-token-file'] && fs.existsSync(args['federated-token-file'])) {
    out.push(fs.readFileSync(args['federated-token-file'], 'utf8').trim());
  }
  return out;
}

function send(res, status, body, headers = {}) {
  if (status === 204) {
    res.writeHead(204, headers);
    return res.end();
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, Object.assign({ 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) }, headers));
  res.end(text);
}

function retryAfter(fault) {
  return fault.retry_after !== undefined ? { 'Retry-After': String(fault.retry_after) } : {};
}

// Answers a status/drop fault (not slow); returns true when it did.
function answerFault(req, res, entry, fault, defaultAnswer) {
  if (!fault || fault.type === 'slow') return false;
  if (fault.type === 'drop') {
    entry.status = 0;
    log.write(entry);
    dropConnection(req);
    return true;
  }
  const status = fault.status || 500;
  const [body, headers] = fault.body !== undefined ? [fault.body, {}] : defaultAnswer(status, fault.message);
  entry.status = status;
  log.write(entry);
  send(res, status, body, Object.assign(headers, retryAfter(fault)));
  return true;
}

function formOf(raw, type) {
  try {
    return type === 'application/json' ? JSON.parse(raw.toString('utf8')) : Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
  } catch (e) {
    return {};
  }
}

function baseUrl(req) {
  return `${req.socket.encrypted ? 'https' : 'http'}://${req.headers.host || '127.0.0.1'}`;
}

// ---- Entra ID --------------------------------------------------------------
async function handleToken(req, res, entry, tenantAsked) {
  const raw = await readBody(req, 1024 * 1024);
  const form = formOf(raw, (req.headers['content-type'] || '').split(';')[0].trim());
  const fault = faults.next((f) => f.on === 'token');
  entry.fault = fault ? fault.type : null;
  if (answerFault(req, res, entry, fault, (status, message) => {
    const [error, code] = status === 429 ? ['temporarily_unavailable', 90055] : status >= 500 ? ['temporarily_unavailable', 90006] : ['invalid_client', 50000];
    return [entra.entraError(status, error, code, message || 'scripted failure (stand-in)').body, {}];
  })) return;
  const tokenUrl = `${baseUrl(req)}/${tenantAsked}/oauth2/v2.0/token`;
  const result = await entra.clientCredentialsGrant(form, {
    app, tenant, tenantAsked, tokenUrl, audiences: [tokenUrl, ...args['accept-audience']], tokens, ttlS, skewS,
    now: Date.now(), nowS: Math.floor(Date.now() / 1000), federatedTokens,
  });
  Object.assign(entry, {
    status: result.status, grant: result.grant, client_id: result.clientId, scope: result.scope, alg: result.alg, x5t: result.x5t,
    x5t_s256: result.x5tS256, error: result.body.error || null, error_codes: result.body.error_codes || null, token_n: result.info ? result.info.n : null,
  });
  log.write(entry);
  if (fault) await sleep(Number(fault.delay ?? 3));
  send(res, result.status, result.body, { 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' });
}

async function handleOpenid(req, res, entry, tenantAsked) {
  await readBody(req, 64 * 1024);
  const fault = faults.next((f) => f.on === 'openid');
  entry.fault = fault ? fault.type : null;
  if (answerFault(req, res, entry, fault, (status, message) => [{ error: 'temporarily_unavailable', error_description: message || 'scripted failure (stand-in)' }, {}])) return;
  if (tenantAsked !== tenant) {
    entry.status = 400;
    log.write(entry);
    return send(res, 400, { error: 'invalid_tenant', error_description: entra.entraError(400, '', 90002, `Tenant '${tenantAsked}' not found.`).body.error_description });
  }
  entry.status = 200;
  log.write(entry);
  if (fault) await sleep(Number(fault.delay ?? 3));
  send(res, 200, entra.openidConfiguration(baseUrl(req), tenant));
}

async function handleImds(req, res, entry, url) {
  await readBody(req, 64 * 1024);
  Object.assign(entry, { metadata: req.headers.metadata === 'true', resource: url.searchParams.get('resource') });
  const fault = faults.next((f) => f.on === 'imds');
  entry.fault = fault ? fault.type : null;
  if (answerFault(req, res, entry, fault, (status, message) => [{ error: status >= 500 ? 'unknown' : 'invalid_request',
    error_description: message || 'scripted failure (stand-in)' }, {}])) return;
  const result = await entra.imdsToken(url.searchParams, req.headers, { tenant, identities, tokens, ttlS, now: Date.now(), cache: imdsCache });
  Object.assign(entry, { status: result.status, identity: result.identity, id_param: result.idParam, cached: result.cached,
    error: result.body.error || null, token_n: result.info ? result.info.n : null });
  log.write(entry);
  if (fault) await sleep(Number(fault.delay ?? 3));
  send(res, result.status, result.body);
}

// ---- Logs Ingestion --------------------------------------------------------
function azureError(code, message) {
  return { error: { code, message } };
}

const kIngestDefaults = {
  401: ['InvalidToken', 'The provided access token is not valid (scripted, stand-in).'],
  403: ['OperationFailed', null],
  404: ['NotFound', 'The requested resource was not found (stand-in).'],
  413: ['ContentLengthLimitExceeded', `Maximum allowed content length: ${kMaxCallBytes} bytes (1 MB). Provided content length: 0 bytes.`],
  429: ['TooManyRequests', 'Rate limit of the data collection rule exceeded; retry after the duration in Retry-After (stand-in).'],
  500: ['InternalServerError', 'An internal error occurred (stand-in).'],
  503: ['ServiceUnavailable', 'The service is temporarily unavailable (stand-in).'],
};

function forbidden(dcr, principal) {
  return `The authentication token provided does not have access to ingest data for the data collection rule with immutable Id ` +
    `'${dcr}' PipelineAccessResult: AccessGranted: False, IsRbacPresent: False, IsDcrDceBindingValid: , DcrArmId: /subscriptions/` +
    `00000000-0000-0000-0000-000000000000/resourceGroups/standin/providers/Microsoft.Insights/dataCollectionRules/standin, Message: ` +
    `Required authorization action was not found for tenantId ${tenant} objectId ${principal} on resourceId ${dcr} ConfigurationId: ${dcr}..`;
}

function authenticate(req, now) {
  const header = req.headers.authorization || '';
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) return { problem: [401, 'InvalidToken', 'The request has no Authorization: Bearer header (stand-in).'] };
  const info = tokens.lookup(m[1]);
  if (!info) return { problem: [401, 'InvalidToken', 'The provided access token was not issued by this tenant (stand-in).'] };
  if (info.revoked) return { info, token: m[1], problem: [401, 'InvalidToken', 'The provided access token has been revoked (stand-in).'] };
  if (info.audience !== entra.kMonitorAudience) {
    return { info, token: m[1], problem: [401, 'InvalidToken', `The access token audience '${info.audience}' is not ${entra.kMonitorAudience} (stand-in).`] };
  }
  if (info.expiresAt <= now) {
    return { info, token: m[1], problem: [401, 'TokenExpired', `The access token expired at ${new Date(info.expiresAt).toISOString()} (stand-in).`] };
  }
  return { info, token: m[1] };
}

// Cuts string fields to 64 KB of UTF-8 as the service does; returns the
// names of the cut fields.
function truncateFields(record) {
  const cut = [];
  for (const [k, v] of Object.entries(record)) {
    if (typeof v !== 'string' || Buffer.byteLength(v) <= kMaxFieldBytes) continue;
    record[k] = Buffer.from(v).subarray(0, kMaxFieldBytes).toString('utf8').replace(/\uFFFD$/, '');
    cut.push(k);
  }
  return cut;
}

async function handleIngest(req, res, entry, url, dcr, stream) {
  let raw = null;
  let tooLarge = false;
  try {
    raw = await readBody(req, kMaxCallBytes);
  } catch (e) {
    if (!(e instanceof BodyTooLarge)) throw e;
    tooLarge = true;
  }
  const apiVersion = url.searchParams.get('api-version');
  Object.assign(entry, { status: 0, dcr, stream, api_version: apiVersion, token_n: null, principal: null, grant: null,
    gzip: /gzip/i.test(req.headers['content-encoding'] || ''), body_bytes: raw ? raw.length : null, bytes: null, records: 0,
    truncated: [], error: null, fault: null });
  const headers = req.headers['x-ms-client-request-id'] ? { 'x-ms-client-request-id': req.headers['x-ms-client-request-id'] } : {};
  const fail = (status, code, message, extra = {}) => {
    entry.status = status;
    entry.error = { code, message };
    log.write(entry);
    send(res, status, azureError(code, message), Object.assign({ 'x-ms-error-code': code }, headers, extra));
  };
  if (!apiVersion) return fail(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests (stand-in).');
  if (!kApiVersions.includes(apiVersion)) return fail(400, 'InvalidApiVersion', `The api-version '${apiVersion}' is not supported; use one of ${kApiVersions.join(', ')} (stand-in).`);
  const who = authenticate(req, Date.now());
  if (who.info) Object.assign(entry, { token_n: who.info.n, principal: who.info.principal, grant: who.info.grant });
  if (who.problem) {
    const [status, code, message] = who.problem;
    return fail(status, code, message, { 'WWW-Authenticate': `Bearer authorization_uri="https://login.microsoftonline.com/${tenant}", error="invalid_token"` });
  }
  if (!dcrs.includes(dcr)) return fail(404, 'NotFound', `Data collection rule with immutable Id '${dcr}' not found (stand-in).`);
  if (!streams.includes(stream)) return fail(404, 'NotFound', `Stream '${stream}' is not declared in data collection rule '${dcr}' (stand-in).`);
  if (args['no-role'].includes(who.info.principal)) return fail(403, 'OperationFailed', forbidden(dcr, who.info.principal));

  const fault = faults.next((f) => (f.on || 'ingest') === 'ingest');
  entry.fault = fault ? fault.type : null;
  if (fault && fault.type === 'drop') {
    log.write(entry);
    return dropConnection(req);
  }
  if (fault && fault.type === 'status') {
    const status = fault.status || 500;
    if (status === 401 && fault.revoke !== false) tokens.revoke(who.token);
    const [code, message] = kIngestDefaults[status] || ['Error', 'Scripted failure (stand-in).'];
    if (fault.body !== undefined) {
      entry.status = status;
      log.write(entry);
      return send(res, status, fault.body, Object.assign({}, headers, retryAfter(fault)));
    }
    return fail(status, code, fault.message || message || forbidden(dcr, who.info.principal), retryAfter(fault));
  }

  const tooBig = (n) => `Maximum allowed content length: ${kMaxCallBytes} bytes (1 MB). Provided content length: ${n} bytes.`;
  if (tooLarge) return fail(413, 'ContentLengthLimitExceeded', tooBig(Number(req.headers['content-length']) || kMaxCallBytes + 1));
  let records;
  try {
    const decoded = decodeBody(raw, req.headers['content-encoding'], kMaxCallBytes + 1);
    entry.bytes = decoded.length;
    if (decoded.length > kMaxCallBytes) return fail(413, 'ContentLengthLimitExceeded', tooBig(decoded.length));
    records = JSON.parse(decoded.toString('utf8'));
  } catch (e) {
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) return fail(413, 'ContentLengthLimitExceeded', tooBig(kMaxCallBytes + 1));
    return fail(400, 'InvalidRequest', `The request body is not valid: ${e.message} (stand-in wording; the service answers 400 "malformed JSON").`);
  }
  if (!Array.isArray(records)) return fail(400, 'InvalidRequest', 'The request body must be a JSON array of objects (stand-in).');
  const bad = records.findIndex((r) => !r || typeof r !== 'object' || Array.isArray(r));
  if (bad >= 0) return fail(400, 'InvalidRequest', `Item ${bad} of the request body is not a JSON object (stand-in).`);

  entry.records = records.length;
  entry.status = 204;
  records.forEach((record, index) => {
    for (const field of truncateFields(record)) entry.truncated.push(field);
    store.write({ req: entry.req, dcr, stream, index, record });
  });
  log.write(entry);
  if (fault && fault.type === 'drop_after_store') return dropConnection(req);
  if (fault && fault.type === 'slow') await sleep(Number(fault.delay ?? 3));
  send(res, 204, null, headers);
}

async function handle(req, res) {
  const n = ++requests;
  const url = new URL(req.url, 'http://127.0.0.1');
  const path = url.pathname;
  let m;
  if (req.method === 'POST' && (m = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path))) {
    return handleToken(req, res, { req: n, endpoint: 'token', tenant: decodeURIComponent(m[1]) }, decodeURIComponent(m[1]));
  }
  if (req.method === 'GET' && (m = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path))) {
    return handleOpenid(req, res, { req: n, endpoint: 'openid', tenant: decodeURIComponent(m[1]) }, decodeURIComponent(m[1]));
  }
  // MSAL asks for .../token/ (AZURE_POD_IDENTITY_AUTHORITY_HOST + path, normalised with a slash).
  if (req.method === 'GET' && /^\/metadata\/identity\/oauth2\/token\/?$/.test(path)) return handleImds(req, res, { req: n, endpoint: 'imds' }, url);
  if (req.method === 'POST' && (m = /^\/dataCollectionRules\/([^/]+)\/streams\/([^/]+)$/.exec(path))) {
    return handleIngest(req, res, { req: n, endpoint: 'ingest' }, url, decodeURIComponent(m[1]), decodeURIComponent(m[2]));
  }
  await readBody(req, 64 * 1024 * 1024).catch(() => null);
  log.write({ req: n, endpoint: 'unknown', method: req.method, path, status: 404 });
  send(res, 404, azureError('NotFound', `No such endpoint: ${req.method} ${path} (stand-in).`));
}

const tls = args['tls-cert'] ? { cert: fs.readFileSync(args['tls-cert']), key: fs.readFileSync(args['tls-key']) } : undefined;
serve((req, res) => {
  handle(req, res).catch((e) => {
    process.stderr.write(`azure_standin: ${e.stack}\n`);
    if (!res.headersSent) send(res, 500, azureError('InternalServerError', 'stand-in failure'));
  });
}, args.port, null, { tls });
