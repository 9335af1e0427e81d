#!/usr/bin/env node
// A stand-in for OCI Logging's ingestion API (PutLogs), the instance
// metadata service and the identity federation endpoint, in one process,
// for sluice's tests.
//
// No OCI is reachable from the test machines, so this server was written
// from OCI's references (Logging Ingestion API PutLogs and its models; API
// Errors; "Request Signatures"; "Calling Services from an Instance";
// "Getting Instance Metadata") and what Oracle's SDKs send (see
// ../../shared/protocols.md section 8); it is not OCI. It is checked against
// oci-loggingingestion's LoggingClient and oci-common's instance-principal
// provider by check_oci.js (run by check_standins.js). Rules: oci_auth.js
// (signatures, keys, tokens), oci_logging_model.js (bodies), oci_identity.js
// (instance identity, federation).
//
// Endpoints (all on 127.0.0.1:<port>):
//   POST /20200831/logs/{logId}/actions/push   OCI-signed (API key, or
//        "ST$<token>" with a token this process issued). Signature checked
//        first, as OCI does (401 NotAuthenticated): version "1",
//        rsa-sha256, signed headers date|x-date (request-target) host
//        content-length content-type x-content-sha256, the date within
//        --max-skew s, x-content-sha256 = base64 SHA-256 of the body,
//        verified by http-signature and, for API keys, re-signed by
//        oci-common and compared. Then the log: a logId not given with
//        --log-id → 404 NotAuthorizedOrNotFound. Then the body: at most
//        --max-request-bytes (default 10 MiB, the stand-in's own cap: OCI
//        states none) → else 413 RequestEntityTooLarge; Content-Encoding
//        only identity (gzip with --accept-gzip: OCI documents no request
//        compression); Content-Type application/json; the rules of
//        oci_logging_model.js → 400 InvalidParameter / MissingParameter.
//        Success: 200, empty body, opc-request-id (the client's, then
//        "/<ours>", when it sent one); every entry stored.
//   GET /opc/v2/{identity/cert.pem, identity/key.pem,
//        identity/intermediate.pem, instance/region, instance/regionInfo,
//        instance/id, instance/compartmentId}   need "Authorization: Bearer
//        Oracle" (else 401); a generated instance identity in --tenancy.
//   POST /v1/x509   the federation endpoint: signed with the instance's key
//        under "<tenancy>/fed-x509/<SHA-1 of cert>" or
//        ".../fed-x509-sha256/<SHA-256>" (host need not be signed), body
//        {"certificate","publicKey","intermediateCertificates",...} naming
//        the current certificate → 200 {"token":"<JWT>"} vouching for
//        publicKey for --token-ttl s.
// Any error body is OCI's {"code","message"} with opc-request-id.
//
// Usage:
//   node oci_standin.js --port P [--log FILE] [--store FILE] [--control FILE]
//        [--generate-config DIR] [--api-key PEM]... [--tenancy OCID] [--user OCID]
//        [--log-id OCID]... [--write-session-token FILE] [--region us-ashburn-1]
//        [--realm-domain oraclecloud.com] [--token-ttl 1200] [--max-skew 300]
//        [--max-request-bytes 10485760] [--accept-gzip]
// --port 0 picks a free port; "listening <port>" is printed once connections
// are accepted (after --generate-config wrote DIR/oci_api_key.pem, a fresh
// 2048-bit key, and DIR/config, an OCI config file whose [DEFAULT] profile
// names it: user, fingerprint, tenancy, region, key_file). --api-key adds an
// existing key of --user. --log-id (repeatable; default
// ocid1.log.oc1.iad.standinlog) names the logs that exist.
// --write-session-token FILE writes a session token (as "oci session
// authenticate" leaves in security_token_file) for the first API key.
// SIGTERM exits 0.
//
// --control FILE: {"faults": [F, ...]}, re-read whenever it changes, each F
// applied to the next F.count (default 1) requests to F.on ("push", the
// default, after the signature and log were accepted; "metadata";
// "federation"), in order:
//   {"type":"status","status":409}  OCI's error for it (409 IncorrectState,
//        429 TooManyRequests, 500 InternalServerError, 503 ServiceUnavailable,
//        401 NotAuthenticated: also revokes the token presented unless
//        "revoke":false, 400 InvalidParameter, 404 NotAuthorizedOrNotFound);
//        optional "code", "message", "retry_after" (sets Retry-After)
//   {"type":"drop"}                read the request, close without answering
//   {"type":"drop_after_store"}    (push) store the entries, then close
//   {"type":"slow","delay":3}      handle normally, answer after delay s
//   {"type":"rotate"}              (metadata) rotate the instance's certificate and key first
//
// --log FILE, one JSON line per request:
//   {"req":n,"endpoint":"push","log_id","status","code","message","auth":
//    "api_key"|"session_token"|"instance_principal"|null,"key_id" (API keys),
//    "token_n" (tokens, by issue order),"signed_headers","verified_by":
//    ["http-signature","oci-common"],"date_skew_s","body_bytes","batches",
//    "entries","opc_request_id","fault"}
//   {"req":n,"endpoint":"metadata","path","status","fault"}
//   {"req":n,"endpoint":"federation","status","code","message","key_kind":
//    "fed-x509"|"fed-x509-sha256","signed_headers","verified_by","token_n",
//    "fingerprint_algorithm","purpose","fault"}
//   {"req":n,"endpoint":"unknown","method","path","status"}
//   (status 0: dropped by a fault)
// --store FILE, one JSON line per stored entry:
//   {"req":n,"log_id","source","type","subject","defaultlogentrytime","id",
//    "time" (the entry's, else the batch's default),"time_given","data"}
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { parseArgs, JsonLines, FaultQueue, BodyTooLarge, readBody, decodeBody, dropConnection, serve, sleep } =
  require('./standin_common');
