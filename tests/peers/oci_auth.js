// The authentication side of oci_standin.js: OCI's HTTP request signature
// (draft-cavage-http-signatures-08 as Oracle profiles it: the OCI
// documentation's "Request Signatures"; protocols.md section 8) checked
// with Oracle's own code (oci-common re-signs the request when the stand-in
// holds the private key, and the two signatures must be equal) and
// independently with Joyent's http-signature (parseRequest +
// verifySignature with the public key); the API keys it knows; and the
// security tokens it issues ("ST$<token>" key ids: instance principals and
// session tokens).
'use strict';

const crypto = require('crypto');
const httpSignature = require('http-signature');
const common = require('oci-common');

// OCI's answer to every authentication failure; the stand-in appends why.
const kNotAuthenticated = 'The required information to complete authentication was not provided or was incorrect.';
const kBodyMethods = ['POST', 'PUT', 'PATCH'];
const kBodyHeaders = ['content-length', 'content-type', 'x-content-sha256'];

class AuthError extends Error {
  constructor(why) {
    super(why);
    this.status = 401;
    this.code = 'NotAuthenticated';
  }
}

function sha256Base64(buffer) {
  return crypto.createHash('sha256').update(buffer).digest('base64');
}

// OCI's API key fingerprint: MD5 of the public key's DER, colon hex.
function keyFingerprint(publicKey) {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return crypto.createHash('md5').update(der).digest('hex').match(/../g).join(':');
}

// `Signature version="1",keyId="…",…` → {version, keyId, algorithm, headers, signature}.
function parseAuthorization(value) {
  if (!value) throw new AuthError('no Authorization header');
  const m = /^Signature\s+(.*)$/.exec(value);
  if (!m) throw new AuthError('the Authorization scheme is not Signature');
  const params = {};
  const re = /\s*([A-Za-z]+)="([^"]*)"\s*(,|$)/y;
  let at = 0;
  while (at < m[1].length) {
    re.lastIndex = at;
    const p = re.exec(m[1]);
    if (!p) throw new AuthError('a malformed Authorization header');
    params[p[1]] = p[2];
    at = re.lastIndex;
  }
  return params;
}

// The key ids this stand-in accepts. API keys: "<tenancy>/<user>/<fingerprint>".
class ApiKeys {
  constructor() {
    this.keys = new Map();
  }

  add(tenancy, user, privateKeyPem) {
    const publicKey = crypto.createPublicKey(privateKeyPem);
    const fingerprint = keyFingerprint(publicKey);
    const keyId = `${tenancy}/${user}/${fingerprint}`;
    this.keys.set(keyId, { kind: 'api_key', keyId, publicKey, privateKeyPem });
    return { keyId, fingerprint };
  }

  find(keyId) {
    return this.keys.get(keyId) || null;
  }
}

