#!/usr/bin/env node
// npm fluent-logger's own mock Fluentd server (lib/testHelper.js, shipped
// in the package: the server its maintainers test the client against), run
// as a peer for the forward output's handshake test: an implementation of
// the shared-key handshake (HELO, PING, PONG) and of acks that is not
// sluice's and not our stand-in's.
//
// Usage:
//   node forward_mock_fluentd.js --store FILE --shared-key K [--user U --password P]
// Prints "listening <port>"; appends one JSON line per record received,
// {"tag","record","options"}. SIGTERM exits 0.
'use strict';

const { runServer } = require('fluent-logger/lib/testHelper');
const { parseArgs, JsonLines } = require('./standin_common');

const args = parseArgs(process.argv.slice(2), { known: ['store', 'shared-key', 'user', 'password', 'port', 'log', 'control'] });
const store = new JsonLines(args.store);
const security = { serverHostname: 'mock-fluentd', sharedKey: args['shared-key'] };
if (args.user) Object.assign(security, { username: args.user, password: args.password });

runServer({ security, requireAckResponse: true }, {}, (server) => {
  let written = 0;
  setInterval(() => {
    const got = server.messages;
    for (; written < got.length; written++) {
      const m = got[written];
      store.write({ tag: m.tag, record: m.data, options: m.options });
    }
  }, 50);
  process.stdout.write(`listening ${server.port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
