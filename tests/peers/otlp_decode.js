#!/usr/bin/env node
// Decodes an OTLP logs ExportLogsServiceRequest independently of sluice:
// protobufjs reading otlp_logs.proto (the official opentelemetry-proto v1
// messages), and for OTLP/JSON a check of the OTLP/JSON rules before
// protobufjs's fromObject.
//   node otlp_decode.js [FILE] [--json]     (stdin without FILE)
// Protobuf by default, OTLP/JSON with --json; a gzip body is inflated first.
// Prints one JSON line per log record:
//   {"resource":{attrs},"scope":{"name","version","attributes"},
//    "time_unix_nano":"<ns>","observed_time_unix_nano":"<ns>",
//    "severity_number":n,"severity_text":s,"body":<value>,"attributes":{...},
//    "trace_id":"<hex>","span_id":"<hex>","flags":n,"event_name":s}
// where an AnyValue becomes plain JSON (int64 a number when it is a safe
// integer, else a decimal string; bytes base64; no value null). Exits 1 with a
// message on input that is not a valid ExportLogsServiceRequest.
'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const protobuf = require('protobufjs');

const root = protobuf.loadSync(path.join(__dirname, 'otlp_logs.proto')); // field names become camelCase
const Request = root.lookupType('opentelemetry.proto.logs.v1.ExportLogsServiceRequest');

const fail = (where, msg) => { throw new Error(`${where}: ${msg}`); };
const camel = (s) => s.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

// OTLP/JSON (protobuf's JSON mapping with OTLP's changes) → an object for
// fromObject: keys lowerCamelCase only, enums integers, 64-bit integers numbers
// or decimal strings, traceId/spanId hex, other bytes base64. Unknown keys are
// ignored, as OTLP/JSON receivers must.
function fromJsonMessage(type, obj, where) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) fail(where, `expected an object for ${type.name}`);
  const out = {};
  for (const [key, v] of Object.entries(obj)) {
    const field = type.fields[key];
    if (!field) {
      if (key !== camel(key) && type.fields[camel(key)]) fail(`${where}.${key}`, `OTLP/JSON keys are lowerCamelCase: ${camel(key)}`);
      continue;
    }
    if (v === null) continue; // null means the default value
    if (field.repeated) {
      if (!Array.isArray(v)) fail(`${where}.${key}`, 'expected an array');
      out[key] = v.map((x, i) => fromJsonValue(field, x, `${where}.${key}[${i}]`));
    } else {
      out[key] = fromJsonValue(field, v, `${where}.${key}`);
    }
  }
  for (const oneof of type.oneofsArray) {
    const set = oneof.oneof.filter((k) => k in out);
    if (set.length > 1) fail(where, `more than one of ${set.join(', ')}`);
  }
  return out;
}

function fromJsonInteger(v, where, min, max) {
  const ok = (typeof v === 'number' && Number.isInteger(v)) || (typeof v === 'string' && /^-?[0-9]+$/.test(v));
  if (!ok) fail(where, `expected an integer (number or decimal string), got ${JSON.stringify(v)}`);
  // JSON.parse has already rounded a larger number; refuse it rather than
  // print a wrong value (protobuf's JSON mapping writes 64-bit ints as strings).
  if (typeof v === 'number' && !Number.isSafeInteger(v)) fail(where, `${v} is past 2^53 as a JSON number; write it as a decimal string`);
  const n = BigInt(v);
  if (n < min || n > max) fail(where, `${v} is out of range`);
  return String(n);
}

function fromJsonValue(field, v, where) {
  const t = field.resolvedType;
  if (t instanceof protobuf.Enum) {
    if (!Number.isInteger(v)) fail(where, `enums are integers in OTLP/JSON, got ${JSON.stringify(v)}`);
    return v;
  }
  if (t) return fromJsonMessage(t, v, where);
  switch (field.type) {
    case 'string':
      if (typeof v !== 'string') fail(where, 'expected a string');
      return v;
    case 'bool':
      if (typeof v !== 'boolean') fail(where, 'expected true or false');
      return v;
    case 'double':
      if (typeof v !== 'number' && !['NaN', 'Infinity', '-Infinity'].includes(v)) fail(where, 'expected a number');
      return v;
    case 'int64': return fromJsonInteger(v, where, -(2n ** 63n), 2n ** 63n - 1n);
    case 'fixed64': return fromJsonInteger(v, where, 0n, 2n ** 64n - 1n);
    case 'uint32': case 'fixed32': return Number(fromJsonInteger(v, where, 0n, 2n ** 32n - 1n));
    case 'bytes':
      if (typeof v !== 'string') fail(where, 'expected a string');
      // OTLP/JSON's exception to the protobuf mapping: trace and span ids are hex.
      if (field.name === 'traceId' || field.name === 'spanId') {
        if (!/^([0-9a-fA-F]{2})*$/.test(v)) fail(where, `expected hex, got ${JSON.stringify(v)}`);
        return Buffer.from(v, 'hex');
      }
      if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) fail(where, 'expected base64');
      return Buffer.from(v, 'base64');
    default:
      return fail(where, `unhandled type ${field.type}`);
  }
}

