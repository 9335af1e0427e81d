// Microsoft Entra ID for azure_standin.js: the v2.0 token endpoint's
// client-credentials grant (client secret, certificate assertion, federated
// workload-identity token), the tenant's OpenID configuration, the managed-
// identity endpoint of the Instance Metadata Service, and the access tokens
// they hand out. Assertions are verified with jose (ESM: loaded with
// import(), which Node 18 and 20 both have).
//
// Written from Microsoft's docs: "OAuth 2.0 client credentials flow",
// "Microsoft identity platform application authentication certificate
// credentials" (aud = the token URL, iss = sub = client id, jti, nbf, exp;
// x5t / x5t#S256 name the certificate; MSAL signs PS256, older clients
// RS256), "Workload identity federation", "Microsoft Entra authentication and
// authorization error codes" (the error body), and "How to use managed
// identities on an Azure VM to acquire an access token" (IMDS). AADSTS
// numbers and first sentences are Microsoft's; wording marked (stand-in) is
// this file's.
'use strict';

const crypto = require('crypto');
const fs = require('fs');

// jose 6 reaches for the WebCrypto global, which Node 18 only has as
// require('crypto').webcrypto.
if (!globalThis.crypto) globalThis.crypto = crypto.webcrypto;
let josePromise = null;
const jose = () => (josePromise = josePromise || import('jose'));

const kJwtBearer = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
// Resources whose ".default" scope the stand-in's tenant can issue tokens for;
// the Logs Ingestion API accepts only monitor.azure.com's.
const kResources = ['https://monitor.azure.com', 'https://management.azure.com', 'https://graph.microsoft.com'];
const kMonitorAudience = 'https://monitor.azure.com';

// Access tokens handed out: token -> {n, principal, grant, audience,
// expiresAt, revoked}. Tokens are JWTs (HS256 with a key of this process) so
// that they look like Entra's to a client; the store, not the signature, is
// what the ingestion endpoint checks.
class TokenStore {
  constructor() {
    this.tokens = new Map();
    this.count = 0;
    this.key = crypto.randomBytes(32);
  }

  async issue({ principal, grant, audience, tenant, ttlS, now }) {
    const n = ++this.count;
    const iat = Math.floor(now / 1000);
    const { SignJWT } = await jose();
    const token = await new SignJWT({ aud: audience, iss: `https://sts.windows.net/${tenant}/`, appid: principal, tid: tenant,
      oid: principal, standin_n: n, uti: crypto.randomBytes(12).toString('base64url') })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt(iat).setNotBefore(iat).setExpirationTime(iat + ttlS)
      .sign(this.key);
    const info = { n, principal, grant, audience, expiresAt: now + ttlS * 1000, revoked: false, token };
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

function uuid() {
  return crypto.randomUUID();
}

// Entra's error body (reference-error-codes: error, error_description with
// the trace/correlation ids and timestamp appended, error_codes, timestamp,
// trace_id, correlation_id, error_uri).
function entraError(status, error, code, text) {
  const traceId = uuid();
  const correlationId = uuid();
  const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${text}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [code], timestamp, trace_id: traceId, correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    },
  };
}

// A registered certificate: {pem, publicKey, x5t, x5tS256} (thumbprints of
// the DER, base64url, as the JWT header carries them).
function loadCertificate(path) {
  const text = fs.readFileSync(path, 'utf8');
  const match = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text);
  if (!match) throw new Error(`${path} holds no certificate`);
  const cert = new crypto.X509Certificate(match[0]);
  return {
    path,
    publicKey: cert.publicKey,
    x5t: crypto.createHash('sha1').update(cert.raw).digest('base64url'),
    x5tS256: crypto.createHash('sha256').update(cert.raw).digest('base64url'),
    sha1Hex: crypto.createHash('sha1').update(cert.raw).digest('hex').toUpperCase(),
  };
}

function peekJwt(jwt) {
  const parts = String(jwt).split('.');
  if (parts.length !== 3) return null;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return header && claims && typeof header === 'object' && typeof claims === 'object' ? { header, claims } : null;
  } catch (e) {
    return null;
  }
}

// The resource of a client-credentials scope: "<resource>/.default" (one or
// two slashes before .default, as Microsoft's samples write it).
function scopeResource(scope) {
  const m = /^(https?:\/\/[^/\s]+)\/{1,2}\.default$/.exec(scope || '');
  return m ? m[1] : null;
}

function timeProblem(claims, nowS, skewS) {
  const { nbf, exp } = claims;
  if (typeof exp !== 'number') return 'the assertion has no exp (stand-in)';
  const notBefore = typeof nbf === 'number' ? nbf : (typeof claims.iat === 'number' ? claims.iat : 0);
  if (exp < nowS - skewS || notBefore > nowS + skewS) {
    const iso = (s) => new Date(s * 1000).toISOString();
    return `Client assertion is not within its valid time range. Current time: ${iso(nowS)}, assertion valid from ` +
      `${iso(notBefore)}, expiry time of assertion ${iso(exp)}.`;
  }
  return null;
}

