// OAuth2 for google_standin.js: the service account whose JWTs the token
// endpoint accepts, the JWT-bearer grant (RFC 7523) checked the way Google's
// token endpoint answers it, self-signed JWTs used directly as Bearer tokens,
// and the store of access tokens handed out (by /token and the metadata
// server) that entries:write accepts. JWT signatures are verified with jose.
//
// Error answers are Google's as seen in client-library issue reports
// ({"error": "invalid_grant", "error_description": "Invalid JWT Signature."},
// "Invalid JWT: Failed audience check. The right audience is ...", "Invalid
// JWT: Token must be a short-lived token (60 minutes) and in a reasonable
// timeframe. ...", invalid_scope "Invalid OAuth scope or ID token audience
// provided."); descriptions marked (stand-in) are this file's wording.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const jose = require('jose');

const kJwtBearer = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const kLoggingAudience = 'https://logging.googleapis.com/';
const kWriteScopes = [
  'https://www.googleapis.com/auth/logging.write',
  'https://www.googleapis.com/auth/logging.admin',
  'https://www.googleapis.com/auth/cloud-platform',
];

// The service account: {clientEmail, publicKey (KeyObject), keyId, tokenUri,
// projectId}, from a key file, a PEM public key, or generated.
function loadAccount({ keyFile, publicKeyFile, clientEmail }) {
  if (keyFile) {
    const key = JSON.parse(fs.readFileSync(keyFile, 'utf8'));
    return {
      clientEmail: key.client_email,
      publicKey: crypto.createPublicKey(key.private_key),
      keyId: key.private_key_id,
      tokenUri: key.token_uri,
      projectId: key.project_id,
    };
  }
  if (publicKeyFile) {
    if (!clientEmail) throw new Error('--public-key needs --client-email');
    return { clientEmail, publicKey: crypto.createPublicKey(fs.readFileSync(publicKeyFile)), keyId: undefined, tokenUri: undefined, projectId: undefined };
  }
  return null;
}

// A fresh RSA key and the service-account key file (as the Cloud console
// downloads it) whose token_uri is `tokenUri`.
function generateKeyFile(projectId, tokenUri) {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const email = `sluice-test@${projectId}.iam.gserviceaccount.com`;
  return {
    type: 'service_account',
    project_id: projectId,
    private_key_id: crypto.randomBytes(20).toString('hex'),
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
    client_email: email,
    client_id: '1' + crypto.randomInt(1e9, 1e10 - 1) + crypto.randomInt(1e9, 1e10 - 1),
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: tokenUri,
    auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(email)}`,
    universe_domain: 'googleapis.com',
  };
}

// Access tokens handed out: token -> {n, subject, scopes[], expiresAt, source}.
class TokenStore {
  constructor() {
    this.tokens = new Map();
    this.count = 0;
  }

  issue(subject, scopes, ttlSeconds, source, now) {
    const n = ++this.count;
    const token = `ya29.standin-${n}-${crypto.randomBytes(24).toString('base64url')}`;
    const info = { n, subject, scopes, expiresAt: now + ttlSeconds * 1000, source, token };
    this.tokens.set(token, info);
    return info;
  }

  lookup(token) {
    return this.tokens.get(token) || null;
  }

  revoke(token) {
    const info = this.tokens.get(token);
    if (info) info.revoked = true;
  }
}

function decodeSegment(segment) {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
}

// Header and claims of a compact JWS without checking its signature, or null.
function peekJwt(jwt) {
  const parts = String(jwt).split('.');
  if (parts.length !== 3) return null;
  try {
    const header = decodeSegment(parts[0]);
    const claims = decodeSegment(parts[1]);
    if (typeof header !== 'object' || typeof claims !== 'object' || !header || !claims) return null;
    return { header, claims };
  } catch (e) {
    return null;
  }
}

async function signatureValid(jwt, header, account) {
  if (header.alg !== 'RS256') return false;
  if (header.kid !== undefined && account.keyId !== undefined && header.kid !== account.keyId) return false;
  try {
    await jose.compactVerify(jwt, account.publicKey, { algorithms: ['RS256'] });
    return true;
  } catch (e) {
    return false;
  }
}

// iat/exp as Google wants them: numbers, exp after iat by at most an hour,
// iat not later than now + skew and exp not earlier than now - skew.
function timesValid(claims, nowS, skewS) {
  const { iat, exp } = claims;
  if (typeof iat !== 'number' || typeof exp !== 'number') return false;
  return exp > iat && exp - iat <= 3600 && iat <= nowS + skewS && exp >= nowS - skewS;
}

function oauthError(error, description, status = 400) {
  return { status, body: { error, error_description: description } };
}

// The JWT-bearer grant. `form` is the parsed body; returns {status, body,
// claims?, info?} where info is the issued token.
async function exchangeJwt(form, { account, audiences, skewS, ttlS, tokens, now }) {
  const grantType = form.grant_type;
  if (!grantType) return oauthError('invalid_request', 'Missing required parameter: grant_type');
  if (grantType !== kJwtBearer) return oauthError('unsupported_grant_type', `Invalid grant_type: ${grantType}`);
  if (!form.assertion) return oauthError('invalid_request', 'Missing required parameter: assertion');
  const jwt = peekJwt(form.assertion);
  if (!jwt) return oauthError('invalid_grant', 'Invalid JWT: the assertion is not a compact JWS (stand-in)');
  const { header, claims } = jwt;
  if (!account || claims.iss !== account.clientEmail) return Object.assign(oauthError('invalid_grant', 'Invalid grant: account not found'), { claims });
  if (!(await signatureValid(form.assertion, header, account))) return Object.assign(oauthError('invalid_grant', 'Invalid JWT Signature.'), { claims });
  if (!audiences.includes(claims.aud)) {
    return Object.assign(oauthError('invalid_grant', `Invalid JWT: Failed audience check. The right audience is ${audiences[0]}`), { claims });
  }
  if (!timesValid(claims, Math.floor(now / 1000), skewS)) {
    return Object.assign(oauthError('invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a ' +
      'reasonable timeframe. Check your iat and exp values in the JWT claim.'), { claims });
  }
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [];
  if (!scopes.length) return Object.assign(oauthError('invalid_scope', 'Invalid OAuth scope or ID token audience provided.'), { claims });
  const info = tokens.issue(claims.sub || claims.iss, scopes, ttlS, 'jwt-bearer', now);
  return { status: 200, body: { access_token: info.token, expires_in: ttlS, token_type: 'Bearer' }, claims, info };
}

// A self-signed JWT sent directly as the Bearer token (no token exchange):
// signed by the account, aud https://logging.googleapis.com/ or a scope claim.
async function selfSignedJwtInfo(bearer, account, now, skewS) {
  const jwt = peekJwt(bearer);
  if (!jwt || !account || jwt.claims.iss !== account.clientEmail) return null;
  if (!(await signatureValid(bearer, jwt.header, account))) return null;
  if (!timesValid(jwt.claims, Math.floor(now / 1000), skewS)) return null;
  const scopes = typeof jwt.claims.scope === 'string' ? jwt.claims.scope.split(' ') : [];
  if (jwt.claims.aud === kLoggingAudience) scopes.push(kWriteScopes[0]);
  return { n: null, subject: jwt.claims.iss, scopes, expiresAt: jwt.claims.exp * 1000, source: 'self-signed-jwt' };
}

function canWrite(info) {
  return info.scopes.some((s) => kWriteScopes.includes(s));
}

module.exports = { loadAccount, generateKeyFile, TokenStore, exchangeJwt, selfSignedJwtInfo, canWrite, kWriteScopes };
