#!/usr/bin/env node
// A stand-in for the LogDNA / Mezmo ingest API (IBM Log Analysis until 2025;
// Mezmo's own SaaS still), for sluice's end-to-end tests.
//
// No Mezmo service is reachable from the test machines, so this server was
// written from Mezmo's ingest API reference (POST /logs/ingest, its query
// parameters, the line fields, the 10 MB limit, the {"status","batchID"}
// acknowledgement, 401/403/413), IBM Log Analysis' "Sending logs by using
// the REST API" (the apikey / ingestionkey headers) and what @logdna/logger
// 2.6 sends and reads (see ../../shared/protocols.md section 7a); it is not
// Mezmo. Error bodies are not documented: they and any other invented
// wording are marked "(stand-in)". It is checked against @logdna/logger by
// check_standins.js (check_ibm.js).
//
// Endpoint (127.0.0.1:<port>):
//   POST /logs/ingest?hostname=<required>&mac=&ip=&now=<sender epoch ms>&tags=a,b
//   Authentication, one of: Basic with the ingestion key as the user (the
//   password is not checked: Mezmo documents it empty), a header
//   "apikey: <key>" or "ingestionkey: <key>", or ?apikey=<key>; else 401.
//   Content-Type application/json (charset allowed); gzip allowed (the
//   logger's compress option). At most 10 MB (10,485,760 bytes) after
//   decoding, else 413. Body {"lines":[L, ...]} (the documented form) or
//   {"e":"ls","ls":[L, ...]} (what @logdna/logger sends). Each L: "line" a
//   string (required); "timestamp" a number (epoch ms; default the arrival
//   time, shifted by the sender's clock error when ?now= is given);
//   "app", "level", "env", "file" strings; "meta" an object or a string
//   holding JSON (the logger's indexMeta: false); IBM's "logSourceCRN",
//   "saveServiceCopy", "appOverride" kept. Missing hostname, a body that is
//   not JSON or a malformed line -> 400 {"error":"... (stand-in)",
//   "status":"error"}, nothing stored. Success: 200 {"status":"ok",
//   "batchID":"<uuid>:<n>"}. A meta field whose JSON type differs from the
//   one it first arrived with is logged as a warning (Mezmo then leaves it
//   unparsed).
//
// Usage:
//   node logdna_standin.js --port P [--log FILE] [--store FILE] [--control FILE]
//        --ingestion-key KEY [--ingestion-key KEY2]... [--fast]
// --port 0 picks a free port; "listening <port>" is printed once connections
// are accepted. --fast answers every ingest 200 without any check or store
// (benchmarks). SIGTERM exits 0.
//
// --control FILE: {"faults": [F, ...]}, re-read whenever it changes, each F
// applied to the next F.count (default 1) authenticated ingest requests:
//   {"type":"status","status":503,"retry_after":"2"}  answer that status with
//        {"error":"<message or the status text> (stand-in)","status":"error"}
//        (403: "account suspended or over its plan limit"); optional
//        "message", "body" (answer this instead), "retry_after" (Retry-After)
//   {"type":"partial","fail":[i,...],"status":400}  store the other lines and
//        answer 207 {"status":[200|status per line],"batchID"} (the per-line
//        answer @logdna/logger reads)
//   {"type":"drop"}             read the request, close without answering
//   {"type":"drop_after_store"} store, then close without answering
//   {"type":"slow","delay":3}   handle normally but wait delay s before answering
//
// --log FILE, one JSON line per request:
//   {"req":n,"status":200,"auth":null|"basic"|"apikey"|"ingestionkey"|"query",
//    "hostname","mac","ip","tags","now","gzip":bool,"body_bytes":raw,
//    "bytes":decoded,"form":"lines"|"ls"|null,"lines":N,"stored":k,
//    "batch_id":null|"...","error":null|"...","warnings":[...],
//    "user_agent","fault":null|"<type>"}   (status 0: dropped by a fault;
//    --fast lines: req/body_bytes/status/fast)
// --store FILE, one JSON line per stored line:
//   {"req":n,"i":index,"batch_id","hostname","mac","ip","tags":[...],"now",
//    "skew_ms" (arrival - now; null without now),"timestamp" (as sent, else
//    the arrival),"line","app","level","env","file","meta" (parsed when it
//    came as a JSON string),"meta_string":bool,"extra"?:{logSourceCRN,...}}
'use strict';

const crypto = require('crypto');
const { parseArgs, JsonLines, FaultQueue, BodyTooLarge, readBody, decodeBody, dropConnection, serve, sleep } =
  require('./standin_common');

