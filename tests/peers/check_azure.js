// The Azure half of check_standins.js: Microsoft's @azure/identity
// (ClientSecretCredential, ClientCertificateCredential,
// WorkloadIdentityCredential, ManagedIdentityCredential) and
// @azure/monitor-ingestion's LogsIngestionClient against azure_standin.js,
// which serves HTTPS here because the libraries refuse an http:// authority
// or ingestion endpoint. The stand-in's and the clients' TLS certificates are
// made with the openssl CLI in the check's directory.
//
// @azure/identity 4.14 declares Node >= 22; it runs on Node 20 and on
// Debian 12's Node 18 too, given the WebCrypto global that check_standins.js
// sets up (Azure's HTTP pipeline calls crypto.randomUUID()). On an older Node
// the checks are skipped with a "# skipped: ..." line.
'use strict';

const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const kMinNode = 18;
const kTenant = 'aaaabbbb-0000-cccc-1111-dddd2222eeee';
const kClient = '00001111-aaaa-2222-bbbb-3333cccc4444';
const kDcr = 'dcr-0123456789abcdef0123456789abcdef';
const kStream = 'Custom-SluiceCheck_CL';
const kScope = 'https://monitor.azure.com//.default';  // the double slash of Microsoft's samples
const kUserAssigned = '11112222-bbbb-3333-cccc-4444dddd5555';
const kNoRole = '99998888-ffff-7777-eeee-6666dddd5555';

