// The OCI part of check_standins.js: oci-loggingingestion's LoggingClient
// (with oci-common's API key, config file, session token and instance
// principal providers) against oci_standin.js. The stand-in must accept
// what Oracle's SDK sends, refuse what OCI refuses, and the SDK must
// understand every answer. Also runs alone: node tests/peers/check_oci.js.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const kNodeMajor = Number(process.versions.node.split('.')[0]);
// oci-common needs fetch's Headers as a global (Node 18 and later).
const kNeedsNode = 18;
const kLogId = 'ocid1.log.oc1.iad.standinlog';
const kMaxRequestBytes = 2000000;

function batch(entries, extra = {}) {
  return Object.assign({ source: 'check-oci', type: 'sluice.check', subject: 'sdk', defaultlogentrytime: new Date(), entries }, extra);
}

function entry(data, time) {
  const e = { id: crypto.randomUUID(), data };
  if (time) e.time = time;
  return e;
}

function readConfig(file) {
  const out = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

async function runOciChecks({ dir, check, expect, start, readLines, skip }) {
  if (kNodeMajor < kNeedsNode) {
    skip(`the OCI checks need Node >= ${kNeedsNode}; this is ${process.version}`);
    return;
  }
  const common = require('oci-common');
  const { LoggingClient } = require('oci-loggingingestion');
  const httpSignature = require('http-signature');
  const file = (name) => path.join(dir, name);
  const control = file('oci-control.json');
  const o = await start('oci_standin.js', ['--log', file('oci-log.jsonl'), '--store', file('oci-store.jsonl'), '--control', control,
    '--generate-config', file('oci'), '--write-session-token', file('oci-token'), '--log-id', kLogId,
    '--max-request-bytes', String(kMaxRequestBytes)]);
  const endpoint = `http://127.0.0.1:${o.port}`;
  const log = () => readLines(file('oci-log.jsonl'));
  const pushes = () => log().filter((l) => l.endpoint === 'push');
  const stored = () => readLines(file('oci-store.jsonl'));
  const faults = (list) => fs.writeFileSync(control, JSON.stringify({ faults: list }));
  const cfg = readConfig(file('oci/config'));
  const keyPem = fs.readFileSync(cfg.key_file, 'utf8');
  const noRetry = { terminationStrategy: new common.MaxAttemptsTerminationStrategy(1) };
  const client = (provider, retryConfiguration = noRetry) => {
    const c = new LoggingClient({ authenticationDetailsProvider: provider }, { retryConfiguration });
    c.endpoint = endpoint;
    return c;
  };
  const simple = new common.SimpleAuthenticationDetailsProvider(cfg.tenancy, cfg.user, cfg.fingerprint, keyPem, null, common.Region.US_ASHBURN_1);
  const put = (c, batches, logId = kLogId, extra = {}) =>
    c.putLogs(Object.assign({ logId, putLogsDetails: { specversion: '1.0', logEntryBatches: batches } }, extra));
  const failure = (promise) => promise.then(() => null, (e) => e);

  await check('LoggingClient.putLogs (SimpleAuthenticationDetailsProvider) is stored, verified by http-signature and oci-common', async () => {
    const r = await put(client(simple), [batch([entry('first entry', new Date()), entry('{"msg":"json as a string"}')])], kLogId,
      { opcRequestId: 'CHECKOCI1' });
    const line = pushes().slice(-1)[0];
    expect(line.status === 200 && line.auth === 'api_key' && line.verified_by.join() === 'http-signature,oci-common', JSON.stringify(line));
    expect(r.opcRequestId && r.opcRequestId.startsWith('CHECKOCI1/'), `opc-request-id ${r.opcRequestId}`);
    const s = stored().slice(-2);
    expect(s[0].data === 'first entry' && s[0].time_given && s[1].data === '{"msg":"json as a string"}' && !s[1].time_given &&
      s[1].time === s[1].defaultlogentrytime && s[0].subject === 'sdk', JSON.stringify(s));
    return `signed: ${line.signed_headers}`;
  });
  await check("oci-common's ConfigFileAuthenticationDetailsProvider reads the stand-in's config file and is accepted", async () => {
    const provider = new common.ConfigFileAuthenticationDetailsProvider(file('oci/config'), 'DEFAULT');
    await put(client(provider), [batch([entry('from the config file')])]);
    expect(pushes().slice(-1)[0].status === 200, 'not accepted');
  });
  await check('a log OCID the stand-in was not started with -> 404 NotAuthorizedOrNotFound', async () => {
    const e = await failure(put(client(simple), [batch([entry('x')])], 'ocid1.log.oc1.iad.nosuchlog'));
    expect(e && e.statusCode === 404 && e.serviceCode === 'NotAuthorizedOrNotFound', e ? `${e.statusCode} ${e.serviceCode}` : 'accepted');
  });
  await check('another key under the same keyId -> 401 NotAuthenticated (the signature does not verify)', async () => {
    const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    const p = new common.SimpleAuthenticationDetailsProvider(cfg.tenancy, cfg.user, cfg.fingerprint, other, null, common.Region.US_ASHBURN_1);
    const e = await failure(put(client(p), [batch([entry('x')])]));
    expect(e && e.statusCode === 401 && e.serviceCode === 'NotAuthenticated', e ? `${e.statusCode} ${e.serviceCode} ${e.message}` : 'accepted');
  });
  await check('the SDK reads the scripted faults as OCI errors: 429 TooManyRequests with no retries', async () => {
    faults([{ type: 'status', status: 429, retry_after: 2 }]);
    const e = await failure(put(client(simple), [batch([entry('x')])]));
    expect(e && e.statusCode === 429 && e.serviceCode === 'TooManyRequests', e ? `${e.statusCode} ${e.serviceCode}` : 'accepted');
  });
  await check("the SDK's retry condition retries 409 IncorrectState and 503, then the entry is stored once", async () => {
    faults([{ type: 'status', status: 409 }, { type: 'status', status: 503 }]);
    const before = pushes().length;
    const retry = { terminationStrategy: new common.MaxAttemptsTerminationStrategy(4), delayStrategy: new common.FixedTimeDelayStrategy(0.05) };
    await put(client(simple, retry), [batch([entry('after two faults')])]);
    const lines = pushes().slice(before);
    expect(lines.map((l) => l.status).join() === '409,503,200', JSON.stringify(lines.map((l) => [l.status, l.code])));
    expect(stored().filter((s) => s.data === 'after two faults').length === 1, 'not stored once');
  });
  await check('a request dated 10 minutes ago (oci-common signer, x-date) -> 401 with the skew named', async () => {
    const status = await signedFetch(common, endpoint, keyPem, cfg, { 'x-date': new Date(Date.now() - 600000).toUTCString() });
    const line = pushes().slice(-1)[0];
    expect(status === 401 && /clock skew/.test(line.message), `${status} ${line.message}`);
  });
  await check('a signature without the body headers -> 401 naming content-length, content-type, x-content-sha256', async () => {
    const status = await signedFetch(common, endpoint, keyPem, cfg, {}, { excludeBody: true });
    const line = pushes().slice(-1)[0];
    expect(status === 401 && /content-length, content-type, x-content-sha256/.test(line.message), `${status} ${line.message}`);
  });
  await check('a body changed after signing -> 401 (x-content-sha256)', async () => {
    const status = await signedFetch(common, endpoint, keyPem, cfg, {}, { tamper: true });
    expect(status === 401 && /x-content-sha256/.test(pushes().slice(-1)[0].message), String(status));
  });
  await check('signed by http-signature 1.4.0 alone (not oci-common), the OCI way -> 200', async () => {
    const status = await httpSignatureFetch(httpSignature, o.port, keyPem, cfg);
    expect(status === 200, String(status));
  });
  await check('an entry of 1 MB -> 400 InvalidParameter; a request over the cap -> 413', async () => {
    let e = await failure(put(client(simple), [batch([entry('x'.repeat(1024 * 1024))])]));
    expect(e && e.statusCode === 400 && e.serviceCode === 'InvalidParameter', e ? `${e.statusCode} ${e.serviceCode}` : 'accepted');
    const big = 'y'.repeat(700 * 1024);
    e = await failure(put(client(simple), [batch([entry(big), entry(big), entry(big)])]));
    expect(e && e.statusCode === 413, e ? `${e.statusCode} ${e.serviceCode}` : 'accepted');
  });
  await check('a session token (SessionAuthDetailProvider, security_token_file) is signed ST$<token> and accepted', async () => {
    fs.writeFileSync(file('oci-session-config'), `[DEFAULT]\ntenancy=${cfg.tenancy}\nfingerprint=${cfg.fingerprint}\n` +
      `key_file=${cfg.key_file}\nregion=us-ashburn-1\nsecurity_token_file=${file('oci-token')}\n`);
    const provider = new common.SessionAuthDetailProvider(file('oci-session-config'), 'DEFAULT');
    await put(client(provider), [batch([entry('with a session token')])]);
    const line = pushes().slice(-1)[0];
    expect(line.status === 200 && line.auth === 'session_token' && line.token_n === 1, JSON.stringify(line));
  });
  await check("instance principals (oci-common's provider: metadata service, federation, ST$ token) are accepted", async () => {
    const b = new common.InstancePrincipalsAuthenticationDetailsProviderBuilder();
    b.metadataBaseUrl = `${endpoint}/opc/v2/`;
    b.federationEndpoint = endpoint;
    const provider = await b.build();
    await put(client(provider), [batch([entry('from an instance principal')])]);
    const fed = log().filter((l) => l.endpoint === 'federation').slice(-1)[0];
    const line = pushes().slice(-1)[0];
    expect(fed.status === 200 && fed.verified_by.join() === 'http-signature,oci-common' && line.auth === 'instance_principal' &&
      line.token_n === fed.token_n, JSON.stringify([fed, line]));
    return `federation signed with ${fed.key_kind}: ${fed.signed_headers}`;
  });
}

// POST push signed by oci-common's DefaultRequestSigner, sent with fetch:
// its status. headers: extra request headers (x-date); excludeBody: sign
// without the body headers; tamper: change the body after signing.
async function signedFetch(common, endpoint, keyPem, cfg, headers, { excludeBody = false, tamper = false } = {}) {
  const provider = new common.SimpleAuthenticationDetailsProvider(cfg.tenancy, cfg.user, cfg.fingerprint, keyPem, null, null);
  const body = JSON.stringify({ specversion: '1.0', logEntryBatches: [batch([entry('signed by hand')])] });
  const request = { method: 'POST', uri: `${endpoint}/20200831/logs/${kLogId}/actions/push`, body,
    headers: new Headers(Object.assign({ 'content-type': 'application/json' }, headers)) };
  await new common.DefaultRequestSigner(provider).signHttpRequest(request, excludeBody);
  const sent = Object.fromEntries([...request.headers.entries()].filter(([k]) => k !== 'host' && k !== 'content-length'));
  const r = await fetch(request.uri, { method: 'POST', headers: sent, body: tamper ? body.replace('signed', 'SIGNED') : body });
  await r.text();
  return r.status;
}

// POST push signed with http-signature's own sign() over OCI's header list.
function httpSignatureFetch(httpSignature, port, keyPem, cfg) {
  const http = require('http');
  const body = JSON.stringify({ specversion: '1.0', logEntryBatches: [batch([entry('signed by http-signature')])] });
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: `/20200831/logs/${kLogId}/actions/push`, headers: {
      date: new Date().toUTCString(), 'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
      'x-content-sha256': crypto.createHash('sha256').update(body).digest('base64') } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    httpSignature.sign(req, { key: keyPem, keyId: `${cfg.tenancy}/${cfg.user}/${cfg.fingerprint}`,
      headers: ['date', '(request-target)', 'host', 'content-length', 'content-type', 'x-content-sha256'] });
    req.setHeader('Authorization', req.getHeader('Authorization').replace('Signature ', 'Signature version="1",'));
    req.end(body);
  });
}

module.exports = { runOciChecks };

if (require.main === module) {
  // Alone: the same harness as check_standins.js, for these checks only.
  const { runChecks } = require('./check_standins');
  runChecks([['OCI stand-in vs oci-loggingingestion and oci-common', runOciChecks]]);
}
