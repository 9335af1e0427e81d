#!/usr/bin/env node
// A Forward-protocol server (Fluentd's in_forward, as its specification
// "Forward Protocol Specification v1" describes it) for the forward output's
// end-to-end tests: no Fluentd runs here. MessagePack is decoded by npm's
// msgpack-lite (the library npm's fluent-logger uses), not by sluice's code;
// the handshake's digests are computed with node's crypto as the
// specification defines them. Invented wording is marked "(stand-in)".
//
// Usage:
//   node forward_receiver.js --port 0 [--log F] [--store F] [--control F]
//        [--shared-key K [--server-hostname H] [--user U --password P] [--no-keepalive]]
//        [--tls --cert F --key F] [--path SOCKET]
// Prints "listening <port>" once bound ("listening 0" on --path, a unix
// socket listened on instead of the port). SIGTERM exits 0.
//
// Every mode is read: Message [tag, time, record, option?], Forward [tag,
// [[time, record], ...], option?], PackedForward [tag, bin|str, option?] and
// CompressedPackedForward (option compressed: "gzip"). An option with a
// chunk is acknowledged {"ack": chunk} after the entries are stored.
// With --shared-key, every connection starts with ["HELO", {nonce, auth,
// keepalive}] and must answer ["PING", ...]; a wrong digest (or user) gets
// ["PONG", false, reason, "", ""] and the connection closed.
//
// --store F, one JSON line per entry:
//   {"conn":n,"msg":m,"tag","mode","time":{"sec","nsec"}|number,"record",
//    "options"}  (EventTime as sec/nsec; an integer or float time as sent)
// --log F, one JSON line per event:
//   {"conn":n,"event":"connect"|"handshake"|"message"|"held"|"close"|"error", ...}
//   message: {"msg":m,"mode","entries","options","acked":bool,"fault"}
//   handshake: {"ok":bool,"reason","hostname","user"}
// --control F: {"faults": [F, ...]}, re-read when it changes; each F applies
// to the next F.count (default 1) messages:
//   {"type":"no_ack"}       store the entries but send no ack
//   {"type":"drop"}         store nothing, close the connection (a crash)
//   {"type":"drop_after_store"}  store, then close without an ack
//   {"type":"delay","ms":N} wait N ms before storing and acking (logs "held"
//                           at once; a connection closed meanwhile stores nothing)
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const tls = require('tls');
const zlib = require('zlib');
const msgpack = require('msgpack-lite');
const { parseArgs, JsonLines, FaultQueue } = require('./standin_common');

const args = parseArgs(process.argv.slice(2), {
  known: ['port', 'log', 'store', 'control', 'shared-key', 'server-hostname', 'user', 'password', 'cert', 'key',
    'path'],
  booleans: ['tls', 'no-keepalive'],
});
if (args.port === undefined && args.path === undefined) throw new Error('--port is required (0 picks one)');

const log = new JsonLines(args.log);
const store = new JsonLines(args.store);
const faults = new FaultQueue(args.control);
const serverHostname = args['server-hostname'] || 'forward-standin';

// EventTime: ext type 0, seconds and nanoseconds as big-endian uint32.
const codec = msgpack.createCodec();
codec.addExtUnpacker(0, (buf) => {
  if (buf.length !== 8) throw new Error(`EventTime of ${buf.length} bytes (stand-in)`);
  return { sec: buf.readUInt32BE(0), nsec: buf.readUInt32BE(4) };
});

