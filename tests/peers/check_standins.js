#!/usr/bin/env node
// Proves the cloud stand-ins faithful enough for sluice's tests by pointing
// the official client libraries at them: @aws-sdk/client-cloudwatch-logs
// (and aws4, a second SigV4 signer) at the CloudWatch stand-in;
// google-auth-library, gtoken and @google-cloud/logging (REST transport over
// http) at the Google stand-in, whose service-account key file the stand-in
// generates; @azure/identity and @azure/monitor-ingestion at the Azure
// stand-in (check_azure.js); ibm-cloud-sdk-core's IamAuthenticator at the IBM
// stand-in and @logdna/logger at the LogDNA / Mezmo stand-in (check_ibm.js);
// oci-loggingingestion and oci-common (API key, config file, session token,
// instance principals; check_oci.js) at the OCI stand-in. A check passes
// only if the stand-in accepted what the library sent and the library
// understood the stand-in's answer (success, typed error, retry, token
// refresh, clock-skew correction).
//
// Usage: node tests/peers/check_standins.js [cloudwatch|google|azure|ibm|logdna|oci]...
// (after npm ci --prefix tests/peers; no name = all). Prints "ok - <check>"
// / "not ok - <check>: <why>" per check, "# skipped: <why>" for a group (or
// "ok - <check> # skipped: <why>" for a check) this Node is too old to run,
// then "N passed, M failed[, K skipped]"; exits 0 when no check failed and at
// least one passed or was skipped. A group whose stand-in cannot start fails
// on its own; the groups after it still run. Starts the
// stand-ins itself on free 127.0.0.1 ports in a temporary directory and
// stops them at the end; reaches nothing outside 127.0.0.1 (the libraries'
// Google token URL is rewritten to the stand-in and GCE_METADATA_HOST points
// at it, so nothing probes a real metadata server).
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

// Keep every library away from real cloud endpoints and local credentials.
for (const name of ['GOOGLE_APPLICATION_CREDENTIALS', 'GOOGLE_CLOUD_PROJECT', 'GCLOUD_PROJECT', 'AWS_PROFILE', 'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL', 'HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) {
  delete process.env[name];
}
process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.METADATA_SERVER_DETECTION = 'none';
process.env.GCE_METADATA_HOST = '127.0.0.1:9'; // replaced by the stand-in's port before any Google call
// The SDK warns once that versions after January 2027 need Node 22; Debian 12 has Node 18.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
// Node 18 (Debian 12's) has WebCrypto only as require('crypto').webcrypto; Node 19
// made that same object the global `crypto`, which Azure's clients call
// (@typespec/ts-http-runtime: crypto.randomUUID(), "crypto is not defined" on 18).
if (!globalThis.crypto) globalThis.crypto = require('crypto').webcrypto;

const kGroups = {
  cloudwatch: ['CloudWatch Logs stand-in vs @aws-sdk/client-cloudwatch-logs and aws4', () => require('./check_cloudwatch').runCloudWatchChecks],
  google: ['Google stand-in vs google-auth-library, gtoken and @google-cloud/logging', () => require('./check_google').runGoogleChecks],
  azure: ['Azure stand-in vs @azure/identity and @azure/monitor-ingestion', () => require('./check_azure').runAzureChecks],
  ibm: ['IBM stand-in vs ibm-cloud-sdk-core (IamAuthenticator)', () => require('./check_ibm').runIamChecks],
  logdna: ['LogDNA / Mezmo stand-in vs @logdna/logger', () => require('./check_ibm').runLogdnaChecks],
  oci: ['OCI stand-in vs oci-loggingingestion and oci-common', () => require('./check_oci').runOciChecks],
};

let passed = 0;
let failed = 0;
let skipped = 0;

async function check(name, fn) {
  try {
    const detail = await fn();
    passed++;
    console.log(`ok - ${name}${detail ? ` (${detail})` : ''}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}: ${e && e.message ? e.message : e}`);
  }
}

// Something this Node can't run (a library needs a newer one) says why
// instead of failing: skip(why) for a whole group, skip(check, why) for one
// check.
function skip(nameOrWhy, why) {
  skipped++;
  if (why === undefined) console.log(`# skipped: ${nameOrWhy}`);
  else console.log(`ok - ${nameOrWhy} # skipped: ${why}`);
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

// Starts a stand-in and resolves once it printed "listening <port>".
function startStandin(dir, script, args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [path.join(__dirname, script), '--port', '0', ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${script} did not print "listening" within 20 s: ${err}`)), 20000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          port: Number(m[1]),
          stderr: () => err,
          stop: () => new Promise((done) => {
            if (proc.exitCode !== null) return done();
            proc.once('exit', done);
            proc.kill('SIGTERM');
          }),
        });
      }
    });
    proc.stderr.on('data', (d) => { err += d; });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}: ${err}`));
    });
  });
}

function readLines(file) {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

// Runs each [title, run] section in order with one temporary directory and
// one set of stand-ins (all stopped at the end), prints the summary and exits
// (0 when no check failed and at least one passed or was skipped).
async function runChecks(sections) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-standins-'));
  const ctx = { dir, check, expect, skip, startStandin, readLines };
  const started = [];
  ctx.start = async (script, args) => {
    const s = await startStandin(dir, script, args);
    started.push(s);
    return s;
  };
  try {
    for (const [title, run] of sections) {
      console.log(`# ${title}`);
      try {
        await run(ctx);
      } catch (e) {
        // A section that could not start counts as one failure; the next
        // sections still run.
        failed++;
        console.log(`not ok - setup: ${e.stack}`);
      }
    }
  } finally {
    await Promise.all(started.map((s) => s.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed === 0 && passed + skipped > 0 ? 0 : 1);
}

module.exports = { runChecks };

if (require.main === module) {
  const names = process.argv.slice(2);
  for (const name of names) {
    if (!kGroups[name]) {
      console.log(`unknown group ${name}; known: ${Object.keys(kGroups).join(', ')}`);
      process.exit(2);
    }
  }
  runChecks((names.length ? names : Object.keys(kGroups)).map((name) => [kGroups[name][0], kGroups[name][1]()]));
}
