#!/usr/bin/env node
// A stand-in for Amazon CloudWatch Logs, for sluice's end-to-end tests.
//
// No AWS is reachable from the test machines, so this server was written from
// the CloudWatch Logs API Reference (PutLogEvents, CreateLogGroup,
// CreateLogStream, PutRetentionPolicy, DescribeLogStreams, DescribeLogGroups,
// RejectedLogEventsInfo, Common Errors), the AWS JSON 1.1 protocol, the SigV4
// signing process, and the error answers AWS is seen giving in SDK/agent issue
// reports (see ../../shared/protocols.md section 4); it is not AWS. It is
// checked against @aws-sdk/client-cloudwatch-logs by check_standins.js.
//
// Protocol: POST / with X-Amz-Target: Logs_20140328.<Op>, Content-Type:
// application/x-amz-json-1.1, a JSON body, SigV4 (service "logs"). Bodies may
// be gzip (Content-Encoding: gzip): the CloudWatch agent and the OpenTelemetry
// collector send PutLogEvents gzipped; the signature covers the bytes sent.
// Every answer carries x-amzn-RequestId; errors are HTTP 400 (500/503 for
// scripted server faults) with {"__type": "<Error>", "message": "..."}.
//
// Checks, each answered the way AWS does:
// - SigV4 on every request (cloudwatch_sigv4.js) against --access-key,
//   --secret-key, --session-token, --region: MissingAuthenticationToken-,
//   IncompleteSignature-, UnrecognizedClient- (unknown key or wrong/missing
//   session token), InvalidSignatureException (wrong signature; X-Amz-Date
//   more than --max-skew seconds off: "Signature expired: ..." / "Signature
//   not yet current: ..."; wrong region/service/scope date; host unsigned).
// - CreateLogGroup / CreateLogStream: name rules; ResourceAlreadyExists.
// - PutRetentionPolicy: the allowed retentionInDays values.
// - PutLogEvents, in this order: shape (1..10,000 events, message of >= 1
//   char, timestamp) -> InvalidParameterException "1 validation error
//   detected: ..."; an event over 1,048,576 bytes (UTF-8 message + 26) ->
//   "Log event too large: N bytes exceeds limit of 1048576"; the batch over
//   1,048,576 bytes (sum of UTF-8 message bytes + 26 each) -> "Upload too
//   large: ..."; unsorted timestamps -> "Log events in a single PutLogEvents
//   request must be in chronological order."; the valid events (<= 14 days
//   old, <= 2 h ahead) spanning more than 24 h -> "The batch of log events in
//   a single PutLogEvents request cannot span more than 24 hours."; missing
//   group/stream -> ResourceNotFoundException. Then events > 2 h ahead, > 14
//   days old, or older than the group's retention are rejected one by one
//   (rejectedLogEventsInfo: tooNewLogEventStartIndex inclusive,
//   tooOldLogEventEndIndex and expiredLogEventEndIndex exclusive) and the rest
//   is stored. sequenceToken is ignored, as AWS has done since 2023.
// - Unknown X-Amz-Target -> UnknownOperationException; a body that is not
//   JSON, or a Content-Type other than application/x-amz-json-1.1 ->
//   SerializationException (stand-in wording).
//
// Usage:
//   node cloudwatch_standin.js --port P --log FILE --store FILE [--control FILE]
//        --access-key AKID --secret-key SECRET [--session-token TOKEN]
//        [--region us-east-1] [--max-skew 300] [--group NAME[=DAYS]]...
//        [--stream GROUP/NAME]... [--fast] [--no-auth]
// --port 0 picks a free port; "listening <port>" is printed on stdout once
// connections are accepted. --group/--stream create groups (optionally with a
// retention in days) and streams at start ("GROUP/NAME" splits at the last
// "/"). --no-auth skips SigV4. --fast answers every POST 200 {} without any
// check or store (for benchmarks). SIGTERM exits 0.
//
// --control FILE: {"faults": [F, ...]}, re-read whenever it changes, each F
// applied to the next F.count (default 1) signed requests whose operation is
// F.op (default "PutLogEvents"; "*" = any), in order:
//   {"type":"status","status":400,"error_type":"ThrottlingException",
//    "message":"Rate exceeded","retry_after":"2"}   answer that error (type
//        defaults by status: 400 ThrottlingException, 403 AccessDenied-,
//        500 InternalFailure, 503 ServiceUnavailableException)
//   {"type":"drop"}             read the request, close without answering
//   {"type":"drop_after_store"} store the events, close without answering
//   {"type":"slow","delay":3}   store, wait delay seconds, then answer
// e.g. ExpiredTokenException: {"type":"status","status":400,
// "error_type":"ExpiredTokenException","message":"The security token included
// in the request is expired"}.
//
// --log FILE, one JSON line per request:
//   {"req":n,"op":"PutLogEvents","group":"..","stream":"..","events":N,
//    "bytes":B (sum of UTF-8 message bytes + 26),"body_bytes":raw,"gzip":bool,
//    "status":200,"type":null|"<__type>","message":null|"..","stored":k,
//    "rejected":null|{rejectedLogEventsInfo},"fault":null|"<type>",
//    "request_id":"..."}      (status 0: dropped by a fault; "fast":true lines
//    carry only req/op/request_id/body_bytes/status)
// --store FILE, one JSON line per stored event:
//   {"req":n,"group":"..","stream":"..","timestamp":ms,"message":".."}
'use strict';

