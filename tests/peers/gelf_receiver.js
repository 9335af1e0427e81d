#!/usr/bin/env node
// A GELF receiver for sluice's end-to-end tests. UDP is received by graygelf's
// server (npm graygelf 2.0.0: it reassembles chunked messages and inflates
// gzip and zlib, independently of sluice). graygelf has no TCP server, so TCP
// and TLS are a small node net/tls server that splits the stream on NUL bytes
// and JSON.parses each frame, as Graylog's GELF TCP input does; and HTTP is a
// node http stand-in for Graylog's GELF HTTP input (POST /gelf, one message
// per request, gzip or deflate Content-Encoding, 202 Accepted, 400 for bad JSON).
//
// Usage:
//   node gelf_receiver.js --out FILE [--datagrams FILE] [--udp] [--tcp]
//        [--tls --cert F --key F [--ca F]] [--http [--http-fail N]]
//
// Listens on 127.0.0.1 with ports chosen by the system and prints one line
//   listening udp=P tcp=P tls=P http=P
// on stdout once bound. --http-fail N answers the first N requests with 503. Appends to --out one JSON line per message
// (HTTP ones with their encoding, and the Authorization and X-Source headers when sent):
//   {"via":"udp|tcp|tls","msg":{...the GELF message...}}
// or, for a frame that is not valid GELF JSON, {"via":…,"error":"…","raw":"…"}.
// With --datagrams, one JSON line per UDP datagram as it arrived:
//   {"size":N,"magic":"1e0f|1f8b|78..|7b..","id":"<16 hex>","seq":n,"count":n}
// With --ca, TLS clients must present a certificate signed by it; lines from
// TLS connections then carry "peer_cn".
'use strict';

const dgram = require('dgram');
const fs = require('fs');
const http = require('http');
const net = require('net');
const tls = require('tls');
const zlib = require('zlib');
const GrayGelfServer = require('graygelf/server');

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const key = a.slice(2);
    if (['udp', 'tcp', 'tls', 'http'].includes(key)) args[key] = true;
    else args[key] = argv[++i];
  }
  if (!args.out) throw new Error('--out FILE is required');
  return args;
}

const args = parseArgs(process.argv.slice(2));

function record(line) {
  fs.appendFileSync(args.out, JSON.stringify(line) + '\n');
}

function validGelf(msg) {
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return 'not a JSON object';
  if (msg.version !== '1.1') return 'version is not "1.1"';
  if (typeof msg.host !== 'string' || msg.host === '') return 'host missing';
  if (typeof msg.short_message !== 'string' || msg.short_message === '') return 'short_message missing or empty';
  for (const [k, v] of Object.entries(msg)) {
    if (k === '_id') return '_id is reserved';
    if (!['version', 'host', 'short_message', 'full_message', 'timestamp', 'level'].includes(k)) {
      if (!/^_[\w.\-]*$/.test(k)) return `bad additional field name ${k}`;
      if (typeof v !== 'string' && typeof v !== 'number') return `field ${k} is neither string nor number`;
    }
  }
  return null;
}

function receive(via, text, extra) {
  let msg;
  try {
    msg = JSON.parse(text);
  } catch (e) {
    return record({ via, error: `invalid JSON: ${e.message}`, raw: text.slice(0, 500) });
  }
  const problem = validGelf(msg);
  if (problem) return record({ via, error: problem, raw: text.slice(0, 500) });
  record(Object.assign({ via, msg }, extra));
}

// A UDP port nobody is bound to now: graygelf's listen() can't be asked for
// one (it reads port 0 as "use 12201", which parallel tests would share).
function freeUdpPort() {
  return new Promise((resolve, reject) => {
    const probe = dgram.createSocket('udp4');
    probe.once('error', reject);
    probe.bind(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

// Binds graygelf's server to a free port, trying again if another process
// took the port between probing and binding.
async function listenUdp() {
  for (let attempt = 0; ; attempt++) {
    const port = await freeUdpPort();
    const server = new GrayGelfServer();
    // graygelf re-emits its socket's errors; a bind error is only a reason to
    // try another port, later ones are recorded.
    let bound = false;
    server.on('error', (e) => bound && record({ via: 'udp', error: String(e) }));
    server.listen(port, '127.0.0.1');
    bound = await new Promise((resolve, reject) => {
      server._udp.once('listening', () => resolve(true));
      server._udp.once('error', (e) => (attempt >= 20 ? reject(e) : resolve(false)));
    });
    if (!bound) {
      clearInterval(server._chunkInterval);
      continue;
    }
    server.on('message', (msg) => receive('udp', JSON.stringify(msg)));
    if (args.datagrams) {
      server.on('data', (buf) => {
        const d = { size: buf.length, magic: buf.slice(0, 2).toString('hex') };
        if (buf[0] === 0x1e && buf[1] === 0x0f) {
          d.id = buf.slice(2, 10).toString('hex');
          d.seq = buf[10];
          d.count = buf[11];
        }
        fs.appendFileSync(args.datagrams, JSON.stringify(d) + '\n');
      });
    }
    return port;
  }
}

// Graylog's GELF TCP framing: each message ends with a NUL byte.
function onStream(via, socket, extra) {
  let pending = Buffer.alloc(0);
  socket.on('data', (data) => {
    pending = Buffer.concat([pending, data]);
    let at;
    while ((at = pending.indexOf(0)) >= 0) {
      receive(via, pending.slice(0, at).toString('utf8'), extra);
      pending = pending.slice(at + 1);
    }
  });
  socket.on('error', () => {});
}

function listenStream(via) {
  let server;
  if (via === 'tls') {
    const options = { cert: fs.readFileSync(args.cert), key: fs.readFileSync(args.key) };
    if (args.ca) Object.assign(options, { ca: fs.readFileSync(args.ca), requestCert: true, rejectUnauthorized: true });
    server = tls.createServer(options, (socket) => {
      const cert = socket.getPeerCertificate();
      onStream(via, socket, cert && cert.subject ? { peer_cn: cert.subject.CN } : {});
    });
    server.on('tlsClientError', (e) => process.stderr.write(`tls client error: ${e.message}\n`));
  } else {
    server = net.createServer((socket) => onStream(via, socket, {}));
  }
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

function listenHttp() {
  let failures = Number(args['http-fail'] || 0);
  const server = http.createServer((req, res) => {
    const parts = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/gelf') {
        res.writeHead(404);
        return res.end();
      }
      if (failures > 0) {
        failures--;
        res.writeHead(503);
        return res.end('service unavailable');
      }
      const encoding = req.headers['content-encoding'] || 'identity';
      let text;
      try {
        let body = Buffer.concat(parts);
        if (encoding === 'gzip') body = zlib.gunzipSync(body);
        else if (encoding === 'deflate') body = zlib.inflateSync(body);
        text = body.toString('utf8');
        JSON.parse(text);
      } catch (e) {
        record({ via: 'http', error: `bad request: ${e.message}` });
        res.writeHead(400);
        return res.end('bad request');
      }
      const extra = { encoding };
      if (req.headers.authorization) extra.authorization = req.headers.authorization;
      if (req.headers['x-source']) extra.x_source = req.headers['x-source'];
      receive('http', text, extra);
      res.writeHead(202);
      res.end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

(async () => {
  const ports = [];
  if (args.udp) ports.push(`udp=${await listenUdp()}`);
  if (args.tcp) ports.push(`tcp=${await listenStream('tcp')}`);
  if (args.tls) ports.push(`tls=${await listenStream('tls')}`);
  if (args.http) ports.push(`http=${await listenHttp()}`);
  process.stdout.write(`listening ${ports.join(' ')}\n`);
})();