function openssl(args) {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

// A self-signed certificate and its key; `combined` also gets both in one
// PEM (what ClientCertificateCredential's certificatePath reads).
function makeCertificate(dir, name, subject, extra = []) {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', subject, ...extra]);
  const combined = path.join(dir, `${name}.pem`);
  fs.writeFileSync(combined, fs.readFileSync(cert, 'utf8') + fs.readFileSync(key, 'utf8'), { mode: 0o600 });
  return { cert, key, combined };
}

function nodeMajor() {
  return Number(process.versions.node.split('.')[0]);
}

async function runAzureChecks(ctx) {
  if (nodeMajor() < kMinNode) {
    ctx.skip(`the Azure checks need Node >= ${kMinNode} (@azure/identity 4.14, @azure/msal-node 7); this is ${process.version}`);
    return;
  }
  for (const name of ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_CLIENT_CERTIFICATE_PATH', 'AZURE_AUTHORITY_HOST',
    'AZURE_FEDERATED_TOKEN_FILE', 'AZURE_POD_IDENTITY_AUTHORITY_HOST', 'IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'IMDS_ENDPOINT', 'MSI_ENDPOINT',
    'MSI_SECRET', 'IDENTITY_SERVER_THUMBPRINT']) {
    delete process.env[name];
  }
  const { ClientSecretCredential, ClientCertificateCredential, WorkloadIdentityCredential, ManagedIdentityCredential } = require('@azure/identity');
  const { LogsIngestionClient, isAggregateLogsUploadError } = require('@azure/monitor-ingestion');
  const { dir, check, expect, start, readLines } = ctx;
  const file = (name) => path.join(dir, name);

  const server = makeCertificate(dir, 'server', '/CN=127.0.0.1', ['-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
  const client = makeCertificate(dir, 'client', `/CN=${kClient}`);
  const stranger = makeCertificate(dir, 'stranger', '/CN=not-registered');
  const federated = file('federated-token');
  const federatedToken = 'eyJhbGciOiJSUzI1NiJ9.' + Buffer.from(JSON.stringify({ iss: 'https://oidc.prod-aks.azure.com/standin/',
    sub: 'system:serviceaccount:logging:sluice', aud: 'api://AzureADTokenExchange', exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url') + '.c2ln';
  fs.writeFileSync(federated, federatedToken);
  const control = file('az-control.json');
  const a = await start('azure_standin.js', ['--log', file('az-log.jsonl'), '--store', file('az-store.jsonl'), '--control', control,
    '--tenant', kTenant, '--client-id', kClient, '--client-secret', 'right-secret', '--client-cert', client.cert,
    '--federated-token-file', federated, '--managed-identity', kUserAssigned, '--managed-identity', kNoRole, '--no-role', kNoRole,
    '--dcr', kDcr, '--stream', kStream, '--tls-cert', server.cert, '--tls-key', server.key]);
  const https = `https://127.0.0.1:${a.port}`;
  const tlsOptions = { ca: fs.readFileSync(server.cert) };
  const common = { authorityHost: https, disableInstanceDiscovery: true, tlsOptions, retryOptions: { maxRetries: 2, retryDelayInMs: 100 } };
  const log = (endpoint) => readLines(file('az-log.jsonl')).filter((l) => l.endpoint === endpoint);
  const stored = () => readLines(file('az-store.jsonl'));
  const ingestClient = (credential) => new LogsIngestionClient(https, credential, { tlsOptions, retryOptions: { maxRetries: 2, retryDelayInMs: 100 } });
  const records = (tag, n, pad = 0) => Array.from({ length: n }, (_, i) => ({ TimeGenerated: new Date().toISOString(), Tag: tag, N: i, Pad: 'x'.repeat(pad) }));
  const storedWith = (tag) => stored().filter((s) => s.record.Tag === tag);
  const uploadError = async (client, tag) => {
    const e = await client.upload(kDcr, kStream, records(tag, 1)).then(() => null, (err) => err);
    expect(e && isAggregateLogsUploadError(e) && e.errors.length === 1, e ? e.message : 'the upload succeeded');
    return e.errors[0].cause;
  };

  const secret = new ClientSecretCredential(kTenant, kClient, 'right-secret', common);
  await check('ClientSecretCredential gets a token (MSAL reads the openid-configuration, then posts the secret)', async () => {
    const t = await secret.getToken(kScope);
    const line = log('token').slice(-1)[0];
    expect(t.token && line.status === 200 && line.grant === 'client_secret' && line.scope === kScope && log('openid').length === 1,
      JSON.stringify(line));
    return `expires ${new Date(t.expiresOnTimestamp).toISOString()}`;
  });
  await check('LogsIngestionClient uploads gzip to /dataCollectionRules/{dcr}/streams/{stream}?api-version=2023-01-01; 204, records stored', async () => {
    await ingestClient(secret).upload(kDcr, kStream, records('secret', 3));
    const line = log('ingest').slice(-1)[0];
    expect(line.status === 204 && line.gzip && line.api_version === '2023-01-01' && line.records === 3 && line.grant === 'client_secret',
      JSON.stringify(line));
    const s = storedWith('secret');
    expect(s.length === 3 && s.every((x) => x.dcr === kDcr && x.stream === kStream) && s[2].record.N === 2, JSON.stringify(s));
  });
  await check('a 2.4 MB upload: the SDK splits it into calls of at most 1 MB, every one accepted', async () => {
    const before = log('ingest').length;
    await ingestClient(secret).upload(kDcr, kStream, records('big', 2400, 1000));
    const calls = log('ingest').slice(before);
    expect(calls.length >= 3 && calls.every((c) => c.status === 204 && c.bytes <= 1024 * 1024), JSON.stringify(calls.map((c) => [c.status, c.bytes])));
    expect(storedWith('big').length === 2400, `${storedWith('big').length} stored`);
    return `${calls.length} calls, largest ${Math.max(...calls.map((c) => c.bytes))} bytes`;
  });
  await check('one 1.1 MB record: the SDK sends it whole, the stand-in answers 413 ContentLengthLimitExceeded', async () => {
    const e = await ingestClient(secret).upload(kDcr, kStream, records('huge', 1, 1100 * 1024)).then(() => null, (err) => err);
    const cause = e && e.errors && e.errors[0].cause;
    expect(cause && cause.statusCode === 413 && cause.code === 'ContentLengthLimitExceeded', e ? e.message : 'accepted');
    return cause.message;
  });
  await check('a wrong client secret: @azure/identity reports invalid_client AADSTS7000215', async () => {
    const e = await new ClientSecretCredential(kTenant, kClient, 'wrong-secret', common).getToken(kScope).then(() => null, (err) => err);
    expect(e && /AADSTS7000215: Invalid client secret provided/.test(e.message) && /invalid_client/.test(e.message), e ? e.message : 'accepted');
  });
  await check('ClientCertificateCredential (PS256, x5t#S256) gets a token and uploads', async () => {
    const cred = new ClientCertificateCredential(kTenant, kClient, { certificatePath: client.combined }, common);
    await ingestClient(cred).upload(kDcr, kStream, records('cert', 2));
    const line = log('token').filter((l) => l.grant === 'client_certificate').slice(-1)[0];
    expect(line && line.status === 200 && line.alg === 'PS256' && line.x5t_s256, JSON.stringify(line));
    expect(storedWith('cert').length === 2 && log('ingest').slice(-1)[0].grant === 'client_certificate', 'not stored');
    return `alg ${line.alg}, x5t#S256 ${line.x5t_s256}`;
  });
  await check('a certificate the app does not have: AADSTS700027', async () => {
    const cred = new ClientCertificateCredential(kTenant, kClient, { certificatePath: stranger.combined }, common);
    const e = await cred.getToken(kScope).then(() => null, (err) => err);
    expect(e && /AADSTS700027/.test(e.message), e ? e.message : 'accepted');
  });
  await check('WorkloadIdentityCredential posts the federated token file; the token uploads', async () => {
    const cred = new WorkloadIdentityCredential({ tenantId: kTenant, clientId: kClient, tokenFilePath: federated, ...common });
    await ingestClient(cred).upload(kDcr, kStream, records('workload', 1));
    const line = log('token').slice(-1)[0];
    expect(line.status === 200 && line.grant === 'workload_identity' && storedWith('workload').length === 1, JSON.stringify(line));
  });
  await check('a federated token the tenant does not trust: AADSTS700211', async () => {
    fs.writeFileSync(file('other-token'), 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2Vsc2V3aGVyZSJ9.c2ln');
    const cred = new WorkloadIdentityCredential({ tenantId: kTenant, clientId: kClient, tokenFilePath: file('other-token'), ...common });
    const e = await cred.getToken(kScope).then(() => null, (err) => err);
    expect(e && /AADSTS700211/.test(e.message), e ? e.message : 'accepted');
  });

  process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = `http://127.0.0.1:${a.port}`;
  try {
    await check('ManagedIdentityCredential (system-assigned) gets a token from IMDS with "Metadata: true"; it uploads', async () => {
      const cred = new ManagedIdentityCredential({ retryOptions: { maxRetries: 0 } });
      await ingestClient(cred).upload(kDcr, kStream, records('mi', 1));
      const line = log('imds').slice(-1)[0];
      expect(line.status === 200 && line.metadata && line.identity === 'system' && /^https:\/\/monitor\.azure\.com\/?$/.test(line.resource),
        JSON.stringify(line));
      expect(storedWith('mi').length === 1 && log('ingest').slice(-1)[0].principal === 'system', 'not stored');
      return `resource ${line.resource}`;
    });
    await check('ManagedIdentityCredential (user-assigned client id) asks IMDS with client_id', async () => {
      const t = await new ManagedIdentityCredential(kUserAssigned).getToken(kScope);
      const line = log('imds').slice(-1)[0];
      expect(t.token && line.status === 200 && line.id_param === 'client_id' && line.identity === kUserAssigned, JSON.stringify(line));
    });
    await check('an identity the VM does not have: IMDS 400 "Identity not found" reaches the caller', async () => {
      const e = await new ManagedIdentityCredential('00000000-1111-2222-3333-444444444444').getToken(kScope).then(() => null, (err) => err);
      expect(e && /Identity not found|not assigned/i.test(e.message) && log('imds').slice(-1)[0].status === 400, e ? e.message : 'accepted');
    });
    await check('a principal without Monitoring Metrics Publisher: 403 OperationFailed', async () => {
      const cause = await uploadError(ingestClient(new ManagedIdentityCredential(kNoRole)), 'norole');
      expect(cause.statusCode === 403 && cause.code === 'OperationFailed' && /does not have access to ingest data/.test(cause.message), cause.message);
    });
  } finally {
    delete process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST;
  }

  await check('an unknown DCR or stream: 404 NotFound', async () => {
    const client = ingestClient(secret);
    const e1 = await client.upload('dcr-ffffffffffffffffffffffffffffffff', kStream, records('x', 1)).then(() => null, (err) => err);
    const e2 = await client.upload(kDcr, 'Custom-Other_CL', records('x', 1)).then(() => null, (err) => err);
    for (const e of [e1, e2]) expect(e && e.errors[0].cause.statusCode === 404 && e.errors[0].cause.code === 'NotFound', e ? e.message : 'accepted');
  });
  await check('scripted 429 with Retry-After: 1, then 503: the SDK waits, retries and succeeds', async () => {
    fs.writeFileSync(control, JSON.stringify({ faults: [{ type: 'status', status: 429, retry_after: 1 }, { type: 'status', status: 503, retry_after: 1 }] }));
    const before = log('ingest').length;
    await ingestClient(secret).upload(kDcr, kStream, records('throttled', 1));
    const calls = log('ingest').slice(before).map((c) => c.status);
    expect(calls.join() === '429,503,204' && storedWith('throttled').length === 1, calls.join());
  });
  await check('scripted 401 revokes the token: the SDK reports 401 InvalidToken; a fresh credential\'s token is accepted', async () => {
    fs.writeFileSync(control, JSON.stringify({ faults: [{ type: 'status', status: 401 }] }));
    const cause = await uploadError(ingestClient(secret), 'revoked');
    expect(cause.statusCode === 401 && cause.code === 'InvalidToken', `${cause.statusCode} ${cause.code}`);
    const fresh = new ClientSecretCredential(kTenant, kClient, 'right-secret', common);
    await ingestClient(fresh).upload(kDcr, kStream, records('after-401', 1));
    expect(storedWith('after-401').length === 1, 'not stored');
  });
  await check('scripted 503 on the token endpoint: @azure/identity retries and gets a token', async () => {
    fs.writeFileSync(control, JSON.stringify({ faults: [{ on: 'token', type: 'status', status: 503, retry_after: 1 }] }));
    const before = log('token').length;
    const t = await new ClientSecretCredential(kTenant, kClient, 'right-secret', common).getToken(kScope);
    const statuses = log('token').slice(before).map((l) => l.status);
    expect(t.token && statuses.join() === '503,200', statuses.join());
  });
  await check('no stand-in log or store line holds a secret, an assertion or a token', async () => {
    const text = fs.readFileSync(file('az-log.jsonl'), 'utf8');
    expect(!text.includes('right-secret') && !text.includes('wrong-secret') && !/eyJ[\w-]+\.[\w-]+\./.test(text), 'a secret or JWT in the log');
  });
}

module.exports = { runAzureChecks };