const crypto = require('crypto');
const { parseArgs, JsonLines, FaultQueue, BodyTooLarge, readBody, decodeBody, dropConnection, serve, sleep } =
  require('./standin_common');
const { verifySigV4 } = require('./cloudwatch_sigv4');
const { Logs, ApiError } = require('./cloudwatch_logs_model');

const kMaxBody = 16 * 1024 * 1024;
const kTargetPrefix = 'Logs_20140328.';
const kDefaultErrorType = { 400: 'ThrottlingException', 403: 'AccessDeniedException', 500: 'InternalFailure', 503: 'ServiceUnavailableException' };

const args = parseArgs(process.argv.slice(2), {
  known: ['port', 'log', 'store', 'control', 'access-key', 'secret-key', 'session-token', 'region', 'max-skew', 'group', 'stream'],
  booleans: ['fast', 'no-auth'],
  repeated: ['group', 'stream'],
});
if (args.port === undefined) throw new Error('--port is required (0 picks one)');
if (!args.fast && !args['no-auth'] && (!args['access-key'] || !args['secret-key'])) {
  throw new Error('--access-key and --secret-key are required (or --no-auth / --fast)');
}

const log = new JsonLines(args.log);
const store = new JsonLines(args.store);
const faults = new FaultQueue(args.control);
const logs = new Logs(args.region || 'us-east-1');
for (const spec of args.group) {
  const [name, days] = spec.split('=');
  logs.createLogGroup({ logGroupName: name });
  if (days) logs.putRetentionPolicy({ logGroupName: name, retentionInDays: Number(days) });
}
for (const spec of args.stream) {
  const at = spec.lastIndexOf('/');
  logs.createLogStream({ logGroupName: spec.slice(0, at), logStreamName: spec.slice(at + 1) });
}
let requests = 0;

function answer(res, status, body, extraHeaders = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, Object.assign({
    'Content-Type': 'application/x-amz-json-1.1',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': res.requestId,
  }, extraHeaders));
  res.end(text);
}

function answerError(res, entry, status, type, message, extraHeaders) {
  entry.status = status;
  entry.type = type;
  entry.message = message;
  log.write(entry);
  answer(res, status, message === null ? { __type: type } : { __type: type, message }, extraHeaders);
}

async function handleFast(req, res, entry) {
  const raw = await readBody(req, kMaxBody);
  entry.body_bytes = raw.length;
  entry.status = 200;
  entry.fast = true;
  log.write(entry);
  answer(res, 200, {});
}