const { AuthError, ApiKeys, TokenIssuer, verifyRequest, kNotAuthenticated } = require('./oci_auth');
const { readPutLogs, InvalidBody } = require('./oci_logging_model');
const { InstanceIdentity } = require('./oci_identity');

const kStatusCode = { 400: 'InvalidParameter', 401: 'NotAuthenticated', 404: 'NotAuthorizedOrNotFound', 409: 'IncorrectState',
  413: 'RequestEntityTooLarge', 429: 'TooManyRequests', 500: 'InternalServerError', 503: 'ServiceUnavailable' };
const kStatusMessage = {
  404: 'Authorization failed or requested resource not found.',
  409: 'The resource is in a state that does not allow the request.',
  429: 'Too many requests for the tenancy.',
  500: 'Internal error occurred.',
  503: 'Service unavailable.',
};

const args = parseArgs(process.argv.slice(2), {
  known: ['port', 'log', 'store', 'control', 'generate-config', 'api-key', 'tenancy', 'user', 'log-id', 'write-session-token',
    'region', 'realm-domain', 'token-ttl', 'max-skew', 'max-request-bytes'],
  booleans: ['accept-gzip'],
  repeated: ['api-key', 'log-id'],
});
if (args.port === undefined) throw new Error('--port is required (0 picks one)');

const tenancy = args.tenancy || 'ocid1.tenancy.oc1..aaaaaaaastandintenancy';
const user = args.user || 'ocid1.user.oc1..aaaaaaaastandinuser';
const region = args.region || 'us-ashburn-1';
const logIds = args['log-id'].length ? args['log-id'] : ['ocid1.log.oc1.iad.standinlog'];
const tokenTtlS = Number(args['token-ttl'] || 1200);
const skewS = Number(args['max-skew'] || 300);
const maxRequestBytes = Number(args['max-request-bytes'] || 10 * 1024 * 1024);
const log = new JsonLines(args.log);
const store = new JsonLines(args.store);
const faults = new FaultQueue(args.control);
const apiKeys = new ApiKeys();
const tokens = new TokenIssuer();
const identity = new InstanceIdentity({ tenancy, region, realmDomain: args['realm-domain'] || 'oraclecloud.com', ttlS: tokenTtlS });
let requests = 0;
let firstKeyPem = null;

function requestId() {
  return crypto.randomBytes(16).toString('hex').toUpperCase().replace(/(.{8})(.{8})(.{8})(.{8})/, '$1/$2/$3/$4');
}

function send(res, status, body, headers = {}) {
  const text = body === null ? '' : JSON.stringify(body);
  const h = Object.assign({ 'opc-request-id': res.opcRequestId, 'Content-Length': Buffer.byteLength(text) }, headers);
  if (text) h['Content-Type'] = 'application/json';
  res.writeHead(status, h);
  res.end(text);
}

function errorBody(status, code, message) {
  return { code: code || kStatusCode[status] || 'InternalServerError', message: message || kStatusMessage[status] || 'Scripted failure (stand-in).' };
}

// Answers a scripted status fault; true when one was answered.
function answerStatusFault(res, entry, fault, token) {
  const status = fault.status || 500;
  if (status === 401 && token && fault.revoke !== false) tokens.revoke(token);
  const body = errorBody(status, fault.code, fault.message || (status === 401 ? kNotAuthenticated : undefined));
  Object.assign(entry, { status, code: body.code, message: body.message });
  log.write(entry);
  send(res, status, body, fault.retry_after !== undefined ? { 'Retry-After': String(fault.retry_after) } : {});
}