const sha512hex = (...parts) => {
  const h = crypto.createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

let connections = 0;
let messages = 0;

// Entries of a Forward message: [[time, record], ...].
function entriesOf(message, options) {
  const [, second] = message;
  if (Array.isArray(second)) return { mode: 'forward', entries: second };
  if (Buffer.isBuffer(second) || typeof second === 'string') {
    let bytes = Buffer.isBuffer(second) ? second : Buffer.from(second, 'binary');
    let mode = 'packed';
    if (options && options.compressed === 'gzip') {
      bytes = zlib.gunzipSync(bytes);
      mode = 'compressed';
    }
    const entries = [];
    const decoder = msgpack.createDecodeStream({ codec });
    decoder.on('data', (e) => entries.push(e));
    decoder.write(bytes);
    return { mode, entries };
  }
  return { mode: 'message', entries: [[message[1], message[2]]] };
}

function handle(socket) {
  const conn = ++connections;
  log.write({ conn, event: 'connect' });
  let state = 'established';
  let nonce = null;
  let authSalt = null;
  let closed = false;
  let queue = Promise.resolve();
  const close = (why) => {
    if (closed) return;
    closed = true;
    log.write({ conn, event: 'close', why });
    socket.destroy();
  };
  socket.on('error', (e) => log.write({ conn, event: 'error', error: e.message }));
  socket.on('close', () => { closed = true; });

  if (args['shared-key'] !== undefined) {
    state = 'helo';
    nonce = crypto.randomBytes(16);
    authSalt = args.user ? crypto.randomBytes(16) : Buffer.alloc(0);
    socket.write(msgpack.encode(['HELO', { nonce, auth: args.user ? authSalt : '', keepalive: !args['no-keepalive'] }]));
  }

  const onPing = (m) => {
    const fail = (reason) => {
      log.write({ conn, event: 'handshake', ok: false, reason });
      socket.write(msgpack.encode(['PONG', false, reason, '', '']));
      setTimeout(() => close('handshake failed'), 50);
    };
    if (!Array.isArray(m) || m.length !== 6 || m[0] !== 'PING') return fail('expected PING (stand-in)');
    const [, hostname, salt, digest, user, passwordDigest] = m;
    if (digest !== sha512hex(salt, hostname, nonce, args['shared-key'])) return fail('shared_key mismatch');
    if (args.user && (user !== args.user || passwordDigest !== sha512hex(authSalt, args.user, args.password || '')))
      return fail('username/password mismatch');
    log.write({ conn, event: 'handshake', ok: true, hostname, user });
    state = 'established';
    socket.write(msgpack.encode(['PONG', true, '', serverHostname, sha512hex(salt, serverHostname, nonce, args['shared-key'])]));
  };

  const onMessage = async (m) => {
    const msg = ++messages;
    if (!Array.isArray(m) || m.length < 2 || typeof m[0] !== 'string') {
      log.write({ conn, event: 'error', msg, error: 'not a Forward message (stand-in)' });
      return close('bad message');
    }
    const hasOptions = Array.isArray(m[1]) || Buffer.isBuffer(m[1]) || typeof m[1] === 'string' ? m.length === 3 : m.length === 4;
    const options = hasOptions ? m[m.length - 1] : null;
    const fault = faults.next(() => true);
    const type = fault ? fault.type : null;
    if (type === 'drop') {
      log.write({ conn, event: 'message', msg, fault: type });
      return close('fault drop');
    }
    if (type === 'delay') {
      log.write({ conn, event: 'held', msg, ms: fault.ms || 1000 });
      await new Promise((r) => setTimeout(r, fault.ms || 1000));
      if (closed) return log.write({ conn, event: 'message', msg, fault: type, stored: false });
    }
    const { mode, entries } = entriesOf(m, options);
    entries.forEach((e) => store.write({ conn, msg, tag: m[0], mode, time: e[0], record: e[1], options }));
    const ack = options && options.chunk && type !== 'no_ack' && type !== 'drop_after_store';
    log.write({ conn, event: 'message', msg, mode, entries: entries.length, options, acked: !!ack, fault: type });
    if (type === 'drop_after_store') return close('fault drop_after_store');
    if (ack && !closed) socket.write(msgpack.encode({ ack: options.chunk }));
    if (args['no-keepalive']) close('keepalive false');
  };

  const decoder = msgpack.createDecodeStream({ codec });
  decoder.on('data', (m) => {
    if (state === 'helo') {
      state = 'pinged';
      return onPing(m);
    }
    if (state !== 'established') return close('message before the handshake ended');
    // Messages are handled one after the other, as in_forward does.
    queue = queue.then(() => (closed ? null : onMessage(m))).catch((e) => {
      log.write({ conn, event: 'error', error: e.message });
      close('error');
    });
  });
  decoder.on('error', (e) => {
    log.write({ conn, event: 'error', error: `not MessagePack: ${e.message}` });
    close('bad bytes');
  });
  socket.pipe(decoder);
}

const server = args.tls
  ? tls.createServer({ cert: fs.readFileSync(args.cert), key: fs.readFileSync(args.key) }, handle)
  : net.createServer(handle);
if (args.path !== undefined) {
  server.listen(args.path, () => process.stdout.write('listening 0\n'));
} else {
  server.listen(Number(args.port), '127.0.0.1', () => {
    process.stdout.write(`listening ${server.address().port}\n`);
  });
}
process.on('SIGTERM', () => process.exit(0));
