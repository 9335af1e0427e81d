#!/usr/bin/env node
// A real OTLP logs client for the opentelemetry input's end-to-end tests:
// the official OpenTelemetry JS SDK (LoggerProvider, BatchLogRecordProcessor)
// with its OTLP exporter, @opentelemetry/exporter-logs-otlp-http for
// application/json, @opentelemetry/exporter-logs-otlp-proto for
// application/x-protobuf, or @opentelemetry/exporter-logs-otlp-grpc for
// OTLP/gRPC (@grpc/grpc-js: HTTP/2 with prior knowledge, or TLS with ALPN h2
// given --ca).
//   node otlp_log_sender.js --url http://127.0.0.1:PORT/v1/logs
//        [--encoding json|protobuf|grpc] [--count N] [--service NAME]
//        [--headers 'K=V,K2=V2'] [--gzip] [--body-map] [--ca FILE]
// With --encoding grpc the URL is the server's (http://127.0.0.1:PORT, or
// https:// with --ca, the PEM CA that signed the server's certificate) and
// --headers become the call's metadata.
// Record i (0-based): severity 9 "INFO", body "request i" (with --body-map the
// map {msg: "request i", i, ok: true, nested: {a: [1, "two", 3.5]}}),
// attributes {"http.method": "GET", "http.status_code": 200, seq: i}, time
// 1700000000000 ms + i ms, trace 0af7651916cd43dd8448eb211c80319c, span
// b7ad6b7169203331, trace flags 1, scope "sluice-test" 1.2.3, resource
// service.name = --service (default "otlp-log-sender"). The observed time is
// the SDK's (the emit time). Prints "sent N" and exits 0 once every export
// succeeded; otherwise prints the exporter's error and exits 1.
'use strict';

// The exporter reads OTEL_EXPORTER_OTLP_* (headers, compression, timeout, ...)
// from the environment; drop them so the command line alone decides.
for (const k of Object.keys(process.env)) if (k.startsWith('OTEL_')) delete process.env[k];

const api = require('@opentelemetry/api');
const { SeverityNumber } = require('@opentelemetry/api-logs');
const { LoggerProvider, BatchLogRecordProcessor } = require('@opentelemetry/sdk-logs');
const { resourceFromAttributes } = require('@opentelemetry/resources');

const args = { encoding: 'protobuf', count: 10, service: 'otlp-log-sender', headers: '', gzip: false, bodyMap: false };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--gzip') args.gzip = true;
  else if (a === '--body-map') args.bodyMap = true;
  else if (a === '--url') args.url = process.argv[++i];
  else if (a === '--encoding') args.encoding = process.argv[++i];
  else if (a === '--count') args.count = Number(process.argv[++i]);
  else if (a === '--service') args.service = process.argv[++i];
  else if (a === '--headers') args.headers = process.argv[++i];
  else if (a === '--ca') args.ca = process.argv[++i];
  else { console.error(`otlp_log_sender: unknown argument ${a}`); process.exit(2); }
}
if (!args.url || !['json', 'protobuf', 'grpc'].includes(args.encoding) || !Number.isInteger(args.count) ||
    args.count < 0) {
  console.error('usage: otlp_log_sender.js --url URL [--encoding json|protobuf|grpc] [--count N] [--service NAME] ' +
    "[--headers 'K=V,...'] [--gzip] [--body-map] [--ca FILE]");
  process.exit(2);
}

const headers = {};
for (const kv of args.headers.split(',').filter(Boolean)) {
  const eq = kv.indexOf('=');
  if (eq <= 0) { console.error(`otlp_log_sender: bad header ${kv}`); process.exit(2); }
  headers[kv.slice(0, eq).trim()] = kv.slice(eq + 1).trim();
}

