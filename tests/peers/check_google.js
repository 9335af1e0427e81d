// The Google half of check_standins.js: google-auth-library, gtoken and
// @google-cloud/logging against google_standin.js.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { GoogleAuth } = require('google-auth-library');
const { GoogleToken } = require('gtoken');
const { Logging } = require('@google-cloud/logging');

const kProject = 'standin-project';
const kWriteScope = 'https://www.googleapis.com/auth/logging.write';
// The token URLs the libraries use whatever the key file says (google-auth-
// library 10 and gtoken 8: oauth2.googleapis.com; gtoken 7 inside
// @google-cloud/logging 11's google-gax: www.googleapis.com/oauth2/v4).
const kLibraryTokenHosts = ['oauth2.googleapis.com', 'www.googleapis.com'];
const kResource = { type: 'generic_node', labels: { project_id: kProject, location: 'europe-west1', namespace: 'sluice', node_id: 'n1' } };

// Sends the libraries' token requests to the stand-in instead of Google.
function redirectTokenRequests(gaxiosInstance, port) {
  gaxiosInstance.interceptors.request.add({
    resolved: async (opts) => {
      const url = new URL(String(opts.url));
      if (kLibraryTokenHosts.includes(url.host)) opts.url = new URL(`http://127.0.0.1:${port}/token`);
      return opts;
    },
  });
}

function post(port, body, { token, gzip = false } = {}) {
  const data = gzip ? zlib.gzipSync(Buffer.from(JSON.stringify(body))) : JSON.stringify(body);
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (gzip) headers['Content-Encoding'] = 'gzip';
  return fetch(`http://127.0.0.1:${port}/v2/entries:write`, { method: 'POST', headers, body: data })
    .then(async (r) => ({ status: r.status, headers: r.headers, body: await r.json() }));
}

function writeRequest(entries, extra = {}) {
  return Object.assign({ logName: `projects/${kProject}/logs/sluice`, resource: kResource, partialSuccess: true, entries }, extra);
}