// AnyValue → plain JSON.
function plain(v) {
  if (!v || !v.value) return null;
  const x = v[v.value];
  switch (v.value) {
    case 'intValue': return Number.isSafeInteger(Number(x)) ? Number(x) : x;
    case 'doubleValue': return Number.isFinite(x) ? x : String(x);
    case 'bytesValue': return Buffer.from(x).toString('base64');
    case 'arrayValue': return (x.values || []).map(plain);
    case 'kvlistValue': return attrs(x.values, 'kvlistValue');
    default: return x; // stringValue, boolValue
  }
}

function attrs(list, where) {
  const out = {};
  for (const kv of list || []) {
    // Keys must be unique (OTLP's data model); a duplicate would hide one value.
    if (Object.prototype.hasOwnProperty.call(out, kv.key)) fail(where, `duplicate key ${JSON.stringify(kv.key)}`);
    out[kv.key] = plain(kv.value);
  }
  return out;
}

function id(bytes, size, where) {
  if (bytes.length !== 0 && bytes.length !== size) fail(where, `must be ${size} bytes or empty, got ${bytes.length}`);
  return Buffer.from(bytes).toString('hex');
}

function records(req) {
  const lines = [];
  for (const [r, rl] of req.resourceLogs.entries()) {
    const resource = attrs(rl.resource && rl.resource.attributes, `resourceLogs[${r}].resource`);
    for (const [s, sl] of rl.scopeLogs.entries()) {
      const sc = sl.scope || {};
      const scope = { name: sc.name || '', version: sc.version || '', attributes: attrs(sc.attributes, 'scope') };
      for (const [i, lr] of sl.logRecords.entries()) {
        const where = `resourceLogs[${r}].scopeLogs[${s}].logRecords[${i}]`;
        lines.push({
          resource, scope,
          time_unix_nano: lr.timeUnixNano,
          observed_time_unix_nano: lr.observedTimeUnixNano,
          severity_number: lr.severityNumber,
          severity_text: lr.severityText,
          body: plain(lr.body),
          attributes: attrs(lr.attributes, `${where}.attributes`),
          trace_id: id(lr.traceId, 16, `${where}.traceId`),
          span_id: id(lr.spanId, 8, `${where}.spanId`),
          flags: lr.flags,
          event_name: lr.eventName,
        });
      }
    }
  }
  return lines;
}

function main() {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const file = args.find((a) => a !== '--json');
  let body = fs.readFileSync(file === undefined || file === '-' ? 0 : file);
  const kind = json ? 'OTLP/JSON' : 'protobuf';
  try {
    // 0x1f 0x8b starts no valid protobuf (field 3, wire type 7) nor JSON.
    if (body[0] === 0x1f && body[1] === 0x8b) body = zlib.gunzipSync(body);
    let msg;
    if (json) {
      let parsed;
      try {
        parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
      } catch (e) { fail('body', `not UTF-8 JSON: ${e.message}`); }
      msg = Request.fromObject(fromJsonMessage(Request, parsed, 'request'));
    } else {
      // Throws on malformed wire data, and (protobufjs 8, proto3) on a string
      // field that is not valid UTF-8.
      msg = Request.decode(body);
    }
    // defaults: unset scalars as their zero values ("0" for 64-bit ones);
    // oneofs: AnyValue.value names the member that is set.
    const req = Request.toObject(msg, { longs: String, defaults: true, oneofs: true });
    const out = records(req).map((l) => JSON.stringify(l)).join('\n');
    if (out) process.stdout.write(out + '\n');
  } catch (e) {
    process.stderr.write(`otlp_decode: not a valid ExportLogsServiceRequest (${kind}): ${e.message}\n`);
    process.exit(1);
  }
}

main();