async function handle(req, res) {
  const n = ++requests;
  res.requestId = crypto.randomUUID();
  const target = req.headers['x-amz-target'] || '';
  const op = target.startsWith(kTargetPrefix) ? target.slice(kTargetPrefix.length) : null;
  const entry = { req: n, op: op || target || null, request_id: res.requestId };
  if (args.fast) return handleFast(req, res, entry);

  let raw;
  try {
    raw = await readBody(req, kMaxBody);
  } catch (e) {
    if (!(e instanceof BodyTooLarge)) throw e;
    return answerError(res, entry, 413, 'SerializationException', `Request body over ${kMaxBody} bytes (stand-in)`);
  }
  Object.assign(entry, { group: null, stream: null, events: 0, bytes: 0, body_bytes: raw.length,
    gzip: /gzip/i.test(req.headers['content-encoding'] || ''), status: 0, type: null, message: null,
    stored: 0, rejected: null, fault: null });

  if (req.method !== 'POST') return answerError(res, entry, 400, 'UnknownOperationException', `${req.method} is not supported (stand-in)`);
  if (!args['no-auth']) {
    const problem = await verifySigV4(req, raw, {
      accessKey: args['access-key'], secretKey: args['secret-key'], sessionToken: args['session-token'],
    }, { region: args.region || 'us-east-1', service: 'logs', maxSkewMs: Number(args['max-skew'] || 300) * 1000, now: new Date() });
    if (problem) return answerError(res, entry, 400, problem.type, problem.message);
  }
  if (!op || !logs.has(op)) return answerError(res, entry, 400, 'UnknownOperationException', null);
  const contentType = (req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
  if (contentType !== 'application/x-amz-json-1.1') {
    return answerError(res, entry, 400, 'SerializationException', `Content-Type must be application/x-amz-json-1.1, not '${contentType}' (stand-in)`);
  }
  let input;
  try {
    input = JSON.parse(decodeBody(raw, req.headers['content-encoding'], kMaxBody).toString('utf8'));
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error('not a JSON object');
  } catch (e) {
    return answerError(res, entry, 400, 'SerializationException', `Body is not a JSON object: ${e.message} (stand-in)`);
  }
  entry.group = input.logGroupName ?? input.logGroupIdentifier ?? null;
  entry.stream = input.logStreamName ?? null;
  if (op === 'PutLogEvents' && Array.isArray(input.logEvents)) {
    entry.events = input.logEvents.length;
    entry.bytes = input.logEvents.reduce((sum, e) => sum + Buffer.byteLength(String(e?.message ?? ''), 'utf8') + 26, 0);
  }

  const fault = faults.next((f) => (f.op || 'PutLogEvents') === '*' || (f.op || 'PutLogEvents') === op);
  entry.fault = fault ? fault.type : null;
  if (fault && fault.type === 'drop') {
    log.write(entry);
    return dropConnection(req);
  }
  if (fault && fault.type === 'status') {
    const status = fault.status || 400;
    const headers = fault.retry_after !== undefined ? { 'Retry-After': String(fault.retry_after) } : {};
    return answerError(res, entry, status, fault.error_type || kDefaultErrorType[status] || 'InternalFailure',
      fault.message || 'scripted failure (stand-in)', headers);
  }

  let output;
  try {
    output = logs[op.charAt(0).toLowerCase() + op.slice(1)](input, Date.now());
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    return answerError(res, entry, 400, e.type, e.message);
  }
  if (op === 'PutLogEvents') {
    for (const ev of output.stored) {
      store.write({ req: n, group: entry.group, stream: entry.stream, timestamp: ev.timestamp, message: ev.message });
    }
    entry.stored = output.stored.length;
    entry.rejected = output.body.rejectedLogEventsInfo || null;
  }
  entry.status = 200;
  log.write(entry);
  if (fault && fault.type === 'drop_after_store') return dropConnection(req);
  if (fault && fault.type === 'slow') await sleep(Number(fault.delay ?? 3));
  answer(res, 200, output.body);
}

serve((req, res) => {
  handle(req, res).catch((e) => {
    process.stderr.write(`cloudwatch_standin: ${e.stack}\n`);
    if (!res.headersSent) {
      res.writeHead(500, { 'Content-Type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: 'InternalFailure', message: String(e.message) }));
    }
  });
}, args.port);