function base64url(buffer) {
  return Buffer.from(buffer).toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

// Security tokens: RS256 JWTs signed by this process, carrying the public
// key they vouch for as a JWK in the "jwk" claim (a JSON string, as in
// OCI's tokens), numbered in issue order.
class TokenIssuer {
  constructor() {
    this.key = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    this.publicKey = crypto.createPublicKey(this.key);
    this.tokens = new Map(); // token -> {n, revoked}
    this.count = 0;
  }

  issue({ publicKey, subject, tenancy, ttlS, type, now }) {
    const iat = Math.floor(now / 1000);
    const key = publicKey instanceof crypto.KeyObject && publicKey.type === 'public' ? publicKey : crypto.createPublicKey(publicKey);
    const jwk = Object.assign({ kid: `standin-session-${this.count + 1}`, alg: 'RS256', use: 'sig' }, key.export({ format: 'jwk' }));
    const payload = { sub: subject, iss: 'authService.oracle.com', aud: 'oci', iat, exp: iat + ttlS,
      jti: crypto.randomUUID(), ttype: type, ptype: type === 'x509' ? 'instance' : 'user', 'opc-tenant': tenancy,
      jwk: JSON.stringify(jwk) };
    const head = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'standin-asw' }));
    const body = base64url(JSON.stringify(payload));
    const signature = crypto.sign('sha256', Buffer.from(`${head}.${body}`), this.key);
    const token = `${head}.${body}.${base64url(signature)}`;
    const info = { n: ++this.count, revoked: false, exp: payload.exp };
    this.tokens.set(token, info);
    return { token, n: info.n, exp: payload.exp };
  }

  // {n, exp, publicKey, revoked} of a token this process issued with a
  // valid signature, else null.
  lookup(token) {
    const parts = String(token).split('.');
    if (parts.length !== 3) return null;
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
    const signature = Buffer.from(parts[2].replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (!crypto.verify('sha256', signed, this.publicKey, signature)) return null;
    const payload = JSON.parse(Buffer.from(parts[1].replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
    const info = this.tokens.get(token) || { n: null, revoked: false };
    return { n: info.n, exp: payload.exp, revoked: info.revoked, type: payload.ttype,
      publicKey: crypto.createPublicKey({ key: JSON.parse(payload.jwk), format: 'jwk' }) };
  }

  revoke(token) {
    const info = this.tokens.get(token);
    if (info) info.revoked = true;
  }
}

// oci-common's DefaultRequestSigner signing the received request again over
// the header list it names (oci-common signs a fixed list, so it is set for
// this one call: the list is copied before signHttpRequest's first await).
// RSA PKCS#1 v1.5 is deterministic: equal signatures mean both signed the
// same string with the same key. Resolves to the signature parameter.
async function ociCommonSignature(req, signedHeaders, privateKeyPem) {
  const provider = new common.SimpleAuthenticationDetailsProvider('t', 'u', 'f', privateKeyPem, null, null);
  const signer = new common.DefaultRequestSigner(provider);
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  headers.delete('authorization');
  const request = { method: req.method, uri: `http://${req.headers.host}${req.url}`, headers, body: undefined };
  const saved = common.DefaultRequestSigner.headersToSign;
  let signing;
  try {
    common.DefaultRequestSigner.headersToSign = signedHeaders;
    signing = signer.signHttpRequest(request, true);
  } finally {
    common.DefaultRequestSigner.headersToSign = saved;
  }
  await signing;
  return parseAuthorization(headers.get('authorization')).signature;
}

// Checks one request. resolveKey(keyId) → {kind, publicKey, privateKeyPem?}
// or null for key ids that are not "ST$…". Resolves to
// {kind, keyId, token, tokenN, signedHeaders, verifiedBy, skewS}; throws
// AuthError (401 NotAuthenticated) with why.
async function verifyRequest(req, body, { resolveKey, tokens, skewS, now, requireHost = true }) {
  const params = parseAuthorization(req.headers.authorization);
  const out = { kind: null, keyId: null, token: null, tokenN: null, signedHeaders: params.headers || '', verifiedBy: [],
    skewS: null };
  if (params.version !== undefined && params.version !== '1') throw new AuthError(`signature version "${params.version}" is not 1`);
  if (params.algorithm !== 'rsa-sha256') throw new AuthError(`algorithm "${params.algorithm}" is not rsa-sha256`);
  if (!params.keyId || !params.signature || !params.headers) throw new AuthError('keyId, headers and signature are required');
  const signed = params.headers.toLowerCase().split(' ').filter(Boolean);
  const dateHeader = signed.includes('x-date') ? 'x-date' : 'date';
  const required = [dateHeader, '(request-target)'].concat(requireHost ? ['host'] : [],
    kBodyMethods.includes(req.method) ? kBodyHeaders : []);
  const missing = required.filter((h) => !signed.includes(h));
  if (missing.length) throw new AuthError(`the signature must cover ${missing.join(', ')} (it covers "${params.headers}")`);
  for (const h of signed) {
    if (!h.startsWith('(') && req.headers[h] === undefined) throw new AuthError(`signed header ${h} is not in the request`);
  }
  const date = Date.parse(req.headers[dateHeader]);
  if (Number.isNaN(date)) throw new AuthError(`${dateHeader} is not a date`);
  out.skewS = Math.round((date - now) / 1000);
  if (Math.abs(date - now) > skewS * 1000) throw new AuthError(`${dateHeader} is ${out.skewS} s off (clock skew over ${skewS} s)`);
  if (signed.includes('x-content-sha256') && req.headers['x-content-sha256'] !== sha256Base64(body)) {
    throw new AuthError("x-content-sha256 is not the body's SHA-256");
  }
  if (signed.includes('content-length') && Number(req.headers['content-length']) !== body.length) {
    throw new AuthError(`content-length ${req.headers['content-length']} is not the body's ${body.length} bytes`);
  }

  let key;
  if (params.keyId.startsWith('ST$')) {
    out.token = params.keyId.slice(3);
    const info = tokens.lookup(out.token);
    if (!info) throw new AuthError('the security token was not issued by this stand-in (or is damaged)');
    out.tokenN = info.n;
    if (info.revoked) throw new AuthError(`security token ${info.n} was revoked`);
    if (info.exp * 1000 <= now) throw new AuthError(`security token ${info.n} expired`);
    key = { kind: info.type === 'x509' ? 'instance_principal' : 'session_token', publicKey: info.publicKey };
  } else {
    key = resolveKey(params.keyId);
    if (!key) throw new AuthError(`unknown keyId ${params.keyId}`);
    out.keyId = params.keyId;
  }
  out.kind = key.kind;

  let parsed;
  try {
    parsed = httpSignature.parseRequest(req, { clockSkew: skewS, headers: required });
  } catch (e) {
    throw new AuthError(`http-signature: ${e.message}`);
  }
  const publicPem = key.publicKey.export({ type: 'spki', format: 'pem' });
  if (!httpSignature.verifySignature(parsed, publicPem)) throw new AuthError('the signature does not verify (http-signature)');
  out.verifiedBy.push('http-signature');
  if (key.privateKeyPem) {
    const theirs = await ociCommonSignature(req, signed, key.privateKeyPem);
    if (theirs !== params.signature) throw new AuthError("oci-common signs this request differently (the signing strings differ)");
    out.verifiedBy.push('oci-common');
  }
  return out;
}

module.exports = { AuthError, ApiKeys, TokenIssuer, verifyRequest, keyFingerprint, sha256Base64, kNotAuthenticated };