function fail(res, entry, status, code, message) {
  Object.assign(entry, { status, code, message });
  log.write(entry);
  send(res, status, { code, message });
}

// ---- POST /20200831/logs/{logId}/actions/push -----------------------------
async function handlePush(req, res, entry, logId) {
  let raw;
  try {
    raw = await readBody(req, maxRequestBytes);
  } catch (e) {
    if (!(e instanceof BodyTooLarge)) throw e;
    return fail(res, entry, 413, 'RequestEntityTooLarge', `The request body exceeds ${maxRequestBytes} bytes (stand-in limit).`);
  }
  Object.assign(entry, { log_id: logId, status: 0, code: null, message: null, auth: null, key_id: null, token_n: null,
    signed_headers: null, verified_by: [], date_skew_s: null, body_bytes: raw.length, batches: 0, entries: 0,
    opc_request_id: res.opcRequestId, fault: null });
  let who;
  try {
    who = await verifyRequest(req, raw, { resolveKey: (id) => apiKeys.find(id), tokens, skewS, now: Date.now() });
  } catch (e) {
    if (!(e instanceof AuthError)) throw e;
    return fail(res, entry, 401, 'NotAuthenticated', `${kNotAuthenticated} (stand-in: ${e.message})`);
  }
  Object.assign(entry, { auth: who.kind, key_id: who.keyId, token_n: who.tokenN, signed_headers: who.signedHeaders,
    verified_by: who.verifiedBy, date_skew_s: who.skewS });
  if (!logIds.includes(logId)) return fail(res, entry, 404, 'NotAuthorizedOrNotFound', kStatusMessage[404]);

  const fault = faults.next((f) => (f.on || 'push') === 'push');
  entry.fault = fault ? fault.type : null;
  if (fault && fault.type === 'drop') {
    log.write(entry);
    return dropConnection(req);
  }
  if (fault && fault.type === 'status') return answerStatusFault(res, entry, fault, who.token);

  let parsed;
  try {
    const encoding = (req.headers['content-encoding'] || 'identity').toLowerCase();
    if (encoding !== 'identity' && !(args['accept-gzip'] && encoding === 'gzip')) {
      throw new InvalidBody('InvalidParameter', `Content-Encoding ${encoding} is not supported (stand-in: OCI documents none).`);
    }
    const type = (req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') throw new InvalidBody('InvalidParameter', `Content-Type must be application/json, not "${type}".`);
    const decoded = decodeBody(raw, req.headers['content-encoding'], maxRequestBytes + 1);
    if (decoded.length > maxRequestBytes) {
      return fail(res, entry, 413, 'RequestEntityTooLarge', `The request body exceeds ${maxRequestBytes} bytes (stand-in limit).`);
    }
    let body;
    try {
      body = JSON.parse(decoded.toString('utf8'));
    } catch (e) {
      throw new InvalidBody('InvalidParameter', `The request body is not valid JSON: ${e.message}`);
    }
    parsed = readPutLogs(body);
  } catch (e) {
    if (!(e instanceof InvalidBody)) throw e;
    return fail(res, entry, 400, e.code, e.message);
  }
  Object.assign(entry, { status: 200, batches: parsed.batches, entries: parsed.entries.length });
  log.write(entry);
  for (const e of parsed.entries) {
    store.write({ req: entry.req, log_id: logId, source: e.source, type: e.type, subject: e.subject,
      defaultlogentrytime: e.defaultlogentrytime, id: e.id, time: e.time, time_given: e.time_given, data: e.data });
  }
  if (fault && fault.type === 'drop_after_store') return dropConnection(req);
  if (fault && fault.type === 'slow') await sleep(Number(fault.delay ?? 3));
  send(res, 200, null);
}

// ---- GET /opc/v2/... -------------------------------------------------------
async function handleMetadata(req, res, entry, subpath) {
  await readBody(req, 64 * 1024);
  Object.assign(entry, { path: `/opc/v2/${subpath}`, status: 0, fault: null });
  const text = (status, contentType, body) => {
    entry.status = status;
    log.write(entry);
    res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };
  if (req.method !== 'GET') return text(405, 'text/plain', 'Method Not Allowed');
  if (req.headers.authorization !== 'Bearer Oracle') return text(401, 'text/plain', 'Unauthorized: Authorization: Bearer Oracle is required');
  const fault = faults.next((f) => f.on === 'metadata');
  entry.fault = fault ? fault.type : null;
  if (fault && fault.type === 'drop') {
    log.write(entry);
    return dropConnection(req);
  }
  if (fault && fault.type === 'status') return text(fault.status || 500, 'text/plain', fault.message || 'scripted failure (stand-in)');
  if (fault && fault.type === 'rotate') identity.rotate();
  const [status, contentType, body] = identity.metadata(subpath);
  if (fault && fault.type === 'slow') await sleep(Number(fault.delay ?? 3));
  text(status, contentType, body);
}

// ---- POST /v1/x509 ---------------------------------------------------------
async function handleFederation(req, res, entry) {
  const raw = await readBody(req, 1024 * 1024);
  Object.assign(entry, { status: 0, code: null, message: null, key_kind: null, signed_headers: null, verified_by: [], token_n: null,
    fingerprint_algorithm: null, purpose: null, fault: null });
  let key = null;
  let details;
  try {
    const who = await verifyRequest(req, raw, { resolveKey: (id) => (key = identity.federationKey(id)), tokens, skewS,
      now: Date.now(), requireHost: false });
    if (!key) throw new AuthError("the federation endpoint takes requests signed with the instance certificate's key");
    Object.assign(entry, { key_kind: key.kind, signed_headers: who.signedHeaders, verified_by: who.verifiedBy });
    details = identity.readFederationBody(raw);
  } catch (e) {
    if (!(e instanceof AuthError) && !e.status) throw e;
    const status = e.status || 401;
    return fail(res, entry, status, e.code, status === 401 ? `${kNotAuthenticated} (stand-in: ${e.message})` : e.message);
  }
  Object.assign(entry, { fingerprint_algorithm: details.fingerprintAlgorithm, purpose: details.purpose });
  const fault = faults.next((f) => f.on === 'federation');
  entry.fault = fault ? fault.type : null;
  if (fault && fault.type === 'drop') {
    log.write(entry);
    return dropConnection(req);
  }
  if (fault && fault.type === 'status') return answerStatusFault(res, entry, fault, null);
  const issued = tokens.issue({ publicKey: details.publicKey, subject: identity.instance, tenancy, ttlS: tokenTtlS, type: 'x509',
    now: Date.now() });
  Object.assign(entry, { status: 200, token_n: issued.n });
  log.write(entry);
  if (fault && fault.type === 'slow') await sleep(Number(fault.delay ?? 3));
  send(res, 200, { token: issued.token });
}

async function handle(req, res) {
  const n = ++requests;
  const given = req.headers['opc-request-id'];
  res.opcRequestId = given ? `${given}/${requestId()}` : requestId();
  const url = new URL(req.url, 'http://127.0.0.1');
  const push = /^\/20200831\/logs\/([^/]+)\/actions\/push$/.exec(url.pathname);
  if (push && req.method === 'POST') return handlePush(req, res, { req: n, endpoint: 'push' }, decodeURIComponent(push[1]));
  if (url.pathname.startsWith('/opc/v2/')) return handleMetadata(req, res, { req: n, endpoint: 'metadata' }, url.pathname.slice(8));
  if (url.pathname === '/v1/x509' && req.method === 'POST') return handleFederation(req, res, { req: n, endpoint: 'federation' });
  await readBody(req, maxRequestBytes).catch(() => null);
  log.write({ req: n, endpoint: 'unknown', method: req.method, path: url.pathname, status: 404 });
  send(res, 404, errorBody(404));
}

function writeConfig(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const keyFile = path.join(dir, 'oci_api_key.pem');
  const pem = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  fs.writeFileSync(keyFile, pem, { mode: 0o600 });
  const { fingerprint } = apiKeys.add(tenancy, user, pem);
  firstKeyPem = firstKeyPem || pem;
  fs.writeFileSync(path.join(dir, 'config'),
    `[DEFAULT]\nuser=${user}\nfingerprint=${fingerprint}\ntenancy=${tenancy}\nregion=${region}\nkey_file=${keyFile}\n`, { mode: 0o600 });
}

for (const file of args['api-key']) {
  const pem = fs.readFileSync(file, 'utf8');
  apiKeys.add(tenancy, user, pem);
  firstKeyPem = firstKeyPem || pem;
}

serve((req, res) => {
  handle(req, res).catch((e) => {
    process.stderr.write(`oci_standin: ${e.stack}\n`);
    if (!res.headersSent) send(res, 500, errorBody(500));
  });
}, args.port, () => {
  if (args['generate-config']) writeConfig(args['generate-config']);
  if (args['write-session-token']) {
    if (!firstKeyPem) throw new Error('--write-session-token needs --generate-config or --api-key');
    const issued = tokens.issue({ publicKey: firstKeyPem, subject: user, tenancy, ttlS: tokenTtlS, type: 'session', now: Date.now() });
    // No newline: the CLI writes none, and oci-common sends the file's text untrimmed.
    fs.writeFileSync(args['write-session-token'], issued.token, { mode: 0o600 });
  }
});