function makeExporter() {
  const compression = args.gzip ? 'gzip' : 'none';
  if (args.encoding === 'grpc') {
    const grpc = require('@grpc/grpc-js');
    const { OTLPLogExporter } = require('@opentelemetry/exporter-logs-otlp-grpc');
    const metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
    const credentials = args.ca
      ? grpc.credentials.createSsl(require('fs').readFileSync(args.ca)) : grpc.credentials.createInsecure();
    return new OTLPLogExporter({ url: args.url, metadata, compression, credentials });
  }
  const { OTLPLogExporter } = require(args.encoding === 'json'
    ? '@opentelemetry/exporter-logs-otlp-http' : '@opentelemetry/exporter-logs-otlp-proto');
  return new OTLPLogExporter({ url: args.url, headers, compression });
}
const otlp = makeExporter();

// The processors report a failed export only to the global error handler (a
// no-op by default), so wrap the exporter to see every export's result.
// The HTTP exporters retry 429/502/503/504 themselves. The gRPC one (0.223)
// does not retry UNAVAILABLE, which the OTLP spec asks of clients and the
// Go, Java, Python and Collector exporters do: here a batch answered
// UNAVAILABLE is exported again, up to 20 times, 300 ms apart.
let exported = 0;
const errors = [];
const GRPC_UNAVAILABLE = 14;
function exportWithRetries(records, attemptsLeft, done) {
  otlp.export(records, (result) => {
    const unavailable = args.encoding === 'grpc' && result.code !== 0 && result.error?.code === GRPC_UNAVAILABLE;
    if (unavailable && attemptsLeft > 0) {
      setTimeout(() => exportWithRetries(records, attemptsLeft - 1, done), 300);
      return;
    }
    done(result);
  });
}
const exporter = {
  export(records, done) {
    exportWithRetries(records, 20, (result) => {
      if (result.code === 0) exported += records.length; // ExportResultCode.SUCCESS
      else errors.push(result.error || new Error(`export failed with code ${result.code}`));
      done(result);
    });
  },
  forceFlush: () => otlp.forceFlush(),
  shutdown: () => otlp.shutdown(),
};

const provider = new LoggerProvider({
  resource: resourceFromAttributes({ 'service.name': args.service }),
  // A queue that holds every record, so none is dropped before the flush.
  processors: [new BatchLogRecordProcessor({ exporter, maxQueueSize: Math.max(2048, args.count) })],
});
const logger = provider.getLogger('sluice-test', '1.2.3');
const traceContext = api.trace.setSpanContext(api.ROOT_CONTEXT, {
  traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331',
  traceFlags: api.TraceFlags.SAMPLED, isRemote: true,
});

for (let i = 0; i < args.count; i++) {
  logger.emit({
    // An HrTime [s, ns] keeps the nanoseconds exact (a float ms value would not).
    timestamp: [1700000000 + Math.floor(i / 1000), (i % 1000) * 1e6],
    severityNumber: SeverityNumber.INFO,
    severityText: 'INFO',
    body: args.bodyMap ? { msg: `request ${i}`, i, ok: true, nested: { a: [1, 'two', 3.5] } } : `request ${i}`,
    attributes: { 'http.method': 'GET', 'http.status_code': 200, seq: i },
    context: traceContext,
  });
}

(async () => {
  try {
    await provider.forceFlush();
    await provider.shutdown();
  } catch (err) {
    if (errors.length === 0) errors.push(err);
  }
  if (errors.length === 0 && exported !== args.count) errors.push(new Error(`exported ${exported} of ${args.count} records`));
  if (errors.length > 0) {
    const e = errors[0];
    // OTLPExporterError carries the HTTP status (code) and the response body
    // (data); a network error's code is a string such as ECONNREFUSED; a gRPC
    // error's code is its grpc-status.
    const code = typeof e.code === 'number' ? ` (${args.encoding === 'grpc' ? 'gRPC status' : 'HTTP'} ${e.code})` : '';
    console.error(`otlp_log_sender: ${e.message}${code}${e.data ? `: ${e.data}` : ''}`);
    process.exit(1);
  }
  console.log(`sent ${args.count}`);
})();
