// The IBM and Mezmo half of check_standins.js: ibm-cloud-sdk-core's
// IamAuthenticator against ibm_standin.js's IAM token endpoint (its token
// then used on /logs/v1/singles), and @logdna/logger against
// logdna_standin.js. ibm-cloud-sdk-core 5.9 declares Node >= 20: on an older
// Node its checks are reported as skipped.
'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const kApiKey = 'standin-apikey-0123456789abcdefABCDEF-_x';
const kIngestionKey = 'standin0123456789abcdef0123456789';
const kSdkNode = 20; // ibm-cloud-sdk-core 5.9's engines.node

function nodeMajor() {
  return Number(process.versions.node.split('.')[0]);
}

function ingest(port, body, { token, gzip = false, raw = false } = {}) {
  const text = raw ? body : JSON.stringify(body);
  const data = gzip ? zlib.gzipSync(Buffer.from(text)) : text;
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (gzip) headers['Content-Encoding'] = 'gzip';
  return fetch(`http://127.0.0.1:${port}/logs/v1/singles`, { method: 'POST', headers, body: data })
    .then(async (r) => ({ status: r.status, headers: r.headers, text: await r.text() }));
}

const entry = (text, extra = {}) => Object.assign({ applicationName: 'sluice', subsystemName: 'check', text }, extra);

