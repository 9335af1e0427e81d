// SigV4 verification for cloudwatch_standin.js: recomputes the signature of an
// incoming request with @smithy/signature-v4 (the AWS SDK's own signer, so
// independent of sluice's) over exactly the headers the request lists in
// SignedHeaders, and answers what AWS JSON services answer when it is wrong.
//
// The error types and messages are the ones AWS returns (seen in SDK and
// agent issue reports for CloudWatch Logs); CloudWatch Logs answers all of
// them with HTTP 400 (S3/query services use 403 and SignatureDoesNotMatch).
// Messages marked (stand-in) are this file's own wording.
'use strict';

const crypto = require('crypto');
const { SignatureV4 } = require('@smithy/signature-v4');
const { Sha256 } = require('@aws-crypto/sha256-js');

const kAlgorithm = 'AWS4-HMAC-SHA256';
const kMismatch = 'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const kInvalidToken = 'The security token included in the request is invalid.';

function fail(type, message) {
  return { type, message };
}

// "20261121T100000Z" -> Date, or null.
function parseAmzDate(text) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text || '');
  if (!m) return null;
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

function formatAmzDate(date) {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

// "AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=x;y, Signature=hex"
function parseAuthorization(header) {
  const space = header.indexOf(' ');
  const algorithm = space < 0 ? header : header.slice(0, space);
  const params = {};
  for (const part of (space < 0 ? '' : header.slice(space + 1)).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) params[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return { algorithm, params };
}

// The request as @smithy/signature-v4 wants it, with only the signed headers
// (repeated headers joined with "," as SigV4 specifies).
function signableRequest(req, body, signedHeaders) {
  const url = new URL(req.url, 'http://placeholder');
  const query = {};
  for (const [k, v] of url.searchParams) {
    if (k in query) query[k] = [].concat(query[k], v);
    else query[k] = v;
  }
  const headers = {};
  for (const name of signedHeaders) {
    const values = req.headersDistinct[name];
    if (values !== undefined) headers[name] = values.join(',');
  }
  const rawPath = req.url.split('?')[0];
  return { method: req.method, protocol: 'http:', hostname: 'placeholder', path: rawPath, query, headers, body };
}

function timingSafeEqualHex(a, b) {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

// Returns null when the request is signed with `creds`
// ({accessKey, secretKey, sessionToken?}) for `service` in `region` within
// `maxSkewMs` of `now`, else {type, message} to answer with HTTP 400.
async function verifySigV4(req, body, creds, { region, service, maxSkewMs, now }) {
  const header = req.headers.authorization;
  if (!header) return fail('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const { algorithm, params } = parseAuthorization(header);
  if (algorithm !== kAlgorithm) {
    return fail('IncompleteSignatureException', `Unsupported AWS 'algorithm': '${algorithm}' (stand-in)`);
  }
  const missing = ['Credential', 'Signature', 'SignedHeaders'].filter((p) => !params[p]);
  if (missing.length) {
    return fail('IncompleteSignatureException',
      missing.map((p) => `Authorization header requires '${p}' parameter.`).join(' ') + ` Authorization=${header}`);
  }
  const scope = params.Credential.split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request') {
    return fail('IncompleteSignatureException', `Credential is not <key>/<date>/<region>/<service>/aws4_request (stand-in): ${params.Credential}`);
  }
  const [accessKey, scopeDate, scopeRegion, scopeService] = scope;
  if (accessKey !== creds.accessKey) return fail('UnrecognizedClientException', kInvalidToken);
  const token = req.headers['x-amz-security-token'];
  if ((creds.sessionToken || undefined) !== (token || undefined)) return fail('UnrecognizedClientException', kInvalidToken);

  const amzDateText = req.headers['x-amz-date'];
  const signedAt = parseAmzDate(amzDateText);
  if (!signedAt) {
    return fail('IncompleteSignatureException',
      `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${header}`);
  }
  const nowText = formatAmzDate(now);
  if (signedAt.getTime() < now.getTime() - maxSkewMs) {
    return fail('InvalidSignatureException', `Signature expired: ${amzDateText} is now earlier than ` +
      `${formatAmzDate(new Date(now.getTime() - maxSkewMs))} (${nowText} - ${maxSkewMs / 60000} min.)`);
  }
  if (signedAt.getTime() > now.getTime() + maxSkewMs) {
    return fail('InvalidSignatureException', `Signature not yet current: ${amzDateText} is still later than ` +
      `${formatAmzDate(new Date(now.getTime() + maxSkewMs))} (${nowText} + ${maxSkewMs / 60000} min.)`);
  }
  if (scopeDate !== amzDateText.slice(0, 8)) {
    return fail('InvalidSignatureException', 'Date in Credential scope does not match YYYYMMDD from ISO-8601 ' +
      `version of date from HTTP: '${scopeDate}' != '${amzDateText.slice(0, 8)}', from '${amzDateText}'.`);
  }
  if (region && scopeRegion !== region) {
    return fail('InvalidSignatureException', `Credential should be scoped to a valid region, not '${scopeRegion}'. `);
  }
  if (scopeService !== service) {
    return fail('InvalidSignatureException', `Credential should be scoped to correct service: '${service}'. `);
  }
  const signedHeaders = params.SignedHeaders.split(';');
  if (!signedHeaders.includes('host')) {
    return fail('InvalidSignatureException', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  const declaredHash = req.headers['x-amz-content-sha256'];
  if (declaredHash && declaredHash !== 'UNSIGNED-PAYLOAD' &&
      declaredHash !== crypto.createHash('sha256').update(body).digest('hex')) {
    return fail('InvalidSignatureException', "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }

  // The session token is checked above and signed only if SignedHeaders says
  // so, so it is not handed to the signer (which would add and sign it).
  const signer = new SignatureV4({
    credentials: { accessKeyId: accessKey, secretAccessKey: creds.secretKey },
    region: scopeRegion,
    service: scopeService,
    sha256: Sha256,
    applyChecksum: false,
  });
  const signed = await signer.sign(signableRequest(req, body, signedHeaders), {
    signingDate: signedAt,
    signableHeaders: new Set(signedHeaders),
  });
  const expected = /Signature=([0-9a-f]+)/.exec(signed.headers.authorization)[1];
  const expectedList = /SignedHeaders=([^,]+)/.exec(signed.headers.authorization)[1];
  if (expectedList !== params.SignedHeaders || !timingSafeEqualHex(expected, params.Signature)) {
    return fail('InvalidSignatureException', kMismatch);
  }
  return null;
}

module.exports = { verifySigV4 };
