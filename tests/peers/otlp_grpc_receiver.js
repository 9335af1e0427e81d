#!/usr/bin/env node
// An OTLP/gRPC logs endpoint for the opentelemetry output's tests: a real
// gRPC server (@grpc/grpc-js, the JS SDK's gRPC stack) serving
// opentelemetry.proto.collector.logs.v1.LogsService/Export, a stand-in for
// the OpenTelemetry Collector's otlp receiver (port 4317). Each request
// message it accepts (grpc-js has already undone gzip message compression)
// is saved as DIR/body-N.pb (N from 1) for otlp_decode.js to read, and is
// answered OK with an empty ExportLogsServiceResponse.
//   node otlp_grpc_receiver.js DIR [--fail-first N] [--code C] [--tls CRT KEY] [--port P]
// --fail-first N: the first N calls are answered gRPC status C (default 14,
// UNAVAILABLE) and not saved. --tls: serve TLS with that certificate and
// key (ALPN h2). Every call's authorization metadata is printed as
// "call N authorization=A". Prints "listening PORT" first.
'use strict';

const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');

const dir = process.argv[2];
let failFirst = 0;
let failCode = grpc.status.UNAVAILABLE;
let tls = null;
let listenPort = 0;  // the kernel's pick
for (let i = 3; i < process.argv.length; i++) {
  if (process.argv[i] === '--fail-first') failFirst = Number(process.argv[++i]);
  else if (process.argv[i] === '--code') failCode = Number(process.argv[++i]);
  else if (process.argv[i] === '--tls') tls = { crt: process.argv[++i], key: process.argv[++i] };
  else if (process.argv[i] === '--port') listenPort = Number(process.argv[++i]);
}
if (!dir) {
  console.error('usage: otlp_grpc_receiver.js DIR [--fail-first N] [--code C] [--tls CRT KEY] [--port P]');
  process.exit(2);
}

const identity = (b) => b;
const service = {
  Export: {
    path: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

let calls = 0;
let saved = 0;
const server = new grpc.Server();
server.addService(service, {
  Export(call, callback) {
    calls += 1;
    const md = call.metadata;
    console.log(`call ${calls} authorization=${md.get('authorization')[0] || ''}`);
    if (calls <= failFirst) {
      callback({ code: failCode, details: `stand-in refusing call ${calls}` });
      return;
    }
    saved += 1;
    fs.writeFileSync(path.join(dir, `body-${saved}.pb`), call.request);
    callback(null, Buffer.alloc(0));
  },
});
const credentials = tls
  ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: fs.readFileSync(tls.crt), private_key: fs.readFileSync(tls.key) }])
  : grpc.ServerCredentials.createInsecure();
server.bindAsync(`127.0.0.1:${listenPort}`, credentials, (err, port) => {
  if (err) {
    console.error(`otlp_grpc_receiver: ${err.message}`);
    process.exit(1);
  }
  console.log(`listening ${port}`);
});
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
