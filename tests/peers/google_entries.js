// The entries:write rules of google_standin.js (Cloud Logging API v2
// reference: entries.write, LogEntry, MonitoredResource, LogSeverity, quotas
// and limits). No I/O: write() takes the parsed request and returns what to
// answer and what to store.
//
// Two kinds of failure, as Google has them:
// - The JSON does not convert to a WriteLogEntriesRequest proto (unknown
//   field, wrong type, two payloads, bad severity or timestamp): the whole
//   request fails with 400 INVALID_ARGUMENT and a google.rpc.BadRequest, even
//   with partialSuccess. Thrown as ParseError.
// - An entry breaks a rule (log name, project, resource, size, timestamp more
//   than a day ahead): a per-entry google.rpc.Status. With partialSuccess the
//   other entries are written; the answer has the status of the first failed
//   entry and WriteLogEntriesPartialErrors.logEntryErrors keyed by the entry's
//   0-based index as a string. Without it nothing is written (the details are
//   still given, as in the 403 sample in protocols.md's sources).
// Entries older than the retention are accepted but not stored, entries with
// the same project, timestamp and insertId as a stored one are duplicates
// (Cloud Logging collapses them): both reported per entry, neither stored.
// Things Google accepts but sluice should not send (no insertId, trace not
// "projects/<id>/traces/<32 hex>", spanId not 16 hex, no payload) are
// warnings in the log, per-entry INVALID_ARGUMENT errors with --strict.
'use strict';

const kMaxEntryBytes = 256 * 1024;
const kDayNs = 86400n * 1000000000n;
const kSeverities = { DEFAULT: 0, DEBUG: 100, INFO: 200, NOTICE: 300, WARNING: 400, ERROR: 500, CRITICAL: 600, ALERT: 700, EMERGENCY: 800 };
const kPayloads = ['textPayload', 'jsonPayload', 'protoPayload'];
const kEntryFields = ['logName', 'resource', 'protoPayload', 'textPayload', 'jsonPayload', 'timestamp', 'receiveTimestamp',
  'severity', 'insertId', 'httpRequest', 'labels', 'operation', 'trace', 'spanId', 'traceSampled', 'sourceLocation', 'split',
  'errorGroups', 'apphub', 'apphubDestination', 'apphubSource'];
const kRequestFields = ['logName', 'resource', 'labels', 'entries', 'partialSuccess', 'dryRun'];
// Label keys of the monitored-resource types sluice may write (Google's
// monitored resource list); other types are refused.
const kResourceTypes = {
  global: ['project_id'],
  generic_node: ['project_id', 'location', 'namespace', 'node_id'],
  generic_task: ['project_id', 'location', 'namespace', 'job', 'task_id'],
  gce_instance: ['project_id', 'instance_id', 'zone'],
  k8s_container: ['project_id', 'location', 'cluster_name', 'namespace_name', 'pod_name', 'container_name'],
  k8s_pod: ['project_id', 'location', 'cluster_name', 'namespace_name', 'pod_name'],
  k8s_node: ['project_id', 'location', 'cluster_name', 'node_name'],
  k8s_cluster: ['project_id', 'location', 'cluster_name'],
  aws_ec2_instance: ['project_id', 'instance_id', 'region', 'aws_account'],
  cloud_run_revision: ['project_id', 'service_name', 'revision_name', 'location', 'configuration_name'],
};
const kGrpc = { INVALID_ARGUMENT: 3, PERMISSION_DENIED: 7 };
const kPermissionDenied = "Permission 'logging.logEntries.create' denied on resource (or it may not exist).";

class ParseError extends Error {
  constructor(message, field) {
    super(message);
    this.field = field;
  }
}

const snake = (name) => name.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());

// Renames snake_case keys (the proto names, which Google's JSON parser also
// accepts) to lowerCamelCase; refuses unknown keys as Google does.
function canonicalKeys(obj, fields, where) {
  const out = {};
  for (const [key, value] of Object.entries(obj)) {
    const name = fields.find((f) => f === key || snake(f) === key);
    if (!name) {
      const at = where ? ` at '${where}'` : '';
      throw new ParseError(`Invalid JSON payload received. Unknown name "${key}"${at}: Cannot find field.`, where);
    }
    if (name in out) throw new ParseError(`Invalid JSON payload received. Field "${key}"${where ? ` at '${where}'` : ''} is set twice. (stand-in)`, where);
    out[name] = value;
  }
  return out;
}

