// The PutLogs body rules of oci_standin.js, from OCI's Logging Ingestion API
// reference (PutLogsDetails, LogEntryBatch, LogEntry; the SDKs' models mark
// specversion, logEntryBatches, entries, source, type, defaultlogentrytime,
// id and data mandatory) and protocols.md section 8. Pure: a parsed body in,
// the entries to store or the first error out.
'use strict';

// "Each entry should be less than 1 MB size" (LogEntry); measured here as
// the UTF-8 bytes of data.
const kMaxEntryBytes = 1024 * 1024;
const kUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// RFC 3339 date-time: a full date and time, seconds, optional fraction, Z or an offset.
const kRfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

class InvalidBody extends Error {
  constructor(code, message) {
    super(message);
    this.status = 400;
    this.code = code; // InvalidParameter, MissingParameter
  }
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function requireString(obj, name, where) {
  if (obj[name] === undefined || obj[name] === null) throw new InvalidBody('MissingParameter', `${where}.${name} is required.`);
  if (typeof obj[name] !== 'string') throw new InvalidBody('InvalidParameter', `${where}.${name} must be a string.`);
  return obj[name];
}

function requireTime(obj, name, where, required) {
  if (!required && (obj[name] === undefined || obj[name] === null)) return null;
  const value = requireString(obj, name, where);
  if (!kRfc3339.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InvalidBody('InvalidParameter', `${where}.${name} "${value}" is not an RFC 3339 date-time.`);
  }
  return value;
}

// The entries of a PutLogsDetails, each with its batch's source, type,
// subject and time ({time: the entry's, or the batch's defaultlogentrytime}).
// Throws InvalidBody on the first problem (OCI refuses the whole request).
function readPutLogs(body) {
  if (!isObject(body)) throw new InvalidBody('InvalidParameter', 'The request body must be a PutLogsDetails object.');
  const spec = requireString(body, 'specversion', 'putLogsDetails');
  if (spec !== '1.0') throw new InvalidBody('InvalidParameter', `putLogsDetails.specversion "${spec}" is not supported; use "1.0".`);
  const batches = body.logEntryBatches;
  if (batches === undefined || batches === null) throw new InvalidBody('MissingParameter', 'putLogsDetails.logEntryBatches is required.');
  if (!Array.isArray(batches) || batches.length === 0) {
    throw new InvalidBody('InvalidParameter', 'putLogsDetails.logEntryBatches must be a non-empty array.');
  }
  const entries = [];
  batches.forEach((batch, b) => {
    const where = `logEntryBatches[${b}]`;
    if (!isObject(batch)) throw new InvalidBody('InvalidParameter', `${where} must be an object.`);
    const source = requireString(batch, 'source', where);
    const type = requireString(batch, 'type', where);
    if (!source) throw new InvalidBody('InvalidParameter', `${where}.source must not be empty.`);
    if (!type) throw new InvalidBody('InvalidParameter', `${where}.type must not be empty.`);
    const subject = batch.subject === undefined || batch.subject === null ? null : requireString(batch, 'subject', where);
    const defaultTime = requireTime(batch, 'defaultlogentrytime', where, true);
    if (!Array.isArray(batch.entries)) {
      throw new InvalidBody(batch.entries === undefined ? 'MissingParameter' : 'InvalidParameter', `${where}.entries must be an array.`);
    }
    batch.entries.forEach((entry, e) => {
      const at = `${where}.entries[${e}]`;
      if (!isObject(entry)) throw new InvalidBody('InvalidParameter', `${at} must be an object.`);
      const id = requireString(entry, 'id', at);
      if (!kUuid.test(id)) throw new InvalidBody('InvalidParameter', `${at}.id "${id}" is not a UUID.`);
      const data = requireString(entry, 'data', at);
      const bytes = Buffer.byteLength(data, 'utf8');
      if (bytes >= kMaxEntryBytes) {
        throw new InvalidBody('InvalidParameter', `${at}.data is ${bytes} bytes; a log entry must be less than 1 MB.`);
      }
      const time = requireTime(entry, 'time', at, false);
      entries.push({ batch: b, entry: e, source, type, subject, defaultlogentrytime: defaultTime, id,
        time: time || defaultTime, time_given: time !== null, data });
    });
  });
  return { batches: batches.length, entries };
}

module.exports = { readPutLogs, InvalidBody, kMaxEntryBytes };