async function runGoogleChecks({ dir, check, expect, start, readLines }) {
  const file = (name) => path.join(dir, name);
  const keyFile = file('service-account.json');
  const control = file('g-control.json');
  const g = await start('google_standin.js', ['--log', file('g-log.jsonl'), '--store', file('g-store.jsonl'), '--control', control,
    '--generate-key-file', keyFile, '--project', kProject,
    '--accept-audience', 'https://oauth2.googleapis.com/token', '--accept-audience', 'https://www.googleapis.com/oauth2/v4/token']);
  process.env.GCE_METADATA_HOST = `127.0.0.1:${g.port}`;
  const log = () => readLines(file('g-log.jsonl'));
  const stored = () => readLines(file('g-store.jsonl'));
  const key = JSON.parse(fs.readFileSync(keyFile, 'utf8'));

  let authClient;
  await check('google-auth-library (service-account key) gets an access token from /token', async () => {
    authClient = await new GoogleAuth({ keyFile, scopes: [kWriteScope] }).getClient();
    authClient.forceRefreshOnFailure = true; // refresh on a 401 although the token's expiry_date is ahead
    redirectTokenRequests(authClient.transporter, g.port);
    const { token } = await authClient.getAccessToken();
    const line = log().filter((l) => l.endpoint === 'token').slice(-1)[0];
    expect(token && line.status === 200 && line.iss === key.client_email && line.scope === kWriteScope, JSON.stringify(line));
    return `aud ${line.aud}`;
  });
  await check('gtoken 8 (JWT made independently of the stand-in) gets an access token', async () => {
    const gt = new GoogleToken({ keyFile, scope: [kWriteScope], transporter: authClient.transporter });
    const t = await gt.getToken({ forceRefresh: true });
    expect(t.access_token && t.token_type === 'Bearer' && t.expires_in > 3000, JSON.stringify(t));
  });
  await check('a JWT signed by another key -> the library reports "invalid_grant: Invalid JWT Signature."', async () => {
    const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    const gt = new GoogleToken({ email: key.client_email, key: other, scope: [kWriteScope], transporter: authClient.transporter });
    const e = await gt.getToken().then(() => null, (err) => err);
    expect(e && e.message === 'invalid_grant: Invalid JWT Signature.', e ? e.message : 'accepted');
  });
  await check('entries:write with that token (google-auth-library request) stores the entry', async () => {
    const r = await authClient.request({ url: `http://127.0.0.1:${g.port}/v2/entries:write`, method: 'POST',
      data: writeRequest([{ insertId: 'gal-1', timestamp: new Date().toISOString(), severity: 'INFO', jsonPayload: { message: 'from google-auth-library' } }]) });
    const s = stored().slice(-1)[0];
    expect(r.status === 200 && s.insertId === 'gal-1' && s.resource.type === 'generic_node' && s.jsonPayload.message === 'from google-auth-library', JSON.stringify(s));
  });
  let freshToken;
  await check('a scripted 401 revokes the presented token; a new token from /token is accepted', async () => {
    fs.writeFileSync(control, JSON.stringify({ faults: [{ type: 'status', status: 401 }] }));
    const e = await authClient.request({ url: `http://127.0.0.1:${g.port}/v2/entries:write`, method: 'POST',
      data: writeRequest([{ insertId: 'gal-2', textPayload: 'refused' }]) }).then(() => null, (err) => err);
    // google-auth-library's JWT client retries a 401 once, but its "refresh"
    // hands back the cached token, which the stand-in (like Google) keeps refusing.
    expect(e && e.status === 401 && e.response.headers.get('www-authenticate').startsWith('Bearer'), e ? e.message : 'accepted');
    freshToken = (await new GoogleToken({ keyFile, scope: [kWriteScope], transporter: authClient.transporter }).getToken({ forceRefresh: true })).access_token;
    const r = await post(g.port, writeRequest([{ insertId: 'gal-3', textPayload: 'with a new token' }]), { token: freshToken });
    const writes = log().filter((l) => l.endpoint === 'write').slice(-3);
    expect(r.status === 200 && writes.map((w) => w.status).join() === '401,401,200' && writes[2].token_n > writes[0].token_n, JSON.stringify(writes));
    return `token ${writes[0].token_n} refused, token ${writes[2].token_n} accepted`;
  });
  const expiring = await start('google_standin.js', ['--key-file', keyFile, '--token-ttl', '0', '--accept-audience', 'https://oauth2.googleapis.com/token']);
  await check('--token-ttl 0: a write with the token -> 401 ACCESS_TOKEN_EXPIRED; google-auth-library fetches a new token each time', async () => {
    const c = await new GoogleAuth({ keyFile, scopes: [kWriteScope] }).getClient();
    redirectTokenRequests(c.transporter, expiring.port);
    const first = (await c.getAccessToken()).token;
    const second = (await c.getAccessToken()).token;
    const r = await post(expiring.port, writeRequest([{ textPayload: 'x' }]), { token: second });
    expect(first !== second && r.status === 401 && r.body.error.details[0].reason === 'ACCESS_TOKEN_EXPIRED', JSON.stringify(r.body));
  });

  const logging = new Logging({ projectId: kProject, keyFilename: keyFile, apiEndpoint: '127.0.0.1', port: g.port, protocol: 'http', fallback: 'rest' });
  const sdkLog = logging.log('sluice-check');
  await check('@google-cloud/logging (REST over http) writes entries; stored with the default resource merged', async () => {
    const e1 = sdkLog.entry({ resource: kResource, severity: 'WARNING', insertId: 'sdk-1', timestamp: new Date(), labels: { k: 'v' } }, { message: 'json entry', n: 1 });
    const e2 = sdkLog.entry({ resource: kResource, severity: 'INFO', insertId: 'sdk-2' }, 'text entry');
    await sdkLog.write([e1, e2], { resource: kResource });
    const s = stored().filter((x) => x.insertId === 'sdk-1' || x.insertId === 'sdk-2');
    expect(s.length === 2 && s[0].jsonPayload.message === 'json entry' && s[1].textPayload === 'text entry' &&
      s.every((x) => x.logName === `projects/${kProject}/logs/sluice-check`), JSON.stringify(s));
    return `auth ${log().filter((l) => l.endpoint === 'write').slice(-1)[0].auth}`;
  });
  await check('@google-cloud/logging: the same insertId + timestamp again is collapsed (logged as duplicate)', async () => {
    const ts = new Date();
    const e = () => sdkLog.entry({ resource: kResource, insertId: 'dup-1', timestamp: ts }, 'once');
    await sdkLog.write([e()]);
    await sdkLog.write([e()]);
    const results = log().filter((l) => l.insertId === 'dup-1').map((l) => l.result);
    expect(stored().filter((x) => x.insertId === 'dup-1').length === 1 && results.join() === 'stored,duplicate', results.join());
  });
  // @google-cloud/logging 11's REST transport (google-gax 5 through
  // google-auth-library's request()) surfaces a failed write as the
  // GaxiosError: code = HTTP status, the Google error JSON as the body; it
  // neither maps the status to a gRPC code nor retries.
  const googleBody = (e) => {
    const data = e.response && e.response.data;
    return typeof data === 'object' && data ? data : JSON.parse(typeof data === 'string' ? data : e.message);
  };
  await check('@google-cloud/logging partialSuccess: an entry 2 days ahead fails (logEntryErrors["1"] code 3), the other is stored', async () => {
    const ok = sdkLog.entry({ resource: kResource, insertId: 'ps-ok' }, 'fine');
    const future = sdkLog.entry({ resource: kResource, insertId: 'ps-future', timestamp: new Date(Date.now() + 2 * 86400000) }, 'too new');
    const e = await sdkLog.write([ok, future], { partialSuccess: true }).then(() => null, (err) => err);
    expect(e && e.code === 400, e ? `${e.code} ${e.message}` : 'no error');
    const body = googleBody(e).error;
    const partial = body.details.find((d) => d['@type'] === 'type.googleapis.com/google.logging.v2.WriteLogEntriesPartialErrors');
    expect(body.status === 'INVALID_ARGUMENT' && partial.logEntryErrors['1'].code === 3 && Object.keys(partial.logEntryErrors).join() === '1', JSON.stringify(body));
    expect(stored().some((x) => x.insertId === 'ps-ok') && !stored().some((x) => x.insertId === 'ps-future'), 'wrong entries stored');
    return partial.logEntryErrors['1'].message;
  });
  await check('scripted 503 then 429: @google-cloud/logging reports UNAVAILABLE and RESOURCE_EXHAUSTED (no Retry-After)', async () => {
    fs.writeFileSync(control, JSON.stringify({ faults: [{ type: 'status', status: 503 }, { type: 'status', status: 429 }] }));
    const first = await sdkLog.write([sdkLog.entry({ resource: kResource, insertId: 'r-1' }, 'x')]).then(() => null, (err) => err);
    const second = await sdkLog.write([sdkLog.entry({ resource: kResource, insertId: 'r-2' }, 'x')]).then(() => null, (err) => err);
    expect(first && first.code === 503 && googleBody(first).error.status === 'UNAVAILABLE', first ? first.message : 'no error');
    expect(second && second.code === 429 && googleBody(second).error.status === 'RESOURCE_EXHAUSTED', second ? second.message : 'no error');
    const headers = second.response.headers;
    expect(!(headers.get ? headers.get('retry-after') : headers['retry-after']), 'a Retry-After header was sent');
    await sdkLog.write([sdkLog.entry({ resource: kResource, insertId: 'r-3' }, 'after the faults')]);
    expect(stored().some((x) => x.insertId === 'r-3') && !stored().some((x) => x.insertId === 'r-1'), 'wrong entries stored');
  });
  await check('gzip request body (Content-Encoding: gzip) is accepted', async () => {
    const r = await post(g.port, writeRequest([{ insertId: 'gz-1', textPayload: 'gzipped' }]), { token: freshToken, gzip: true });
    expect(r.status === 200 && stored().some((x) => x.insertId === 'gz-1'), JSON.stringify(r.body));
  });
  await check('no Authorization -> 401 UNAUTHENTICATED with WWW-Authenticate', async () => {
    const r = await post(g.port, writeRequest([{ textPayload: 'x' }]));
    expect(r.status === 401 && r.body.error.status === 'UNAUTHENTICATED' && /Bearer/.test(r.headers.get('www-authenticate')), JSON.stringify(r.body));
  });
  await check('metadata server: google-auth-library on "GCE" gets a token and the project id', async () => {
    process.env.METADATA_SERVER_DETECTION = 'ping-only';
    try {
      const gce = new GoogleAuth({ scopes: [kWriteScope] });
      const c = await gce.getClient();
      const { token } = await c.getAccessToken();
      const project = await gce.getProjectId();
      const r = await post(g.port, writeRequest([{ insertId: 'gce-1', textPayload: 'via metadata token' }]), { token });
      expect(c.constructor.name === 'Compute' && project === kProject && r.status === 200, `${c.constructor.name} ${project} ${r.status}`);
    } finally {
      process.env.METADATA_SERVER_DETECTION = 'none';
    }
  });

  const fast = await start('google_standin.js', ['--fast']);
  await check('--fast answers entries:write 200 {} without checks', async () => {
    const r = await post(fast.port, { entries: [{}] });
    expect(r.status === 200 && JSON.stringify(r.body) === '{}', JSON.stringify(r.body));
  });
}

module.exports = { runGoogleChecks };