function typeError(where, protoType, value) {
  return new ParseError(`Invalid value at '${where}' (${protoType}), ${JSON.stringify(value)}`, where);
}

function stringMap(value, where) {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw typeError(where, 'map', value);
  for (const [k, v] of Object.entries(value)) if (typeof v !== 'string') throw typeError(`${where}[${k}]`, 'TYPE_STRING', v);
  return value;
}

function resourceOf(value, where) {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw typeError(where, 'type.googleapis.com/google.api.MonitoredResource', value);
  const r = canonicalKeys(value, ['type', 'labels'], where);
  if (r.type !== undefined && typeof r.type !== 'string') throw typeError(`${where}.type`, 'TYPE_STRING', r.type);
  stringMap(r.labels, `${where}.labels`);
  return r;
}

// RFC 3339 -> nanoseconds since the epoch (BigInt); throws ParseError.
function parseTimestamp(text, where) {
  const m = typeof text === 'string' &&
    /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|([+-])(\d{2}):(\d{2}))$/.exec(text);
  const bad = () => new ParseError(`Invalid value at '${where}' (type.googleapis.com/google.protobuf.Timestamp), Field '${where}', ` +
    `Illegal timestamp format; timestamps must end with 'Z' or have a valid timezone offset.`, where);
  if (!m) throw bad();
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(ms);
  if (y < 1 || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) throw bad();
  let ns = BigInt(ms) * 1000000n + BigInt((m[7] || '').padEnd(9, '0') || '0');
  if (m[9]) ns -= BigInt((m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11])) * 60) * 1000000000n;
  return ns;
}

// Nanoseconds -> RFC 3339 UTC with 0, 3, 6 or 9 fractional digits (proto JSON).
function formatTimestamp(ns) {
  const ms = Number(ns / 1000000n);
  const frac = (ns % 1000000000n + 1000000000n) % 1000000000n;
  const base = new Date(ms - Number(frac / 1000000n)).toISOString().slice(0, 19);
  if (frac === 0n) return `${base}Z`;
  let digits = frac.toString().padStart(9, '0');
  while (digits.endsWith('000')) digits = digits.slice(0, -3);
  return `${base}.${digits}Z`;
}

function sizeText(bytes) {
  return bytes >= 1024 * 1024 ? `${(bytes / 1048576).toFixed(2)}M` : `${(bytes / 1024).toFixed(1)}K`;
}

// Converts one JSON entry to its canonical form; throws ParseError like the
// JSON-to-proto conversion would.
function convertEntry(raw, i) {
  const where = `entries[${i}]`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw typeError(where, 'type.googleapis.com/google.logging.v2.LogEntry', raw);
  const e = canonicalKeys(raw, kEntryFields, where);
  const payloads = kPayloads.filter((p) => e[p] !== undefined);
  if (payloads.length > 1) {
    throw new ParseError(`Invalid JSON payload received. Oneof field 'payload' is already set. Cannot set '${payloads[1]}'`, where);
  }
  for (const f of ['textPayload', 'insertId', 'trace', 'spanId', 'logName']) {
    if (e[f] !== undefined && typeof e[f] !== 'string') throw typeError(`${where}.${snake(f)}`, 'TYPE_STRING', e[f]);
  }
  if (e.traceSampled !== undefined && typeof e.traceSampled !== 'boolean') throw typeError(`${where}.trace_sampled`, 'TYPE_BOOL', e.traceSampled);
  for (const f of ['jsonPayload', 'protoPayload', 'httpRequest', 'sourceLocation', 'operation']) {
    if (e[f] !== undefined && (typeof e[f] !== 'object' || e[f] === null || Array.isArray(e[f]))) throw typeError(`${where}.${snake(f)}`, 'TYPE_MESSAGE', e[f]);
  }
  if (e.protoPayload !== undefined && typeof e.protoPayload['@type'] !== 'string') {
    throw new ParseError(`Invalid value at '${where}.proto_payload' (type.googleapis.com/google.protobuf.Any), missing "@type"`, where);
  }
  if (e.severity !== undefined) {
    const sev = typeof e.severity === 'number' ? Object.keys(kSeverities).find((k) => kSeverities[k] === e.severity) : e.severity;
    if (!(sev in kSeverities)) throw typeError(`${where}.severity`, 'type.googleapis.com/google.logging.type.LogSeverity', e.severity);
    e.severity = sev;
  }
  stringMap(e.labels, `${where}.labels`);
  e.resource = resourceOf(e.resource, `${where}.resource`);
  if (e.timestamp !== undefined) e.timestampNs = parseTimestamp(e.timestamp, `${where}.timestamp`);
  return e;
}

