// The CloudWatch Logs half of check_standins.js: the AWS SDK and aws4 against
// cloudwatch_standin.js.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const zlib = require('zlib');
const aws4 = require('aws4');
const L = require('@aws-sdk/client-cloudwatch-logs');

const kRegion = 'eu-west-1';
const kKey = 'AKIDSTANDINEXAMPLE';
const kSecret = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYSTANDINKEY';
const kGroup = '/sluice/check';
const kStream = 'node-1';
const kDay = 86400000;

function client(port, overrides = {}) {
  return new L.CloudWatchLogsClient(Object.assign({
    region: kRegion,
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: kKey, secretAccessKey: kSecret },
    maxAttempts: 1,
  }, overrides));
}

async function rejects(promise, type) {
  try {
    await promise;
  } catch (e) {
    if (e.name !== type) throw new Error(`expected ${type}, got ${e.name}: ${e.message}`);
    return e;
  }
  throw new Error(`expected ${type}, the call succeeded`);
}

// A raw request signed by aws4 (independent of the SDK's signer).
function aws4Post(port, op, body, { gzip = false, tamper = false } = {}) {
  const payload = gzip ? zlib.gzipSync(Buffer.from(JSON.stringify(body))) : Buffer.from(JSON.stringify(body));
  const headers = { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': `Logs_20140328.${op}` };
  if (gzip) headers['Content-Encoding'] = 'gzip';
  const opts = aws4.sign({ host: `127.0.0.1:${port}`, path: '/', method: 'POST', service: 'logs', region: kRegion, headers, body: payload },
    { accessKeyId: kKey, secretAccessKey: kSecret });
  const sent = tamper ? Buffer.concat([payload, Buffer.from(' ')]) : payload;
  opts.headers['Content-Length'] = sent.length;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/', method: 'POST', headers: opts.headers }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    req.end(sent);
  });
}

