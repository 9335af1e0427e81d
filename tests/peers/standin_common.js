// What the cloud stand-ins (cloudwatch_standin.js, google_standin.js,
// azure_standin.js) share:
// command-line parsing, the scripted-fault control file, JSON-lines output
// files, bounded body reading with gzip, and listen/shutdown. Node stdlib only.
'use strict';

const fs = require('fs');
const http = require('http');
const https = require('https');
const net = require('net');
const zlib = require('zlib');

// Parses "--name value" pairs. Names in `booleans` take no value; names in
// `repeated` collect every occurrence into an array. Unknown names are refused
// so that a typo in a test's command line fails loudly.
function parseArgs(argv, { known, booleans = [], repeated = [] }) {
  const args = {};
  for (const name of repeated) args[name] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const name = a.slice(2);
    if (!known.includes(name) && !booleans.includes(name)) throw new Error(`unknown option --${name}`);
    if (booleans.includes(name)) {
      args[name] = true;
      continue;
    }
    if (i + 1 >= argv.length) throw new Error(`--${name} needs a value`);
    const value = argv[++i];
    if (repeated.includes(name)) args[name].push(value);
    else args[name] = value;
  }
  return args;
}

// An append-only JSON-lines file, written synchronously so that a line is on
// disk before the answer it describes is sent (tests read the file as soon as
// their client got the answer). A null path makes a sink that drops lines.
class JsonLines {
  constructor(path) {
    this.fd = path ? fs.openSync(path, 'a') : null;
  }

  write(obj) {
    if (this.fd !== null) fs.writeSync(this.fd, JSON.stringify(obj) + '\n');
  }
}

// The --control file: {"faults": [F, ...]}, read again whenever its mtime
// changes (which replaces the queue). Each F applies to the next F.count
// (default 1) requests it matches; `matches(F)` decides which requests a fault
// is for (an operation or an endpoint), so faults for different operations
// don't consume each other.
class FaultQueue {
  constructor(path) {
    this.path = path;
    this.mtime = null;
    this.faults = [];
  }

  reload() {
    if (!this.path) return;
    let stat;
    try {
      stat = fs.statSync(this.path);
    } catch (e) {
      return;
    }
    if (stat.mtimeMs === this.mtime) return;
    this.mtime = stat.mtimeMs;
    const text = fs.readFileSync(this.path, 'utf8');
    const parsed = text.trim() ? JSON.parse(text) : {};
    this.faults = (parsed.faults || []).map((f) => Object.assign({}, f));
  }

  next(matches) {
    this.reload();
    for (const fault of this.faults) {
      const left = fault.count === undefined ? 1 : fault.count;
      if (left <= 0 || !matches(fault)) continue;
      fault.count = left - 1;
      return fault;
    }
    return null;
  }
}

class BodyTooLarge extends Error {}

// Reads a request body of at most `limit` bytes (as received). Past the limit
// it stops buffering and rejects with BodyTooLarge once the client is done
// sending, so the caller can still answer.
function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const parts = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else parts.push(chunk);
    });
    req.on('end', () => (tooLarge ? reject(new BodyTooLarge(`body over ${limit} bytes`)) : resolve(Buffer.concat(parts))));
    req.on('error', reject);
  });
}

// Undoes Content-Encoding (identity or gzip). Throws on an unsupported
// encoding or a corrupt stream; `maxOutput` bounds what a gzip bomb can cost.
function decodeBody(raw, encoding, maxOutput) {
  const enc = (encoding || 'identity').trim().toLowerCase();
  if (enc === 'identity' || enc === '') return raw;
  if (enc === 'gzip' || enc === 'x-gzip') return zlib.gunzipSync(raw, { maxOutputLength: maxOutput });
  throw new Error(`unsupported Content-Encoding ${encoding}`);
}

// Closes the connection without an HTTP answer, as a crashed or unreachable
// server would look to the client.
function dropConnection(req) {
  req.socket.destroy();
}

// Listens on 127.0.0.1:port (0 = any free port), prints "listening <port>" on
// stdout once connections are accepted, and exits 0 on SIGTERM/SIGINT after
// closing the listener and every open connection. With tls = {cert, key}
// (PEM) the port speaks HTTPS as well as HTTP, told apart by each
// connection's first byte (0x16 opens a TLS handshake), for clients that
// insist on https:// (Microsoft's) next to ones that need http:// (a VM's
// metadata service).
function serve(handler, port, beforeReady, { tls } = {}) {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 30000;
  let listener = server;
  const sockets = new Set();
  if (tls) {
    const secure = https.createServer({ cert: tls.cert, key: tls.key }, handler);
    secure.keepAliveTimeout = 30000;
    listener = net.createServer((socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.once('data', (first) => {
        socket.pause();
        socket.unshift(first);
        (first[0] === 0x16 ? secure : server).emit('connection', socket);
        process.nextTick(() => socket.resume());
      });
    });
  }
  listener.listen(Number(port), '127.0.0.1', () => {
    const bound = listener.address().port;
    if (beforeReady) beforeReady(bound);
    process.stdout.write(`listening ${bound}\n`);
  });
  const stop = () => {
    listener.close(() => process.exit(0));
    if (listener === server) server.closeAllConnections();
    for (const socket of sockets) socket.destroy();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return server;
}

function sleep(seconds) {
  return new Promise((resolve) => setTimeout(resolve, seconds * 1000));
}

module.exports = { parseArgs, JsonLines, FaultQueue, BodyTooLarge, readBody, decodeBody, dropConnection, serve, sleep };
