#!/usr/bin/env node
// An OTLP/HTTP logs endpoint for the opentelemetry output's tests (a stand-in
// for the OpenTelemetry Collector's otlphttp receiver, written from the OTLP
// specification): POST /v1/logs with Content-Type application/x-protobuf,
// optionally gzip or zstd (each saved body's encoding is printed as
// "encoding E"). Each body it accepts is saved, inflated, as
// DIR/body-N.pb (N from 1) for otlp_decode.js to read; it answers 200 with
// an empty ExportLogsServiceResponse.
//   node otlp_receiver.js DIR [--fail-first N] [--status CODE]
// --fail-first N: the first N requests are answered CODE (default 503, with
// Retry-After: 1) and not saved, as a receiver that is overloaded or down.
// A wrong path is 404, a wrong Content-Type 415. Prints "listening PORT".
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const zlib = require('zlib');
const { execFileSync } = require('child_process');

const dir = process.argv[2];
let failFirst = 0;
let failStatus = 503;
for (let i = 3; i < process.argv.length; i++) {
  if (process.argv[i] === '--fail-first') failFirst = Number(process.argv[++i]);
  else if (process.argv[i] === '--status') failStatus = Number(process.argv[++i]);
}
if (!dir) {
  console.error('usage: otlp_receiver.js DIR [--fail-first N] [--status CODE]');
  process.exit(2);
}

let requests = 0;
let saved = 0;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    requests += 1;
    if (req.method !== 'POST' || req.url !== '/v1/logs') {
      res.writeHead(404).end();
      return;
    }
    if (!/^application\/x-protobuf\b/.test(req.headers['content-type'] || '')) {
      res.writeHead(415).end();
      return;
    }
    if (requests <= failFirst) {
      res.writeHead(failStatus, { 'Retry-After': '1', 'Content-Type': 'application/x-protobuf' }).end();
      return;
    }
    let body = Buffer.concat(chunks);
    const encoding = req.headers['content-encoding'];
    if (encoding === 'gzip') body = zlib.gunzipSync(body);
    // Node 20 has no zstd: the zstd CLI (Debian's zstd package) decodes it.
    else if (encoding === 'zstd') body = execFileSync('zstd', ['-d', '-c', '-q'], { input: body });
    else if (encoding) {
      res.writeHead(415).end();
      return;
    }

    saved += 1;
    fs.writeFileSync(path.join(dir, `body-${saved}.pb`), body);
    console.log(`encoding ${encoding || 'identity'}`);
    res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