// The rule an entry breaks, as {code, message}, or null; pushes warnings.
function entryProblem(e, projects, now, warnings) {
  if (!e.logName) return { code: kGrpc.INVALID_ARGUMENT, message: 'Log entry has no log name (stand-in)' };
  const m = /^\/?projects\/([^/]+)\/logs\/([^/]+)$/.exec(e.logName);
  if (!m) return { code: kGrpc.INVALID_ARGUMENT, message: `Log name "${e.logName}" is not projects/[PROJECT_ID]/logs/[LOG_ID] with [LOG_ID] URL-encoded (stand-in)` };
  let logId;
  try {
    logId = decodeURIComponent(m[2]);
  } catch (err) {
    return { code: kGrpc.INVALID_ARGUMENT, message: `Log name contains a malformed %-escape (stand-in)` };
  }
  const illegal = /[^A-Za-z0-9/_\-.]/.exec(logId);
  if (illegal) return { code: kGrpc.INVALID_ARGUMENT, message: `Log name contains illegal character ${illegal[0]}` };
  if (logId.length >= 512) return { code: kGrpc.INVALID_ARGUMENT, message: 'Log name is too long (stand-in: [LOG_ID] must be under 512 characters)' };
  e.project = m[1];
  e.logName = e.logName.replace(/^\//, ''); // accepted for backward compatibility, stored without
  if (!projects.includes(e.project)) return { code: kGrpc.PERMISSION_DENIED, message: kPermissionDenied };
  if (!e.resource || !e.resource.type) return { code: kGrpc.INVALID_ARGUMENT, message: 'Log entry has no monitored resource type (stand-in)' };
  const keys = kResourceTypes[e.resource.type];
  if (!keys) return { code: kGrpc.INVALID_ARGUMENT, message: `Unknown monitored resource type "${e.resource.type}" (stand-in)` };
  for (const k of Object.keys(e.resource.labels || {})) if (!keys.includes(k)) warnings.push(`unknown_resource_label:${k}`);
  const size = Buffer.byteLength(JSON.stringify(e.original), 'utf8');
  if (size > kMaxEntryBytes) return { code: kGrpc.INVALID_ARGUMENT, message: `Log entry with size ${sizeText(size)} exceeds maximum size of 256.0K` };
  if (e.timestampNs !== undefined && e.timestampNs > BigInt(now) * 1000000n + kDayNs) {
    return { code: kGrpc.INVALID_ARGUMENT, message: 'Timestamp is over a day in the future' };
  }
  if (e.insertId === undefined || e.insertId === '') warnings.push('no_insert_id');
  if (e.trace !== undefined && !/^projects\/[^/]+\/traces\/[0-9a-f]{32}$/.test(e.trace)) warnings.push('trace_not_resource_name');
  if (e.spanId !== undefined && !/^[0-9a-f]{16}$/.test(e.spanId)) warnings.push('span_id_not_16_hex');
  if (!kPayloads.some((p) => e[p] !== undefined)) warnings.push('no_payload');
  return null;
}

// A scripted per-entry failure: jsonPayload.standin_fail (or a textPayload
// containing "standin_fail=") of "<gRPC code>" always fails the entry with
// that code, "<code>x<N>" only the first N times the same entry arrives.
function scriptedFailure(e, attempts) {
  const text = e.jsonPayload?.standin_fail ?? (/standin_fail=(\d+(?:x\d+)?)/.exec(e.textPayload || '') || [])[1];
  if (typeof text !== 'string') return null;
  const [code, times] = text.split('x');
  const key = JSON.stringify(e.original);
  const seen = (attempts.get(key) || 0) + 1;
  attempts.set(key, seen);
  if (times !== undefined && seen > Number(times)) return null;
  return { code: Number(code), message: `scripted failure with code ${code} (stand-in)` };
}

class EntriesService {
  constructor({ projects, retentionDays, strict }) {
    this.projects = projects;
    this.retentionNs = BigInt(retentionDays) * kDayNs;
    this.strict = strict;
    this.seen = new Set();
    this.attempts = new Map();
    this.insertCounter = 0;
  }

  // `body` is the parsed JSON. Returns {request, results} where request is
  // {partialSuccess, dryRun} and results[i] is {result: stored|duplicate|
  // outside_retention|error|not_written, code?, message?, warnings, entry}.
  write(body, now) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw typeError('', 'type.googleapis.com/google.logging.v2.WriteLogEntriesRequest', body);
    const req = canonicalKeys(body, kRequestFields, '');
    if (req.logName !== undefined && typeof req.logName !== 'string') throw typeError('log_name', 'TYPE_STRING', req.logName);
    const resource = resourceOf(req.resource, 'resource');
    const labels = stringMap(req.labels, 'labels');
    if (req.entries === undefined || (Array.isArray(req.entries) && req.entries.length === 0)) {
      throw new ParseError('Request has no log entries (stand-in; entries is a required field)', 'entries');
    }
    if (!Array.isArray(req.entries)) throw typeError('entries', 'TYPE_MESSAGE', req.entries);
    const entries = req.entries.map((raw, i) => Object.assign(convertEntry(raw, i), { original: raw }));
    const results = entries.map((e) => {
      e.logName = e.logName ?? req.logName;
      e.resource = e.resource ?? resource;
      if (labels) e.labels = Object.assign({}, labels, e.labels);
      const warnings = [];
      let problem = entryProblem(e, this.projects, now, warnings) || scriptedFailure(e, this.attempts);
      if (!problem && this.strict && warnings.length) problem = { code: kGrpc.INVALID_ARGUMENT, message: `strict: ${warnings.join(', ')} (stand-in)` };
      return problem ? { result: 'error', code: problem.code, message: problem.message, warnings, entry: e } : { result: 'ok', warnings, entry: e };
    });
    const partialSuccess = req.partialSuccess === true;
    const failed = results.some((r) => r.result === 'error');
    for (const r of results) {
      if (r.result !== 'ok') continue;
      if (req.dryRun === true || (failed && !partialSuccess)) {
        r.result = 'not_written';
        continue;
      }
      this.commit(r, now);
    }
    return { request: { partialSuccess, dryRun: req.dryRun === true }, results };
  }

  // Stores an accepted entry unless it is a duplicate or outside retention.
  commit(r, now) {
    const e = r.entry;
    const nowNs = BigInt(now) * 1000000n;
    const tsNs = e.timestampNs ?? nowNs;
    if (e.insertId === undefined || e.insertId === '') e.insertId = `standin-${++this.insertCounter}`;
    const key = `${e.project}\u0000${tsNs}\u0000${e.insertId}`;
    if (tsNs < nowNs - this.retentionNs) {
      r.result = 'outside_retention';
    } else if (this.seen.has(key)) {
      r.result = 'duplicate';
    } else {
      this.seen.add(key);
      r.result = 'stored';
    }
    r.stored = {
      logName: e.logName, resource: e.resource, timestamp: formatTimestamp(tsNs), receiveTimestamp: formatTimestamp(nowNs),
      severity: e.severity || 'DEFAULT', insertId: e.insertId,
    };
    for (const f of ['labels', ...kPayloads, 'trace', 'spanId', 'traceSampled', 'httpRequest', 'sourceLocation', 'operation']) {
      if (e[f] !== undefined) r.stored[f] = e[f];
    }
  }
}

module.exports = { EntriesService, ParseError, formatTimestamp, parseTimestamp, kGrpc };