async function runCloudWatchChecks({ dir, check, expect, start, readLines }) {
  const file = (name) => path.join(dir, name);
  const control = file('cw-control.json');
  const cw = await start('cloudwatch_standin.js', ['--log', file('cw-log.jsonl'), '--store', file('cw-store.jsonl'), '--control', control,
    '--access-key', kKey, '--secret-key', kSecret, '--region', kRegion]);
  const sdk = client(cw.port);
  const stored = () => readLines(file('cw-store.jsonl'));
  const put = (events, c = sdk, stream = kStream, group = kGroup) =>
    c.send(new L.PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: events }));

  await check('CreateLogGroup is accepted; again -> ResourceAlreadyExistsException (typed)', async () => {
    const out = await sdk.send(new L.CreateLogGroupCommand({ logGroupName: kGroup }));
    expect(out.$metadata.httpStatusCode === 200 && out.$metadata.requestId, 'no 200 with x-amzn-RequestId');
    const e = await rejects(sdk.send(new L.CreateLogGroupCommand({ logGroupName: kGroup })), 'ResourceAlreadyExistsException');
    expect(e instanceof L.ResourceAlreadyExistsException && e.$metadata.httpStatusCode === 400, 'not a typed 400');
  });
  await check('CreateLogStream, DescribeLogStreams and DescribeLogGroups round-trip', async () => {
    await sdk.send(new L.CreateLogStreamCommand({ logGroupName: kGroup, logStreamName: kStream }));
    const streams = await sdk.send(new L.DescribeLogStreamsCommand({ logGroupName: kGroup, logStreamNamePrefix: 'node-' }));
    expect(streams.logStreams.length === 1 && streams.logStreams[0].logStreamName === kStream, JSON.stringify(streams.logStreams));
    const groups = await sdk.send(new L.DescribeLogGroupsCommand({ logGroupNamePrefix: '/sluice' }));
    expect(groups.logGroups.some((g) => g.logGroupName === kGroup), JSON.stringify(groups.logGroups));
  });
  await check('PutLogEvents of a sorted batch: 200, no rejections, every event stored', async () => {
    const now = Date.now();
    const events = [{ timestamp: now - 2, message: 'first' }, { timestamp: now - 1, message: 'zweite – ünïcode' }, { timestamp: now, message: '{"k":1}' }];
    const out = await put(events);
    expect(out.rejectedLogEventsInfo === undefined, JSON.stringify(out.rejectedLogEventsInfo));
    const got = stored().map((s) => [s.group, s.stream, s.timestamp, s.message]);
    expect(JSON.stringify(got) === JSON.stringify(events.map((e) => [kGroup, kStream, e.timestamp, e.message])), JSON.stringify(got));
  });
  await check('PutLogEvents unsorted -> InvalidParameterException, nothing stored', async () => {
    const before = stored().length;
    const e = await rejects(put([{ timestamp: Date.now(), message: 'b' }, { timestamp: Date.now() - 1000, message: 'a' }]), 'InvalidParameterException');
    expect(/chronological order/.test(e.message) && stored().length === before, e.message);
    return e.message;
  });
  await check('PutLogEvents with a 15-day-old and a 3-h-ahead event: rejectedLogEventsInfo, the rest stored', async () => {
    const now = Date.now();
    const out = await put([{ timestamp: now - 15 * kDay, message: 'old' }, { timestamp: now, message: 'kept' }, { timestamp: now + 3 * 3600000, message: 'new' }]);
    const r = out.rejectedLogEventsInfo;
    expect(r && r.tooOldLogEventEndIndex === 1 && r.tooNewLogEventStartIndex === 2 && r.expiredLogEventEndIndex === undefined, JSON.stringify(r));
    expect(stored().slice(-1)[0].message === 'kept', 'the valid event was not stored');
    return JSON.stringify(r);
  });
  await check('PutRetentionPolicy 1 day, then a 25-h-old event -> expiredLogEventEndIndex; 2 days -> InvalidParameterException', async () => {
    await sdk.send(new L.CreateLogGroupCommand({ logGroupName: `${kGroup}/short` }));
    await sdk.send(new L.CreateLogStreamCommand({ logGroupName: `${kGroup}/short`, logStreamName: kStream }));
    await sdk.send(new L.PutRetentionPolicyCommand({ logGroupName: `${kGroup}/short`, retentionInDays: 1 }));
    const now = Date.now();
    const out = await put([{ timestamp: now - 25 * 3600000, message: 'expired' }, { timestamp: now - 23 * 3600000, message: 'fresh' }], sdk, kStream, `${kGroup}/short`);
    expect(out.rejectedLogEventsInfo?.expiredLogEventEndIndex === 1, JSON.stringify(out.rejectedLogEventsInfo));
    await rejects(sdk.send(new L.PutRetentionPolicyCommand({ logGroupName: kGroup, retentionInDays: 2 })), 'InvalidParameterException');
  });
  await check('PutLogEvents spanning more than 24 h -> InvalidParameterException', async () => {
    const now = Date.now();
    const e = await rejects(put([{ timestamp: now - 2 * kDay, message: 'a' }, { timestamp: now, message: 'b' }]), 'InvalidParameterException');
    expect(/cannot span more than 24 hours/.test(e.message), e.message);
  });
  await check('PutLogEvents over 1,048,576 bytes (messages + 26 each) -> InvalidParameterException', async () => {
    const big = 'x'.repeat(524288 - 26);
    const now = Date.now();
    await put([{ timestamp: now, message: big }, { timestamp: now, message: big.slice(1) }]);
    const e = await rejects(put([{ timestamp: now, message: big }, { timestamp: now, message: big + 'y' }]), 'InvalidParameterException');
    expect(/Upload too large: 1048577 bytes exceeds limit of 1048576/.test(e.message), e.message);
  });
  await check('PutLogEvents to a missing stream -> ResourceNotFoundException (typed)', async () => {
    const e = await rejects(put([{ timestamp: Date.now(), message: 'x' }], sdk, 'no-such-stream'), 'ResourceNotFoundException');
    expect(e instanceof L.ResourceNotFoundException, 'not typed');
  });
  await check('a wrong secret key -> InvalidSignatureException (HTTP 400)', async () => {
    const bad = client(cw.port, { credentials: { accessKeyId: kKey, secretAccessKey: 'wrong' } });
    const e = await rejects(bad.send(new L.DescribeLogGroupsCommand({})), 'InvalidSignatureException');
    expect(e.$metadata.httpStatusCode === 400, `status ${e.$metadata.httpStatusCode}`);
  });
  await check('an unknown access key -> UnrecognizedClientException (typed)', async () => {
    const bad = client(cw.port, { credentials: { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: kSecret } });
    const e = await rejects(bad.send(new L.DescribeLogGroupsCommand({})), 'UnrecognizedClientException');
    expect(e instanceof L.UnrecognizedClientException, 'not typed');
  });
  await check('a clock 10 min slow -> "Signature expired"; the SDK corrects its clock from Date and retries', async () => {
    const slow = client(cw.port, { systemClockOffset: -10 * 60000 });
    const e = await rejects(slow.send(new L.DescribeLogGroupsCommand({})), 'InvalidSignatureException');
    expect(/^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/.test(e.message), e.message);
    const fixing = client(cw.port, { systemClockOffset: -10 * 60000, maxAttempts: 2 });
    const out = await fixing.send(new L.DescribeLogGroupsCommand({}));
    expect(out.$metadata.attempts === 2, `attempts ${out.$metadata.attempts}`);
    return e.message;
  });
  await check('scripted ThrottlingException 400 + Retry-After, then 503: the SDK retries both and succeeds', async () => {
    fs.writeFileSync(control, JSON.stringify({ faults: [
      { type: 'status', status: 400, error_type: 'ThrottlingException', message: 'Rate exceeded', retry_after: '0' },
      { type: 'status', status: 503, error_type: 'ServiceUnavailableException', message: 'The service is unavailable.' }] }));
    const retrying = client(cw.port, { maxAttempts: 3 });
    const out = await put([{ timestamp: Date.now(), message: 'after retries' }], retrying);
    expect(out.$metadata.attempts === 3, `attempts ${out.$metadata.attempts}`);
    const faults = readLines(path.join(dir, 'cw-log.jsonl')).slice(-3).map((l) => `${l.status}/${l.type}`);
    expect(faults.join() === '400/ThrottlingException,503/ServiceUnavailableException,200/null', faults.join());
  });
  await check('scripted ExpiredTokenException reaches the caller as that error name', async () => {
    fs.writeFileSync(control, JSON.stringify({ faults: [{ type: 'status', status: 400, error_type: 'ExpiredTokenException',
      message: 'The security token included in the request is expired' }] }));
    await rejects(put([{ timestamp: Date.now(), message: 'x' }]), 'ExpiredTokenException');
  });
  await check('scripted drop / drop_after_store: the SDK sees a connection error; only the second stores', async () => {
    fs.writeFileSync(control, JSON.stringify({ faults: [{ type: 'drop' }, { type: 'drop_after_store' }] }));
    const before = stored().length;
    await put([{ timestamp: Date.now(), message: 'dropped' }]).then(() => { throw new Error('drop answered'); }, () => null);
    expect(stored().length === before, 'drop stored the event');
    await put([{ timestamp: Date.now(), message: 'stored, then dropped' }]).then(() => { throw new Error('drop_after_store answered'); }, () => null);
    expect(stored().length === before + 1, 'drop_after_store did not store');
  });
  await check('aws4-signed gzip PutLogEvents (Content-Encoding: gzip) is accepted and stored', async () => {
    const r = await aws4Post(cw.port, 'PutLogEvents', { logGroupName: kGroup, logStreamName: kStream, logEvents: [{ timestamp: Date.now(), message: 'gzipped' }] }, { gzip: true });
    expect(r.status === 200 && r.headers['x-amzn-requestid'] && stored().slice(-1)[0].message === 'gzipped', JSON.stringify(r));
  });
  await check('an aws4-signed body changed after signing -> InvalidSignatureException', async () => {
    const r = await aws4Post(cw.port, 'DescribeLogGroups', {}, { tamper: true });
    expect(r.status === 400 && r.body.__type === 'InvalidSignatureException', JSON.stringify(r));
  });

  const token = await start('cloudwatch_standin.js', ['--access-key', kKey, '--secret-key', kSecret, '--session-token', 'FQoGZXIvYXdzEXAMPLETOKEN', '--region', kRegion]);
  await check('--session-token: the SDK with that token is accepted, without it -> UnrecognizedClientException', async () => {
    await client(token.port, { credentials: { accessKeyId: kKey, secretAccessKey: kSecret, sessionToken: 'FQoGZXIvYXdzEXAMPLETOKEN' } })
      .send(new L.DescribeLogGroupsCommand({}));
    await rejects(client(token.port).send(new L.DescribeLogGroupsCommand({})), 'UnrecognizedClientException');
  });
  const fast = await start('cloudwatch_standin.js', ['--fast']);
  await check('--fast answers PutLogEvents 200 {} that the SDK accepts', async () => {
    const out = await put([{ timestamp: Date.now(), message: 'bench' }], client(fast.port), 'any', 'any');
    expect(out.$metadata.httpStatusCode === 200, 'not 200');
  });
}

module.exports = { runCloudWatchChecks };
