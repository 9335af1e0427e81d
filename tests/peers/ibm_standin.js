#!/usr/bin/env node
// A stand-in for IBM Cloud Logs ingestion and the IBM Cloud IAM token
// endpoint, in one process, for sluice's end-to-end tests.
//
// No IBM service is reachable from the test machines, so this server was
// written from IBM's documentation ("Sending logs by using the API" of IBM
// Cloud Logs: the /logs/v1/singles endpoint, its fields and the 2 MB limit;
// "Generating an IBM Cloud IAM token by using an API key": the grant and its
// answer) and the IAM error bodies seen in SDK issue reports (see
// ../../shared/protocols.md section 7b); it is not IBM. IBM documents no
// error bodies for ingestion (the backend is Coralogix's): those and any
// other invented wording are marked "(stand-in)". It is checked against
// ibm-cloud-sdk-core's IamAuthenticator by check_standins.js (check_ibm.js).
// IAM rules and messages: ibm_iam.js.
//
// Endpoints (all on 127.0.0.1:<port>):
//   POST /identity/token   form grant_type=urn:ibm:params:oauth:grant-type:
//        apikey&apikey=<key> (Content-Type application/x-www-form-urlencoded;
//        other form fields, e.g. the SDKs' response_type=cloud_iam, ignored).
//        A key given with --api-key -> 200 {"access_token" (an RS256 JWT with
//        IAM's claims: iam_id, iat, exp = iat + --token-ttl, ...),
//        "refresh_token","token_type":"Bearer","expires_in","expiration"
//        (epoch s),"scope":"ibm openid"}. Else IAM's 400 with {"errorCode",
//        "errorMessage","errorDetails"?,"context":{...}}: BXNIM0415E
//        "Provided API key could not be found." for an unknown key,
//        BXNIM0109E "Property missing or empty." for no grant_type / apikey
//        (or a body that is not a form), BXNIM0103E (stand-in) for another
//        grant type.
//   POST /logs/v1/singles   needs "Authorization: Bearer <token>" this
//        process issued, not expired or revoked (else 401, text
//        "Unauthorized"). Body: a JSON array (Content-Type application/json,
//        gzip allowed), at most 2 MB (2,097,152 bytes) after decoding (else
//        413). Each entry: applicationName, subsystemName (non-empty
//        strings), text (a string or a JSON object) required; severity an
//        integer 1..6 (default 1, Debug); timestamp a number (UTC ms, may
//        have a fraction; default arrival); computerName, category,
//        className, methodName, threadId strings; hiResTimestamp a string of
//        digits (ns). Any malformed entry -> 400 {"error": "<what, which
//        entry> (stand-in)"} and nothing of the request is stored. Unknown
//        fields are kept and logged as warnings. Success: 200, empty body
//        (stand-in).
//
// Usage:
//   node ibm_standin.js --port P [--log FILE] [--store FILE] [--control FILE]
//        --api-key KEY [--api-key KEY2]... [--token-ttl 3600] [--fast]
// --port 0 picks a free port; "listening <port>" is printed once connections
// are accepted. --fast answers /logs/v1/singles 200 without any check or
// store (benchmarks); tokens keep working. SIGTERM exits 0.
//
// --control FILE: {"faults": [F, ...]}, re-read whenever it changes, each F
// applied to the next F.count (default 1) requests to F.on ("ingest", the
// default, after authentication; "token"), in order:
//   {"type":"status","status":429,"retry_after":"2"}  answer that status
//        (ingest: 429 "Too Many Requests", 5xx "Internal Server Error" /
//        "Service Unavailable" ..., 403 "Forbidden: the identity lacks the
//        Sender role (logs.data.send) (stand-in)", 401 "Unauthorized" which
//        also revokes the presented token unless "revoke":false; token: an
//        IAM-shaped error with errorCode "STANDIN-<status>"); optional
//        "message" (the text / errorMessage), "body" (answer this instead:
//        a string as is, anything else as JSON), "retry_after" (Retry-After)
//   {"type":"drop"}             read the request, close without answering
//   {"type":"drop_after_store"} (ingest) store, then close without answering
//   {"type":"slow","delay":3}   handle normally but wait delay s before answering
//
// --log FILE, JSON lines:
//   {"req":n,"endpoint":"token","status":200,"fields":[form field names],
//    "grant_type","apikey_known":bool,
//    "accept":"<Accept header>","user_agent","problem":null|"unknown_apikey"|
//    "missing:apikey"|...,"error_code":null|"BXNIM0415E","token_n":k|null,"fault"}
//   {"req":n,"endpoint":"ingest","status":200,"token_n":k|null,"auth":null|
//    "missing"|"unknown"|"revoked"|"expired" (why a 401),"gzip":bool,
//    "body_bytes":raw,"bytes":decoded,"entries":N,"error":null|"...",
//    "warnings":[...],"fault":null|"<type>"}
//    (status 0: dropped by a fault; --fast lines: req/endpoint/body_bytes/status/fast)
//   {"req":n,"endpoint":"unknown","method","path","status":404}
// --store FILE, one JSON line per stored entry, defaults filled in:
//   {"req":n,"entry":i,"token_n":k,"applicationName","subsystemName",
//    "computerName"?,"severity":1..6,"timestamp":ms,"hiResTimestamp"?,
//    "text":"..."|{...},"category"?,"className"?,"methodName"?,"threadId"?,
//    "other"?:{unknown fields}}
'use strict';