async function runIamChecks({ dir, check, expect, start, readLines, skip }) {
  let IamAuthenticator;
  try {
    ({ IamAuthenticator } = require('ibm-cloud-sdk-core'));
  } catch (e) {
    if (nodeMajor() >= kSdkNode) throw e;
    skip('ibm-cloud-sdk-core IamAuthenticator against ibm_standin.js',
      `needs Node >= ${kSdkNode} (ibm-cloud-sdk-core 5.9 does not load on ${process.version}: ${e.message.split('\n')[0]})`);
    return;
  }
  const file = (name) => path.join(dir, name);
  const control = file('i-control.json');
  const s = await start('ibm_standin.js', ['--api-key', kApiKey, '--log', file('i-log.jsonl'), '--store', file('i-store.jsonl'),
    '--control', control]);
  const url = `http://127.0.0.1:${s.port}`;
  const log = (endpoint) => readLines(file('i-log.jsonl')).filter((l) => l.endpoint === endpoint);
  const stored = () => readLines(file('i-store.jsonl'));
  const bearerOf = async (authenticator) => {
    const options = { headers: {} };
    await authenticator.authenticate(options);
    return options.headers.Authorization;
  };

  const sdk = new IamAuthenticator({ apikey: kApiKey, url });
  let token;
  await check('IamAuthenticator gets a token from /identity/token; its request is the documented API-key grant', async () => {
    const bearer = await bearerOf(sdk);
    expect(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/.test(bearer), bearer);
    token = bearer.slice(7);
    const line = log('token').slice(-1)[0];
    expect(line.status === 200 && line.grant_type === 'urn:ibm:params:oauth:grant-type:apikey' && line.apikey_known &&
      /application\/json/.test(line.accept) && /^ibm-node-sdk-core\//.test(line.user_agent), JSON.stringify(line));
    return `form fields ${line.fields.join(',')}`;
  });
  await check('the SDK reads exp/iat from the stand-in\'s JWT: refresh at 80% of the lifetime, the same token until then', async () => {
    const tm = sdk.tokenManager;
    // 3600 s tokens: refreshTime = exp - 20% of (exp - iat).
    expect(tm.expireTime - tm.refreshTime === 720, `expire ${tm.expireTime} refresh ${tm.refreshTime}`);
    expect((await bearerOf(sdk)) === `Bearer ${token}` && log('token').length === 1, 'asked again');
  });
  await check('the SDK\'s token is accepted by /logs/v1/singles; entries stored with their defaults', async () => {
    const r = await ingest(s.port, [entry('hello', { severity: 3, timestamp: 1763719200123.5, computerName: 'n1' }), entry({ k: 'v' })], { token });
    const got = stored();
    expect(r.status === 200 && got.length === 2 && got[0].severity === 3 && got[0].timestamp === 1763719200123.5 &&
      got[1].severity === 1 && got[1].text.k === 'v' && got[0].token_n === 1, `${r.status} ${r.text} ${JSON.stringify(got)}`);
  });
  await check('a wrong API key: the SDK reports IAM\'s 400 "Provided API key could not be found."', async () => {
    const e = await bearerOf(new IamAuthenticator({ apikey: 'not-a-key', url })).then(() => null, (err) => err);
    expect(e && e.status === 400 && e.message === 'Provided API key could not be found.', e ? `${e.status} ${e.message}` : 'accepted');
    const body = typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
    expect(body.errorCode === 'BXNIM0415E' && body.context.requestType === 'incoming.Identity_Token', JSON.stringify(body));
  });
  await check('a scripted 401 revokes the token; a new IamAuthenticator\'s token is accepted', async () => {
    fs.writeFileSync(control, JSON.stringify({ faults: [{ type: 'status', status: 401 }] }));
    const first = await ingest(s.port, [entry('refused')], { token });
    const again = await ingest(s.port, [entry('refused')], { token });
    const fresh = (await bearerOf(new IamAuthenticator({ apikey: kApiKey, url }))).slice(7);
    const ok = await ingest(s.port, [entry('with a new token')], { token: fresh });
    const lines = log('ingest').slice(-3);
    expect(first.status === 401 && again.status === 401 && ok.status === 200 && lines[1].auth === 'revoked' && lines[2].token_n === 2,
      JSON.stringify(lines));
  });
  await check('ingestion faults and limits: 429 + Retry-After, 403, 503, 413 over 2 MB, 400 for an entry without subsystemName', async () => {
    const fresh = (await bearerOf(new IamAuthenticator({ apikey: kApiKey, url }))).slice(7);
    fs.writeFileSync(control, JSON.stringify({ faults: [{ type: 'status', status: 429, retry_after: '2' }, { type: 'status', status: 403 },
      { type: 'status', status: 503 }] }));
    const before = stored().length;
    const statuses = [];
    const limited = await ingest(s.port, [entry('x')], { token: fresh });
    statuses.push(limited.status, (await ingest(s.port, [entry('x')], { token: fresh })).status, (await ingest(s.port, [entry('x')], { token: fresh })).status);
    const big = await ingest(s.port, [entry('x'.repeat(2 * 1024 * 1024))], { token: fresh, gzip: true });
    const bad = await ingest(s.port, [entry('ok'), { applicationName: 'a', text: 'no subsystem' }], { token: fresh });
    statuses.push(big.status, bad.status);
    expect(statuses.join() === '429,403,503,413,400' && limited.headers.get('retry-after') === '2' && stored().length === before,
      `${statuses.join()} ${bad.text}`);
    return JSON.parse(bad.text).error;
  });
  const expiring = await start('ibm_standin.js', ['--api-key', kApiKey, '--token-ttl', '5', '--log', file('i2-log.jsonl')]);
  await check('--token-ttl 5: inside the SDK\'s 10 s expiry window, so it asks for a new token every time', async () => {
    const a = new IamAuthenticator({ apikey: kApiKey, url: `http://127.0.0.1:${expiring.port}` });
    const first = await bearerOf(a);
    const second = await bearerOf(a);
    expect(first !== second && readLines(file('i2-log.jsonl')).length === 2, 'the same token twice');
  });
}

async function runLogdnaChecks({ dir, check, expect, start, readLines }) {
  const { createLogger } = require('@logdna/logger');
  const file = (name) => path.join(dir, name);
  const control = file('m-control.json');
  const s = await start('logdna_standin.js', ['--ingestion-key', kIngestionKey, '--log', file('m-log.jsonl'), '--store', file('m-store.jsonl'),
    '--control', control]);
  const url = `http://127.0.0.1:${s.port}/logs/ingest`;
  const log = () => readLines(file('m-log.jsonl'));
  const stored = () => readLines(file('m-store.jsonl'));
  // Resolves with the logger's 'send' event or rejects with its first
  // 'error' (unless errors are expected and collected elsewhere).
  const sendOne = (logger, fn, { errors = true } = {}) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no send or error event within 20 s')), 20000);
    logger.once('send', (e) => { clearTimeout(timer); resolve(e); });
    if (errors) logger.once('error', (e) => { clearTimeout(timer); reject(e); });
    fn();
    logger.flush();
  });
  const make = (opts) => createLogger(kIngestionKey, Object.assign({ url, hostname: 'check-host', mac: 'c0:ff:ee:c0:ff:ee', ip: '10.0.1.101',
    tags: ['a', 'b'], app: 'sluice-check', env: 'test', flushIntervalMs: 10, baseBackoffMs: 100, maxBackoffMs: 200 }, opts));

  const logger = make({});
  await check('@logdna/logger sends lines; the stand-in stores them with the query parameters; the logger reads 200', async () => {
    const sent = await sendOne(logger, () => {
      logger.info('first line', { meta: { user: 'u1', n: 1 } });
      logger.log('second line', { level: 'ERROR', timestamp: Date.now() - 1000 });
    });
    const got = stored().slice(-2);
    const req = log().slice(-1)[0];
    expect(sent.httpStatus === 200 && sent.totalLinesSent === 2, JSON.stringify(sent));
    expect(got[0].line === 'first line' && got[0].level === 'INFO' && got[0].meta.user === 'u1' && got[0].meta_string &&
      got[1].level === 'ERROR' && got[0].hostname === 'check-host' && got[0].tags.join() === 'a,b' && got[0].mac === 'c0:ff:ee:c0:ff:ee' &&
      got[0].app === 'sluice-check' && got[0].env === 'test' && got[0].now > 0, JSON.stringify(got));
    return `auth ${req.auth}, body form ${req.form}`;
  });
  await check('indexMeta: meta sent as an object is stored as such', async () => {
    const z = make({ indexMeta: true });
    const sent = await sendOne(z, () => z.warn('meta object', { meta: { k: 'v' } }));
    const got = stored().slice(-1)[0];
    expect(sent.httpStatus === 200 && got.line === 'meta object' && got.meta.k === 'v' && !got.meta_string && got.level === 'WARN',
      JSON.stringify(got));
  });
  await check('a wrong ingestion key: 401, which the logger reports as not retried', async () => {
    const bad = createLogger('wrong-key-0123456789abcdef01234567', { url, hostname: 'h', flushIntervalMs: 10 });
    const e = await sendOne(bad, () => bad.info('refused')).then(() => null, (err) => err);
    expect(e && e.meta && e.meta.code === 401 && e.meta.retrying === false, e ? `${e.message} ${JSON.stringify(e.meta)}` : 'accepted');
  });
  await check('a scripted 503 is retried by the logger and the line then stored once', async () => {
    fs.writeFileSync(control, JSON.stringify({ faults: [{ type: 'status', status: 503 }] }));
    const r = make({ ignoreRetryableErrors: true });
    const sent = await sendOne(r, () => r.info('after a 503'));
    const statuses = log().slice(-2).map((l) => l.status);
    expect(sent.httpStatus === 200 && statuses.join() === '503,200' && stored().filter((x) => x.line === 'after a 503').length === 1,
      statuses.join());
  });
  await check('a scripted partial answer (207, per-line status) is read by the logger line by line', async () => {
    fs.writeFileSync(control, JSON.stringify({ faults: [{ type: 'partial', fail: [1] }] }));
    const p = make({});
    const errors = [];
    p.on('error', (e) => errors.push(e));
    const sent = await sendOne(p, () => {
      p.info('kept');
      p.info('refused line');
    }, { errors: false });
    expect(sent.httpStatus === 207 && sent.totalLinesSent === 1 && errors.length === 1 && errors[0].meta.statusCode === 400 &&
      errors[0].meta.line === 'refused line' && stored().slice(-1)[0].line === 'kept', `${JSON.stringify(sent)} ${errors.map((e) => e.message)}`);
  });
  // @logdna/logger 2.6 sends only the apikey header (its Basic auth setting
  // never reaches axios) and gzips only its agent payloads: the documented
  // alternatives are checked with plain requests.
  await check('the documented form: {"lines":[...]} with Basic auth, apikey header or ?apikey=, gzip; 400 without hostname', async () => {
    const text = JSON.stringify({ lines: [{ line: 'plain', app: 'curl', level: 'INFO', timestamp: Date.now(), meta: { a: 1 } }] });
    const post = (query, headers, body = text) => fetch(`${url}?${query}`, { method: 'POST', body,
      headers: Object.assign({ 'Content-Type': 'application/json; charset=UTF-8' }, headers) }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const basic = await post('hostname=h1&now=' + Date.now(), { Authorization: `Basic ${Buffer.from(`${kIngestionKey}:`).toString('base64')}` });
    const header = await post('hostname=h1', { apikey: kIngestionKey });
    const query = await post(`hostname=h1&apikey=${kIngestionKey}`, {});
    const gzip = await post('hostname=h1', { apikey: kIngestionKey, 'Content-Encoding': 'gzip' }, zlib.gzipSync(text));
    const nohost = await post('ip=1.2.3.4', { apikey: kIngestionKey });
    expect(basic.status === 200 && basic.body.status === 'ok' && typeof basic.body.batchID === 'string' && header.status === 200 &&
      query.status === 200 && gzip.status === 200 && nohost.status === 400, JSON.stringify([basic, header, query, gzip, nohost]));
    const lines = log().slice(-5);
    expect(lines.slice(0, 3).map((l) => l.auth).join() === 'basic,apikey,query' && lines[3].gzip && lines[0].form === 'lines', 'auth kinds');
  });
}

module.exports = { runIamChecks, runLogdnaChecks };
