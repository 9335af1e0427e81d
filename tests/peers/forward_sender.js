// A real Forward protocol client for the forward input's end-to-end test:
// npm's fluent-logger (the Node.js library Fluentd's own project keeps).
//   node forward_sender.js --port P --mode Message|PackedForward|CompressedPackedForward
//                          --count N [--ack] [--prefix app]
//                          [--shared-key K --hostname H [--user U --password P]] [--path SOCKET]
// Sends N records {seq, msg, nested}, tagged PREFIX.web (every third) or
// PREFIX.db; odd seqs carry an EventTime (1700000000 + seq s, 123456789 ns),
// even ones the client's own time. With --ack it asks for an acknowledgement
// of every message and counts a record done only once acknowledged. Prints
// {"done": n, "failed": n, "errors": [...]} and exits 0 when all are done.
// With --shared-key it runs the handshake (fluent-logger's `security`) first;
// with --path it connects to that unix socket instead of the port.
const logger = require('fluent-logger');

const args = {port: 24224, mode: 'Message', count: 10, ack: false, prefix: 'app'};
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--ack') args.ack = true;
  else if (a === '--port') args.port = Number(process.argv[++i]);
  else if (a === '--mode') args.mode = process.argv[++i];
  else if (a === '--count') args.count = Number(process.argv[++i]);
  else if (a === '--prefix') args.prefix = process.argv[++i];
  else if (a === '--shared-key') args.sharedKey = process.argv[++i];
  else if (a === '--hostname') args.hostname = process.argv[++i];
  else if (a === '--user') args.user = process.argv[++i];
  else if (a === '--password') args.password = process.argv[++i];
  else if (a === '--path') args.path = process.argv[++i];
}
const security = args.sharedKey === undefined ? undefined
  : {clientHostname: args.hostname || 'forward-sender', sharedKey: args.sharedKey, username: args.user, password: args.password};

const sender = logger.createFluentSender(args.prefix, {
  host: '127.0.0.1', port: args.port, timeout: 5.0, reconnectInterval: 200,
  eventMode: args.mode, requireAckResponse: args.ack, ackResponseTimeout: 10000, flushInterval: 20, security,
  path: args.path,
});
let done = 0, failed = 0;
const errors = [];
sender.on('error', (e) => errors.push(String(e && e.message)));

function finish() {
  console.log(JSON.stringify({done, failed, errors: errors.slice(0, 5)}));
  sender.end();
  process.exitCode = failed === 0 ? 0 : 1;
}

for (let seq = 0; seq < args.count; seq++) {
  const label = seq % 3 === 0 ? 'web' : 'db';
  const record = {seq, msg: 'request ' + seq + ' done', nested: {codes: [200, 2.5, null, true], who: 'ann'}};
  const cb = (err) => {
    if (err) { failed++; errors.push(String(err.message)); } else done++;
    if (done + failed === args.count) finish();
  };
  if (seq % 2) sender.emit(label, record, new logger.EventTime(1700000000 + seq, 123456789), cb);
  else sender.emit(label, record, cb);
}