const { parseArgs, JsonLines, FaultQueue, BodyTooLarge, readBody, decodeBody, dropConnection, serve, sleep } =
  require('./standin_common');
const iam = require('./ibm_iam');

const kMaxIngestBytes = 2 * 1024 * 1024;
const kMaxRawBytes = 64 * 1024 * 1024;
const kStatusText = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 413: 'Request Entity Too Large',
  429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };
const kNoSenderRole = 'Forbidden: the identity lacks the Sender role (logs.data.send) (stand-in)';
const kStringFields = ['computerName', 'category', 'className', 'methodName', 'threadId'];
const kKnownFields = new Set(['applicationName', 'subsystemName', 'text', 'severity', 'timestamp', 'hiResTimestamp', ...kStringFields]);

const args = parseArgs(process.argv.slice(2), {
  known: ['port', 'log', 'store', 'control', 'api-key', 'token-ttl'],
  booleans: ['fast'],
  repeated: ['api-key'],
});
if (args.port === undefined) throw new Error('--port is required (0 picks one)');
if (!args['api-key'].length && !args.fast) throw new Error('--api-key is required (the API key IAM knows)');

const log = new JsonLines(args.log);
const store = new JsonLines(args.store);
const faults = new FaultQueue(args.control);
const tokens = new iam.TokenStore();
const tokenTtl = Number(args['token-ttl'] || 3600);
let requests = 0;

function send(res, status, body, headers = {}) {
  const json = body !== undefined && typeof body !== 'string';
  const text = body === undefined ? '' : json ? JSON.stringify(body) : body;
  const type = json ? 'application/json' : 'text/plain; charset=utf-8';
  res.writeHead(status, Object.assign({ 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) }, headers));
  res.end(text);
}

