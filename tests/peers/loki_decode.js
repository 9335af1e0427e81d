#!/usr/bin/env node
// A stand-in for Grafana Loki's distributor push endpoint (POST
// /loki/api/v1/push), written from Loki's push.proto and its documented HTTP
// behaviour, for tests: no real Loki runs here. It decodes what sluice sends
// with implementations independent of sluice's: protobufjs reading
// loki_push.proto (a trimmed copy of grafana/loki pkg/push/push.proto),
// snappyjs for the snappy block format, node's zlib for gzip, and its own
// parser of the Prometheus-style label selector with Go string unquoting.
//
// Usage:
//   node loki_decode.js decode FILE [--json]    print the decoded request as JSON
//   node loki_decode.js serve --port P --out FILE [--answers 429,500,...]
//        [--retry-after S] [--reject-line TEXT] [--reject-tenant T]
//
// serve appends one JSON line per request to FILE:
//   {"n":1,"status":204,"tenant":"t","authorization":"Bearer x","content_type":"…",
//    "content_encoding":"…","streams":[{"selector":"{…}","labels":{…},
//    "entries":[{"ts":"<unix ns>","line":"…","metadata":{…}}]}]}
// and answers 204, except: the first requests get the statuses of --answers
// in order (429 and 503 with Retry-After: --retry-after, default 1; a 400
// with Loki's text), and a request with an entry whose line contains
// --reject-line gets Loki's 400 for out-of-order entries, and one for tenant
// --reject-tenant (X-Scope-OrgID) gets 400 too. An undecodable body
// or an invalid label selector gets 400 as Loki would answer it. It prints
// "listening" on stdout once it accepts connections.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const zlib = require('zlib');
const protobuf = require('protobufjs');
const snappy = require('snappyjs');

const root = protobuf.loadSync(path.join(__dirname, 'loki_push.proto'));
const PushRequest = root.lookupType('logproto.PushRequest');

// Go's strconv.Unquote for a double-quoted literal starting at s[i] === '"'.
// Returns [value, index after the closing quote].
function goUnquote(s, i) {
  if (s[i] !== '"') throw new Error(`expected '"' at ${i} in ${s}`);
  const bytes = [];
  const pushText = (t) => { for (const b of Buffer.from(t, 'utf8')) bytes.push(b); };
  const simple = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34, "'": 39 };
  i++;
  while (i < s.length && s[i] !== '"') {
    if (s[i] !== '\\') {
      const cp = s.codePointAt(i);
      if (cp < 0x20) throw new Error(`raw control character in quoted label value: ${JSON.stringify(s)}`);
      const ch = String.fromCodePoint(cp);
      pushText(ch);
      i += ch.length;
      continue;
    }
    const e = s[i + 1];
    if (e in simple) { bytes.push(simple[e]); i += 2; continue; }
    if (e === 'x') { bytes.push(parseInt(s.substr(i + 2, 2), 16)); i += 4; continue; }
    if (e === 'u') { pushText(String.fromCodePoint(parseInt(s.substr(i + 2, 4), 16))); i += 6; continue; }
    if (e === 'U') { pushText(String.fromCodePoint(parseInt(s.substr(i + 2, 8), 16))); i += 10; continue; }
    if (e >= '0' && e <= '7') { bytes.push(parseInt(s.substr(i + 1, 3), 8)); i += 4; continue; }
    throw new Error(`invalid escape \\${e} in ${s}`);
  }
  if (s[i] !== '"') throw new Error(`unterminated quoted value in ${s}`);
  return [Buffer.from(bytes).toString('utf8'), i + 1];
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

// `{a="1", b="x"}` → {a: "1", b: "x"}, as Loki's syntax.ParseLabels accepts it.
function parseSelector(s) {
  const labels = {};
  let i = 0;
  const skip = () => { while (s[i] === ' ') i++; };
  skip();
  if (s[i++] !== '{') throw new Error(`labels must start with '{': ${s}`);
  skip();
  while (s[i] !== '}') {
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new Error(`missing '=' in ${s}`);
    const name = s.slice(i, eq).trim();
    if (!LABEL_NAME.test(name)) throw new Error(`invalid label name '${name}' in ${s}`);
    if (name in labels) throw new Error(`duplicate label name '${name}' in ${s}`);
    i = eq + 1;
    skip();
    const [value, next] = goUnquote(s, i);
    labels[name] = value;
    i = next;
    skip();
    if (s[i] === ',') { i++; skip(); } else if (s[i] !== '}') throw new Error(`expected ',' or '}' at ${i} in ${s}`);
  }
  if (Object.keys(labels).length === 0) throw new Error('a stream needs at least one label');
  return labels;
}