const kMaxBytes = 10 * 1024 * 1024;
const kMaxRawBytes = 64 * 1024 * 1024;
const kStatusText = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'account suspended or over its plan limit', 404: 'Not Found',
  413: 'Request Entity Too Large', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway',
  503: 'Service Unavailable', 504: 'Gateway Timeout' };
const kExtraFields = ['logSourceCRN', 'saveServiceCopy', 'appOverride'];

const args = parseArgs(process.argv.slice(2), {
  known: ['port', 'log', 'store', 'control', 'ingestion-key'],
  booleans: ['fast'],
  repeated: ['ingestion-key'],
});
if (args.port === undefined) throw new Error('--port is required (0 picks one)');
if (!args['ingestion-key'].length && !args.fast) throw new Error('--ingestion-key is required');

const log = new JsonLines(args.log);
const store = new JsonLines(args.store);
const faults = new FaultQueue(args.control);
const batchPrefix = crypto.randomUUID();
const metaTypes = new Map(); // meta field -> the JSON type it first came with
let requests = 0;

function send(res, status, body, headers = {}) {
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, Object.assign({ 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) }, headers));
  res.end(text);
}

function errorBody(message) {
  return { error: `${message} (stand-in)`, status: 'error' };
}

// Which accepted credential the request carries, or null.
function authenticate(req, url) {
  const keys = args['ingestion-key'];
  const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization || '');
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
    if (keys.includes(user)) return 'basic';
  }
  if (keys.includes(req.headers.apikey)) return 'apikey';
  if (keys.includes(req.headers.ingestionkey)) return 'ingestionkey';
  if (keys.includes(url.searchParams.get('apikey'))) return 'query';
  return null;
}

class LineError extends Error {}