function contentType(req) {
  return (req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
}

// ---- POST /identity/token ------------------------------------------------
async function handleToken(req, res, entry) {
  const started = Date.now();
  const raw = await readBody(req, 1024 * 1024);
  const type = contentType(req);
  const form = type === 'application/x-www-form-urlencoded' ? Object.fromEntries(new URLSearchParams(raw.toString('utf8'))) : {};
  Object.assign(entry, { status: 0, fields: Object.keys(form).sort(), grant_type: form.grant_type ?? null, apikey_known: args['api-key'].includes(form.apikey),
    accept: req.headers.accept ?? null, user_agent: req.headers['user-agent'] ?? null, problem: null, error_code: null, token_n: null, fault: null });
  const fault = faults.next((f) => f.on === 'token');
  entry.fault = fault ? fault.type : null;
  if (fault && fault.type === 'drop') {
    log.write(entry);
    return dropConnection(req);
  }
  if (fault && fault.type === 'status') {
    entry.status = fault.status || 500;
    const body = fault.body !== undefined ? fault.body
      : iam.iamError(req, started, `STANDIN-${entry.status}`, fault.message || 'scripted failure (stand-in)');
    entry.error_code = body.errorCode ?? null;
    log.write(entry);
    return send(res, entry.status, body, fault.retry_after !== undefined ? { 'Retry-After': String(fault.retry_after) } : {});
  }
  const result = iam.grantApiKey(req, form, type, { keys: args['api-key'], tokens, ttlS: tokenTtl, now: Date.now(), started });
  Object.assign(entry, { status: result.status, problem: result.problem, error_code: result.body.errorCode ?? null, token_n: result.info?.n ?? null });
  log.write(entry);
  if (fault && fault.type === 'slow') await sleep(Number(fault.delay ?? 3));
  send(res, result.status, result.body, { 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache' });
}

// ---- POST /logs/v1/singles -----------------------------------------------
class EntryError extends Error {}

// Checks one entry; returns it as stored (defaults filled in) and its warnings.
function readEntry(e, i, now) {
  const where = `entry ${i}`;
  if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new EntryError(`${where} is not a JSON object (stand-in)`);
  for (const name of ['applicationName', 'subsystemName']) {
    if (typeof e[name] !== 'string' || e[name] === '') throw new EntryError(`${where}: ${name} is required and must be a non-empty string (stand-in)`);
  }
  const textOk = typeof e.text === 'string' || (typeof e.text === 'object' && e.text !== null && !Array.isArray(e.text));
  if (!textOk) throw new EntryError(`${where}: text is required and must be a string or a JSON object (stand-in)`);
  if (e.severity !== undefined && !(Number.isInteger(e.severity) && e.severity >= 1 && e.severity <= 6)) {
    throw new EntryError(`${where}: severity must be an integer from 1 to 6, not ${JSON.stringify(e.severity)} (stand-in)`);
  }
  if (e.timestamp !== undefined && !(typeof e.timestamp === 'number' && Number.isFinite(e.timestamp) && e.timestamp >= 0)) {
    throw new EntryError(`${where}: timestamp must be a number of UTC milliseconds (stand-in)`);
  }
  if (e.hiResTimestamp !== undefined && !(typeof e.hiResTimestamp === 'string' && /^\d+$/.test(e.hiResTimestamp))) {
    throw new EntryError(`${where}: hiResTimestamp must be a string of UTC nanoseconds (stand-in)`);
  }
  for (const name of kStringFields) {
    if (e[name] !== undefined && typeof e[name] !== 'string') throw new EntryError(`${where}: ${name} must be a string (stand-in)`);
  }
  const stored = { applicationName: e.applicationName, subsystemName: e.subsystemName };
  if (e.computerName !== undefined) stored.computerName = e.computerName;
  stored.severity = e.severity ?? 1;
  stored.timestamp = e.timestamp ?? now;
  if (e.hiResTimestamp !== undefined) stored.hiResTimestamp = e.hiResTimestamp;
  stored.text = e.text;
  for (const name of kStringFields.slice(1)) if (e[name] !== undefined) stored[name] = e[name];
  const unknown = Object.keys(e).filter((k) => !kKnownFields.has(k));
  if (unknown.length) stored.other = Object.fromEntries(unknown.map((k) => [k, e[k]]));
  return { stored, warnings: unknown.map((k) => `${where}: unknown field ${k}`) };
}

function faultText(status, message) {
  if (message) return message;
  return status === 403 ? kNoSenderRole : kStatusText[status] || 'scripted failure (stand-in)';
}

async function handleIngest(req, res, entry, n) {
  let raw;
  try {
    raw = await readBody(req, kMaxRawBytes);
  } catch (e) {
    if (!(e instanceof BodyTooLarge)) throw e;
    entry.status = 413;
    log.write(entry);
    return send(res, 413, kStatusText[413]);
  }
  entry.body_bytes = raw.length;
  if (args.fast) {
    Object.assign(entry, { status: 200, fast: true });
    log.write(entry);
    return send(res, 200);
  }
  const now = Date.now();
  Object.assign(entry, { status: 0, token_n: null, auth: null, gzip: /gzip/i.test(req.headers['content-encoding'] || ''), bytes: null,
    entries: 0, error: null, warnings: [], fault: null });
  const fail = (status, text, headers = {}) => {
    entry.status = status;
    entry.error = typeof text === 'string' ? text : JSON.stringify(text);
    log.write(entry);
    send(res, status, text, headers);
  };
  const who = iam.checkBearer(req.headers.authorization, tokens, now);
  entry.token_n = who.info?.n ?? null;
  if (who.problem) {
    entry.auth = who.problem;
    return fail(401, kStatusText[401], { 'WWW-Authenticate': 'Bearer' });
  }

  const fault = faults.next((f) => (f.on || 'ingest') === 'ingest');
  entry.fault = fault ? fault.type : null;
  if (fault && fault.type === 'drop') {
    log.write(entry);
    return dropConnection(req);
  }
  if (fault && fault.type === 'status') {
    const status = fault.status || 500;
    if (status === 401 && fault.revoke !== false) tokens.revoke(who.token);
    const headers = fault.retry_after !== undefined ? { 'Retry-After': String(fault.retry_after) } : {};
    return fail(status, fault.body !== undefined ? fault.body : faultText(status, fault.message), headers);
  }

  let entries;
  try {
    const decoded = decodeBody(raw, req.headers['content-encoding'], kMaxIngestBytes + 1);
    entry.bytes = decoded.length;
    if (decoded.length > kMaxIngestBytes) return fail(413, kStatusText[413]);
    const type = contentType(req) || 'application/json';
    if (type !== 'application/json') return fail(400, { error: `Content-Type must be application/json, not ${type} (stand-in)` });
    try {
      entries = JSON.parse(decoded.toString('utf8'));
    } catch (e) {
      return fail(400, { error: `the body is not JSON: ${e.message} (stand-in)` });
    }
  } catch (e) {
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) return fail(413, kStatusText[413]);
    return fail(400, { error: `cannot decode the body: ${e.message} (stand-in)` });
  }
  if (!Array.isArray(entries)) return fail(400, { error: 'the body must be a JSON array of log entries (stand-in)' });
  entry.entries = entries.length;
  const accepted = [];
  try {
    entries.forEach((e, i) => {
      const { stored, warnings } = readEntry(e, i, now);
      accepted.push(stored);
      entry.warnings.push(...warnings);
    });
  } catch (e) {
    if (!(e instanceof EntryError)) throw e;
    return fail(400, { error: e.message });
  }
  entry.status = 200;
  log.write(entry);
  accepted.forEach((stored, i) => store.write(Object.assign({ req: n, entry: i, token_n: entry.token_n }, stored)));
  if (fault && fault.type === 'drop_after_store') return dropConnection(req);
  if (fault && fault.type === 'slow') await sleep(Number(fault.delay ?? 3));
  send(res, 200);
}

async function handle(req, res) {
  const n = ++requests;
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname === '/identity/token' && req.method === 'POST') return handleToken(req, res, { req: n, endpoint: 'token' });
  if (url.pathname === '/logs/v1/singles' && req.method === 'POST') return handleIngest(req, res, { req: n, endpoint: 'ingest' }, n);
  await readBody(req, kMaxRawBytes).catch(() => null);
  log.write({ req: n, endpoint: 'unknown', method: req.method, path: url.pathname, status: 404 });
  send(res, 404, kStatusText[404]);
}

serve((req, res) => {
  handle(req, res).catch((e) => {
    process.stderr.write(`ibm_standin: ${e.stack}\n`);
    if (!res.headersSent) send(res, 500, kStatusText[500]);
  });
}, args.port);