// A certificate assertion (iss = sub = the client id). Returns null when it
// is good, else the Entra error.
async function checkCertificateAssertion(jwt, parsed, ctx) {
  const { header, claims } = parsed;
  const { app, tokenUrl, audiences, nowS, skewS } = ctx;
  const cert = app.certificates.find((c) => (header['x5t#S256'] && header['x5t#S256'] === c.x5tS256) ||
    (header.x5t && header.x5t === c.x5t));
  if (!cert) {
    const thumb = header.x5t ? Buffer.from(header.x5t, 'base64url').toString('hex').toUpperCase() : (header['x5t#S256'] || 'none');
    return entraError(401, 'invalid_client', 700027, 'The certificate with identifier used to sign the client assertion is not ' +
      `registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${thumb}', Please visit ` +
      `the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.clientId}'.]`);
  }
  if (header.alg !== 'RS256' && header.alg !== 'PS256') {
    return entraError(401, 'invalid_client', 700027, `Client assertion failed signature validation. The algorithm '${header.alg}' is not supported (stand-in).`);
  }
  try {
    const { compactVerify } = await jose();
    await compactVerify(jwt, cert.publicKey, { algorithms: [header.alg] });
  } catch (e) {
    return entraError(401, 'invalid_client', 700027, 'Client assertion failed signature validation.');
  }
  if (claims.iss !== app.clientId || claims.sub !== app.clientId) {
    return entraError(401, 'invalid_client', 700021, "Client assertion application identifier doesn't match 'client_id' parameter.");
  }
  if (!audiences.includes(claims.aud)) {
    return entraError(401, 'invalid_client', 50013, `Assertion is invalid: its audience '${claims.aud}' is not this token endpoint ${tokenUrl} (stand-in).`);
  }
  if (typeof claims.jti !== 'string' || !claims.jti) {
    return entraError(401, 'invalid_client', 50013, 'Assertion is invalid: it has no jti claim (stand-in).');
  }
  const late = timeProblem(claims, nowS, skewS);
  return late ? entraError(401, 'invalid_client', 700024, late) : null;
}

// A federated token (workload identity): accepted when it is one the test
// configured (--federated-token, or the current content of
// --federated-token-file) and, if it is a JWT with exp, not expired.
function checkFederatedToken(token, parsed, ctx) {
  const accepted = ctx.federatedTokens();
  const claims = parsed ? parsed.claims : {};
  if (!accepted.includes(token)) {
    return entraError(400, 'invalid_request', 700211, `No matching federated identity record found for presented assertion issuer ` +
      `'${claims.iss || ''}'. Please note that the matching is done using a case-sensitive comparison. Check your federated ` +
      'identity credential Subject, Audience and Issuer against the presented assertion.');
  }
  if (typeof claims.exp === 'number' && claims.exp < ctx.nowS - ctx.skewS) {
    return entraError(400, 'invalid_client', 700024, timeProblem(claims, ctx.nowS, ctx.skewS));
  }
  return null;
}