function jsonType(v) {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

// Checks one line; returns it as stored and its warnings.
function readLine(l, i, query, arrival) {
  const where = `line ${i}`;
  if (typeof l !== 'object' || l === null || Array.isArray(l)) throw new LineError(`${where} is not a JSON object`);
  if (typeof l.line !== 'string') throw new LineError(`${where}: "line" is required and must be a string`);
  if (l.timestamp !== undefined && !(typeof l.timestamp === 'number' && Number.isFinite(l.timestamp))) {
    throw new LineError(`${where}: "timestamp" must be a number of epoch milliseconds`);
  }
  for (const name of ['app', 'level', 'env', 'file']) {
    if (l[name] !== undefined && l[name] !== null && typeof l[name] !== 'string') throw new LineError(`${where}: "${name}" must be a string`);
  }
  let meta = l.meta;
  const metaString = typeof meta === 'string';
  if (metaString) {
    try {
      meta = JSON.parse(meta);
    } catch (e) {
      throw new LineError(`${where}: "meta" is a string that does not hold JSON`);
    }
  }
  if (meta !== undefined && (typeof meta !== 'object' || meta === null || Array.isArray(meta))) {
    throw new LineError(`${where}: "meta" must be an object`);
  }
  const warnings = [];
  for (const [k, v] of Object.entries(meta || {})) {
    const type = jsonType(v);
    if (!metaTypes.has(k)) metaTypes.set(k, type);
    else if (metaTypes.get(k) !== type) warnings.push(`${where}: meta.${k} is ${type}, earlier ${metaTypes.get(k)}: not parsed by Mezmo`);
  }
  const stored = {
    hostname: query.hostname, mac: query.mac, ip: query.ip, tags: query.tags, now: query.now,
    // ?now= is the sender's clock when it sent: Mezmo corrects line times by skew_ms.
    skew_ms: query.now !== null ? arrival - query.now : null,
    timestamp: l.timestamp !== undefined ? l.timestamp : arrival,
    line: l.line, app: l.app ?? null, level: l.level ?? null, env: l.env ?? null, file: l.file ?? null,
    meta: meta ?? null, meta_string: metaString,
  };
  const extra = kExtraFields.filter((k) => l[k] !== undefined);
  if (extra.length) stored.extra = Object.fromEntries(extra.map((k) => [k, l[k]]));
  return { stored, warnings };
}

async function handleIngest(req, res, entry, url, n) {
  let raw;
  try {
    raw = await readBody(req, kMaxRawBytes);
  } catch (e) {
    if (!(e instanceof BodyTooLarge)) throw e;
    entry.status = 413;
    log.write(entry);
    return send(res, 413, errorBody(kStatusText[413]));
  }
  entry.body_bytes = raw.length;
  if (args.fast) {
    Object.assign(entry, { status: 200, fast: true });
    log.write(entry);
    return send(res, 200, { status: 'ok', batchID: `${batchPrefix}:${n}` });
  }
  const arrival = Date.now();
  const nowParam = url.searchParams.get('now');
  const query = {
    hostname: url.searchParams.get('hostname'), mac: url.searchParams.get('mac'), ip: url.searchParams.get('ip'),
    tags: url.searchParams.get('tags') ? url.searchParams.get('tags').split(/\s*,\s*/).filter(Boolean) : [],
    now: nowParam !== null && /^\d+$/.test(nowParam) ? Number(nowParam) : null,
  };
  Object.assign(entry, { status: 0, auth: authenticate(req, url), hostname: query.hostname, mac: query.mac, ip: query.ip, tags: query.tags,
    now: query.now, gzip: /gzip/i.test(req.headers['content-encoding'] || ''), bytes: null, form: null, lines: 0, stored: 0,
    batch_id: null, error: null, warnings: [], user_agent: req.headers['user-agent'] ?? null, fault: null });
  const fail = (status, body, headers = {}) => {
    entry.status = status;
    entry.error = body.error ?? JSON.stringify(body);
    log.write(entry);
    send(res, status, body, headers);
  };
  if (!entry.auth) return fail(401, errorBody('Unauthorized: no valid ingestion key'), { 'WWW-Authenticate': 'Basic realm="logdna"' });

  const fault = faults.next(() => true);
  entry.fault = fault ? fault.type : null;
  if (fault && fault.type === 'drop') {
    log.write(entry);
    return dropConnection(req);
  }
  if (fault && fault.type === 'status') {
    const status = fault.status || 500;
    const headers = fault.retry_after !== undefined ? { 'Retry-After': String(fault.retry_after) } : {};
    return fail(status, fault.body !== undefined ? fault.body : errorBody(fault.message || kStatusText[status] || 'scripted failure'), headers);
  }

  if (!query.hostname) return fail(400, errorBody('the hostname query parameter is required'));
  let body;
  try {
    const decoded = decodeBody(raw, req.headers['content-encoding'], kMaxBytes + 1);
    entry.bytes = decoded.length;
    if (decoded.length > kMaxBytes) return fail(413, errorBody(kStatusText[413]));
    const type = (req.headers['content-type'] || 'application/json').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') return fail(400, errorBody(`Content-Type must be application/json, not ${type}`));
    body = JSON.parse(decoded.toString('utf8'));
  } catch (e) {
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) return fail(413, errorBody(kStatusText[413]));
    return fail(400, errorBody(`the body is not JSON: ${e.message}`));
  }
  const form = body && Array.isArray(body.lines) ? 'lines' : body && body.e === 'ls' && Array.isArray(body.ls) ? 'ls' : null;
  entry.form = form;
  if (!form) return fail(400, errorBody('the body must be {"lines":[...]}'));
  const lines = body[form];
  entry.lines = lines.length;
  const accepted = [];
  try {
    lines.forEach((l, i) => {
      const { stored, warnings } = readLine(l, i, query, arrival);
      accepted.push(stored);
      entry.warnings.push(...warnings);
    });
  } catch (e) {
    if (!(e instanceof LineError)) throw e;
    return fail(400, errorBody(e.message));
  }

  const batchId = `${batchPrefix}:${n}`;
  const failing = fault && fault.type === 'partial' ? new Set(fault.fail || [0]) : new Set();
  const lineStatus = accepted.map((_, i) => (failing.has(i) ? fault.status || 400 : 200));
  Object.assign(entry, { status: failing.size ? 207 : 200, batch_id: batchId, stored: lineStatus.filter((s) => s === 200).length });
  log.write(entry);
  accepted.forEach((stored, i) => {
    if (lineStatus[i] === 200) store.write(Object.assign({ req: n, i, batch_id: batchId }, stored));
  });
  if (fault && fault.type === 'drop_after_store') return dropConnection(req);
  if (fault && fault.type === 'slow') await sleep(Number(fault.delay ?? 3));
  if (failing.size) return send(res, 207, { status: lineStatus, batchID: batchId });
  send(res, 200, { status: 'ok', batchID: batchId });
}

async function handle(req, res) {
  const n = ++requests;
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname === '/logs/ingest' && req.method === 'POST') return handleIngest(req, res, { req: n }, url, n);
  await readBody(req, kMaxRawBytes).catch(() => null);
  log.write({ req: n, endpoint: 'unknown', method: req.method, path: url.pathname, status: 404 });
  send(res, 404, errorBody('Not Found'));
}

serve((req, res) => {
  handle(req, res).catch((e) => {
    process.stderr.write(`logdna_standin: ${e.stack}\n`);
    if (!res.headersSent) send(res, 500, errorBody(kStatusText[500]));
  });
}, args.port);