function fromProtobuf(body) {
  const raw = Buffer.from(snappy.uncompress(body));
  const req = PushRequest.toObject(PushRequest.decode(raw), { longs: String, defaults: true });
  return req.streams.map((s) => ({
    selector: s.labels,
    labels: parseSelector(s.labels),
    entries: s.entries.map((e) => {
      const ts = e.timestamp || { seconds: '0', nanos: 0 };
      const entry = { ts: (BigInt(ts.seconds) * 1000000000n + BigInt(ts.nanos)).toString(), line: e.line };
      if (e.structuredMetadata.length > 0) {
        entry.metadata = {};
        for (const p of e.structuredMetadata) entry.metadata[p.name] = p.value;
      }
      return entry;
    }),
  }));
}

function fromJson(body) {
  const req = JSON.parse(body.toString('utf8'));
  return req.streams.map((s) => {
    for (const name of Object.keys(s.stream)) {
      if (!LABEL_NAME.test(name)) throw new Error(`invalid label name '${name}'`);
    }
    return {
      labels: s.stream,
      entries: s.values.map((v) => {
        if (typeof v[0] !== 'string' || !/^-?\d+$/.test(v[0])) throw new Error(`timestamp must be a string of ns: ${v[0]}`);
        const entry = { ts: v[0], line: v[1] };
        if (v.length > 2) entry.metadata = v[2];
        return entry;
      }),
    };
  });
}

// Loki decodes application/json as JSON and anything else as snappy protobuf.
function decode(body, contentType, contentEncoding) {
  if (contentEncoding === 'gzip') body = zlib.gunzipSync(body);
  else if (contentEncoding === 'deflate') body = zlib.inflateSync(body);
  else if (contentEncoding && contentEncoding !== 'snappy') throw new Error(`Content-Encoding ${contentEncoding} not supported`);
  return (contentType || '').startsWith('application/json') ? fromJson(body) : fromProtobuf(body);
}

function argValue(args, name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
}

function serve(args) {
  const port = Number(argValue(args, '--port'));
  const out = argValue(args, '--out');
  const answers = (argValue(args, '--answers', '') || '').split(',').filter(Boolean).map(Number);
  const retryAfter = argValue(args, '--retry-after', '1');
  const rejectLine = argValue(args, '--reject-line');
  const rejectTenant = argValue(args, '--reject-tenant');
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      n++;
      const record = {
        n,
        method: req.method,
        url: req.url,
        tenant: req.headers['x-scope-orgid'],
        authorization: req.headers.authorization,
        content_type: req.headers['content-type'],
        content_encoding: req.headers['content-encoding'],
      };
      let status = 204;
      let text = '';
      try {
        record.streams = decode(Buffer.concat(chunks), record.content_type, record.content_encoding);
      } catch (err) {
        status = 400;
        text = `loghttp: ${err.message}\n`;
      }
      if (status === 204 && req.url !== '/loki/api/v1/push') { status = 404; text = '404 page not found\n'; }
      const scripted = answers.shift();
      if (status === 204 && scripted) status = scripted;
      if (status === 204 && rejectLine) {
        for (const s of record.streams) {
          const bad = s.entries.filter((e) => e.line.includes(rejectLine));
          if (bad.length === 0) continue;
          status = 400;
          text += bad.map((e) => `entry with timestamp ${e.ts} ignored, reason: 'entry too far behind, ` +
            `entry timestamp is: ${e.ts}', user 'fake', total ignored: ${bad.length} out of ${s.entries.length} ` +
            `for stream: ${s.selector || JSON.stringify(s.labels)}`).join('\n') + '\n';
        }
      }
      if (status === 204 && rejectTenant && record.tenant === rejectTenant) {
        status = 400;
        text = `stream '{job="sluice"}' per-tenant limits: tenant '${rejectTenant}' is not allowed to push\n`;
      }
      if (status === 400 && !text) text = "entry for stream '{job=\"sluice\"}' has timestamp too old: 1970-01-01T00:00:00Z\n";
      if (status === 429 && !text) text = 'Ingestion rate limit exceeded for user fake (limit: 4194304 bytes/sec)\n';
      if (status >= 500 && !text) text = 'rpc error: code = Unavailable desc = ingester unavailable\n';
      record.status = status;
      fs.appendFileSync(out, JSON.stringify(record) + '\n');
      const headers = { 'Content-Type': 'text/plain; charset=utf-8' };
      if (status === 429 || status === 503) headers['Retry-After'] = retryAfter;
      res.writeHead(status, headers);
      res.end(status === 204 ? undefined : text);
    });
  });
  server.listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

function main() {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'decode') {
    const body = fs.readFileSync(args[0]);
    const streams = decode(body, args.includes('--json') ? 'application/json' : 'application/x-protobuf');
    process.stdout.write(JSON.stringify({ streams }) + '\n');
  } else if (mode === 'serve') {
    serve(args);
  } else {
    process.stderr.write('usage: loki_decode.js decode FILE [--json] | serve --port P --out FILE [...]\n');
    process.exit(2);
  }
}

main();