// POST /{tenant}/oauth2/v2.0/token. `form` is the parsed body. Returns
// {status, body, grant, clientId, scope, alg, x5t, x5tS256, info}.
async function clientCredentialsGrant(form, ctx) {
  const out = { grant: null, clientId: form.client_id || null, scope: form.scope || null, alg: null, x5t: null, x5tS256: null };
  const fail = (e) => Object.assign(out, e);
  const { app, tenant } = ctx;
  if (ctx.tenantAsked !== tenant) {
    return fail(entraError(400, 'invalid_request', 90002, `Tenant '${ctx.tenantAsked}' not found. Check to make sure you have the ` +
      'correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if ' +
      'there are no active subscriptions for the tenant.'));
  }
  if (!form.grant_type) return fail(entraError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'."));
  if (form.grant_type !== 'client_credentials') {
    return fail(entraError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${form.grant_type}'.`));
  }
  if (!form.client_id) return fail(entraError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'."));
  if (form.client_id !== app.clientId) {
    return fail(entraError(400, 'unauthorized_client', 700016, `Application with identifier '${form.client_id}' was not found in ` +
      `the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant ` +
      'or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.'));
  }
  if (!form.scope) return fail(entraError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'scope'."));
  const resource = scopeResource(form.scope);
  if (!resource) {
    return fail(entraError(400, 'invalid_scope', 1002012, `The provided value for scope ${form.scope} is not valid. Client credential ` +
      'flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).'));
  }
  if (!kResources.includes(resource)) {
    return fail(entraError(400, 'invalid_resource', 500011, `The resource principal named ${resource} was not found in the tenant ` +
      `named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or ` +
      'consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.'));
  }
  if (form.client_secret !== undefined) {
    out.grant = 'client_secret';
    if (!app.secrets.includes(form.client_secret)) {
      return fail(entraError(401, 'invalid_client', 7000215, 'Invalid client secret provided. Ensure the secret being sent in the ' +
        `request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`));
    }
  } else if (form.client_assertion !== undefined) {
    if (form.client_assertion_type !== kJwtBearer) {
      return fail(entraError(400, 'invalid_request', 900144, "The request body must contain the following parameter: " +
        `'client_assertion_type' with the value ${kJwtBearer} (stand-in).`));
    }
    const parsed = peekJwt(form.client_assertion);
    // A certificate assertion is issued by the app itself; anything else is
    // a token from another issuer, matched against federated credentials.
    if (parsed && parsed.claims.iss === app.clientId && (parsed.header.x5t || parsed.header['x5t#S256'])) {
      Object.assign(out, { grant: 'client_certificate', alg: parsed.header.alg || null, x5t: parsed.header.x5t || null,
        x5tS256: parsed.header['x5t#S256'] || null });
      const problem = await checkCertificateAssertion(form.client_assertion, parsed, ctx);
      if (problem) return fail(problem);
    } else {
      out.grant = 'workload_identity';
      const problem = checkFederatedToken(form.client_assertion, parsed, ctx);
      if (problem) return fail(problem);
    }
  } else {
    return fail(entraError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."));
  }
  const info = await ctx.tokens.issue({ principal: app.clientId, grant: out.grant, audience: resource, tenant, ttlS: ctx.ttlS, now: ctx.now });
  return Object.assign(out, { status: 200, info,
    body: { token_type: 'Bearer', expires_in: ctx.ttlS, ext_expires_in: ctx.ttlS, access_token: info.token } });
}

// GET /{tenant}/v2.0/.well-known/openid-configuration, which MSAL reads for
// the token endpoint before its first token request.
function openidConfiguration(base, tenant) {
  const t = `${base}/${tenant}`;
  return {
    token_endpoint: `${t}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${t}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${t}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
    authorization_endpoint: `${t}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${t}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${t}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'tid', 'ver'],
    tenant_region_scope: 'WW',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
  };
}

function imdsError(status, error, description) {
  return { status, body: { error, error_description: description } };
}

// GET /metadata/identity/oauth2/token?api-version=…&resource=…[&client_id|
// object_id|msi_res_id|mi_res_id]. `identities` maps each id of an identity
// on the "VM" to its principal ("system" for the system-assigned one).
// Tokens are cached per identity and resource, as IMDS does, until less than
// min(300 s, ttl/2) is left; a revoked token is not handed out again.
async function imdsToken(query, headers, ctx) {
  const out = { identity: null, idParam: null, resource: query.get('resource'), cached: false };
  const fail = (e) => Object.assign(out, e);
  if (headers['x-forwarded-for']) return fail(imdsError(400, 'invalid_request', 'Requests with an X-Forwarded-For header are refused (stand-in)'));
  if (headers.metadata !== 'true') return fail(imdsError(400, 'bad_request_102', 'Required metadata header not specified'));
  if (!query.get('api-version')) return fail(imdsError(400, 'invalid_request', "Required query variable 'api-version' is missing (stand-in)"));
  if (!out.resource) return fail(imdsError(400, 'invalid_request', 'Required audience parameter not specified'));
  const resource = out.resource.replace(/\/+$/, '');
  if (!kResources.includes(resource)) {
    return fail(imdsError(400, 'invalid_resource', `AADSTS500011: The resource principal named ${out.resource} was not found in ` +
      `the tenant named ${ctx.tenant}. This can happen if the application has not been installed by the administrator of the ` +
      'tenant or consented to by any user in the tenant.'));
  }
  const idParams = ['client_id', 'object_id', 'msi_res_id', 'mi_res_id'].filter((p) => query.get(p));
  if (idParams.length > 1) return fail(imdsError(400, 'invalid_request', 'Only one of client_id, object_id and msi_res_id may be given (stand-in)'));
  out.idParam = idParams[0] || null;
  const principal = out.idParam ? ctx.identities.get(query.get(out.idParam)) : ctx.identities.get('system');
  if (!principal) return fail(imdsError(400, 'invalid_request', 'Identity not found'));
  out.identity = principal;
  const key = `${principal} ${resource}`;
  let info = ctx.cache.get(key);
  const now = ctx.now;
  if (info && !info.revoked && info.expiresAt - now >= Math.min(300, ctx.ttlS / 2) * 1000) {
    out.cached = true;
  } else {
    info = await ctx.tokens.issue({ principal, grant: 'managed_identity', audience: resource, tenant: ctx.tenant, ttlS: ctx.ttlS, now });
    ctx.cache.set(key, info);
  }
  const expiresIn = Math.max(0, Math.floor((info.expiresAt - now) / 1000));
  const expiresOn = Math.floor(info.expiresAt / 1000);
  return Object.assign(out, { status: 200, info, body: {
    access_token: info.token, client_id: principal, expires_in: String(expiresIn), expires_on: String(expiresOn),
    ext_expires_in: String(expiresIn), not_before: String(expiresOn - ctx.ttlS), resource: out.resource, token_type: 'Bearer',
  } });
}

module.exports = { TokenStore, loadCertificate, clientCredentialsGrant, openidConfiguration, imdsToken, entraError, kMonitorAudience };
