// The IBM Cloud IAM side of ibm_standin.js: the API-key grant at
// POST /identity/token, the RS256 JWT access tokens it issues, and the
// lookup that the ingestion endpoint uses to accept or refuse a Bearer token.
// Answers follow IBM's "Generating an IBM Cloud IAM token by using an API
// key" page and the IAM error JSON ({"errorCode","errorMessage",
// "errorDetails"?,"context"}) seen in SDK issue reports; see ibm_standin.js.
'use strict';

const crypto = require('crypto');

const kGrantType = 'urn:ibm:params:oauth:grant-type:apikey';
// IAM's signing key ids are dates; its tokens' header is {"kid":"<date>","alg":"RS256"}.
const kKeyId = '20261201-00:00:00';

function base64url(data) {
  return Buffer.from(data).toString('base64url');
}

// The request context IAM puts in every error body (values invented, shape as IAM's).
function errorContext(req, started) {
  const stamp = (t) => {
    const d = new Date(t);
    const p = (n, w = 2) => String(n).padStart(w, '0');
    return `${p(d.getUTCDate())}.${p(d.getUTCMonth() + 1)}.${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:` +
      `${p(d.getUTCSeconds())}:${p(d.getUTCMilliseconds(), 3)} UTC`;
  };
  const now = Date.now();
  return {
    requestId: `standin-${crypto.randomBytes(12).toString('hex')}`,
    requestType: 'incoming.Identity_Token',
    userAgent: req.headers['user-agent'] || '',
    url: `http://${req.headers.host || '127.0.0.1'}`,
    instanceId: 'iamid-standin-0',
    threadId: (process.pid % 0xfffff).toString(16),
    host: 'iamid-standin-0',
    startTime: stamp(started),
    endTime: stamp(now),
    elapsedTime: String(now - started),
    locale: 'en_US',
    clusterName: 'iam-standin',
  };
}

function iamError(req, started, errorCode, errorMessage, errorDetails) {
  const body = { errorCode, errorMessage };
  if (errorDetails) body.errorDetails = errorDetails;
  body.context = errorContext(req, started);
  return body;
}

// Issued tokens: RS256 JWTs with IAM's claims, signed by a key made at start.
class TokenStore {
  constructor() {
    this.key = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    this.byToken = new Map();
    this.issued = 0;
  }

  issue(apikeyIndex, ttlS, now) {
    const n = ++this.issued;
    const iat = Math.floor(now / 1000);
    const exp = iat + ttlS;
    const id = `ServiceId-5a1c0000-0000-4000-8000-${String(apikeyIndex).padStart(12, '0')}`;
    const payload = {
      iam_id: `iam-${id}`, id: `iam-${id}`, realmid: 'iam', jti: crypto.randomUUID(), identifier: id, name: 'sluice-standin',
      sub: id, sub_type: 'ServiceId', authn: { sub: id, iam_id: `iam-${id}`, sub_type: '1', name: 'sluice-standin' },
      account: { valid: true, bss: '0123456789abcdef0123456789abcdef', frozen: true },
      iat, exp, iss: 'https://iam.cloud.ibm.com/identity', grant_type: kGrantType, scope: 'ibm openid', client_id: 'default',
      acr: 1, amr: ['pwd'], standin_n: n,
    };
    const input = `${base64url(JSON.stringify({ kid: kKeyId, alg: 'RS256' }))}.${base64url(JSON.stringify(payload))}`;
    const token = `${input}.${crypto.sign('sha256', Buffer.from(input), this.key).toString('base64url')}`;
    const info = { n, token, expiresAt: exp * 1000, revoked: false };
    this.byToken.set(token, info);
    return { info, answer: {
      access_token: token,
      refresh_token: `standin-refresh-${crypto.randomBytes(24).toString('base64url')}`,
      token_type: 'Bearer',
      expires_in: ttlS,
      expiration: exp,
      scope: 'ibm openid',
    } };
  }

  lookup(token) {
    return this.byToken.get(token) || null;
  }

  revoke(token) {
    const info = this.byToken.get(token);
    if (info) info.revoked = true;
  }
}

// The API-key grant. form: the parsed body; keys: the API keys IAM knows.
// Returns {status, body, info?, problem?}: problem names what was wrong for
// the log ("unknown_apikey", "missing:apikey", …).
function grantApiKey(req, form, contentType, { keys, tokens, ttlS, now, started }) {
  const fail = (problem, code, message, details) => ({ status: 400, problem, body: iamError(req, started, code, message, details) });
  if (contentType !== 'application/x-www-form-urlencoded') {
    return fail('content_type', 'BXNIM0109E', 'Property missing or empty.',
      `Content-Type must be application/x-www-form-urlencoded, not ${contentType || 'none'} (stand-in)`);
  }
  if (!form.grant_type) return fail('missing:grant_type', 'BXNIM0109E', 'Property missing or empty.', "Property 'grant_type' either missing or empty.");
  if (form.grant_type !== kGrantType) {
    return fail('grant_type', 'BXNIM0103E', 'Operation not supported (stand-in).', `Grant type ${form.grant_type} is not supported by this stand-in.`);
  }
  if (!form.apikey) return fail('missing:apikey', 'BXNIM0109E', 'Property missing or empty.', "Property 'apikey' either missing or empty.");
  const index = keys.indexOf(form.apikey);
  if (index < 0) return fail('unknown_apikey', 'BXNIM0415E', 'Provided API key could not be found.');
  const { info, answer } = tokens.issue(index, ttlS, now);
  return { status: 200, body: answer, info, problem: null };
}

// The Bearer token of an ingestion request: {info, problem} where problem
// is null (accepted), "missing", "unknown", "revoked" or "expired".
function checkBearer(header, tokens, now) {
  const m = header && /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) return { token: null, info: null, problem: 'missing' };
  const info = tokens.lookup(m[1]);
  if (!info) return { token: m[1], info: null, problem: 'unknown' };
  if (info.revoked) return { token: m[1], info, problem: 'revoked' };
  if (info.expiresAt <= now) return { token: m[1], info, problem: 'expired' };
  return { token: m[1], info, problem: null };
}

module.exports = { kGrantType, TokenStore, grantApiKey, checkBearer, iamError };
