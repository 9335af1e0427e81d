// The instance-principal side of oci_standin.js: an instance's identity
// (a root CA, an intermediate, and a leaf certificate whose subject names
// the instance, compartment and tenancy as OCI's do: OU=opc-tenant:<ocid>)
// served by a stand-in of the instance metadata service v2, and the
// federation endpoint that trades a request signed with the leaf's key for
// a security token vouching for a session key. Written from "Calling
// Services from an Instance" and "Getting Instance Metadata" in the OCI
// documentation and from what Oracle's SDKs send and expect
// (oci-go-sdk common/auth, oci-typescript-sdk X509FederationClient).
'use strict';

const crypto = require('crypto');
const path = require('path');
// sshpk makes the certificates: a dependency of oci-common and http-signature,
// found through oci-common so that no other copy is needed.
const sshpk = require(require.resolve('sshpk', { paths: [path.dirname(require.resolve('oci-common'))] }));
const { AuthError } = require('./oci_auth');

function rsaPem() {
  return crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' });
}

function colonHex(buffer) {
  return buffer.toString('hex').match(/../g).join(':');
}

// The PEM body of a certificate or key, armour and line breaks removed (what
// the SDKs put in a federation request).
function pemBody(pem) {
  return pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '');
}

class InstanceIdentity {
  constructor({ tenancy, region, realmDomain, ttlS }) {
    this.tenancy = tenancy;
    this.region = region;
    this.realmDomain = realmDomain;
    this.instance = `ocid1.instance.oc1.${region}.standininstance`;
    this.compartment = 'ocid1.compartment.oc1..standincompartment';
    this.ttlS = ttlS;
    const caKey = sshpk.parsePrivateKey(rsaPem(), 'pem');
    const caId = sshpk.identityFromDN('CN=sluice stand-in Root CA, O=sluice');
    this.caCert = sshpk.createSelfSignedCertificate(caId, caKey, { lifetime: 24 * 3600 });
    const intermediatePem = rsaPem();
    const intermediateKey = sshpk.parsePrivateKey(intermediatePem, 'pem');
    this.intermediateId = sshpk.identityFromDN('CN=PKISVC Identity Intermediate sluice-standin, O=sluice');
    const intermediate = sshpk.createCertificate(this.intermediateId, intermediateKey, caId, caKey,
      { ca: true, lifetime: 24 * 3600, serial: Buffer.from('02', 'hex') });
    this.intermediateKey = intermediateKey;
    this.intermediatePem = intermediate.toString('pem');
    this.rotations = 0;
    this.rotate();
  }

  // A new leaf key and certificate (OCI rotates them; so does a test).
  rotate() {
    this.rotations++;
    this.leafKeyPem = rsaPem();
    const subject = sshpk.identityFromArray([
      { name: 'cn', value: this.instance },
      { name: 'ou', value: 'opc-certtype:instance' },
      { name: 'ou', value: `opc-compartment:${this.compartment}` },
      { name: 'ou', value: `opc-instance:${this.instance}` },
      { name: 'ou', value: `opc-tenant:${this.tenancy}` },
    ]);
    const leaf = sshpk.createCertificate(subject, sshpk.parsePrivateKey(this.leafKeyPem, 'pem'), this.intermediateId,
      this.intermediateKey, { lifetime: 2 * 3600, serial: Buffer.from((this.rotations + 2).toString(16).padStart(2, '0'), 'hex') });
    this.leafPem = leaf.toString('pem');
    const der = new crypto.X509Certificate(this.leafPem).raw;
    this.leafBody = der.toString('base64');
    this.fingerprints = {
      'fed-x509': colonHex(crypto.createHash('sha1').update(der).digest()),
      'fed-x509-sha256': colonHex(crypto.createHash('sha256').update(der).digest()),
    };
  }

  // GET /opc/v2/<path>: [status, contentType, body].
  metadata(path) {
    const regionInfo = { realmKey: 'oc1', realmDomainComponent: this.realmDomain, regionKey: 'IAD', regionIdentifier: this.region };
    const values = {
      'identity/cert.pem': ['text/plain', this.leafPem],
      'identity/key.pem': ['text/plain', this.leafKeyPem],
      'identity/intermediate.pem': ['text/plain', this.intermediatePem],
      'instance/region': ['text/plain', this.region],
      'instance/regionInfo': ['application/json', JSON.stringify(regionInfo)],
      'instance/regionInfo/': ['application/json', JSON.stringify(regionInfo)],
      'instance/id': ['text/plain', this.instance],
      'instance/compartmentId': ['text/plain', this.compartment],
    };
    const v = values[path];
    if (!v) return [404, 'text/plain', 'Not Found'];
    return [200, v[0], v[1]];
  }

  // The key a federation request's keyId names: "<tenancy>/fed-x509/<SHA-1>"
  // (the TypeScript and Python SDKs) or "<tenancy>/fed-x509-sha256/<SHA-256>"
  // (the Go SDK since 65.95) of the current leaf certificate; null if not.
  federationKey(keyId) {
    const m = /^([^/]+)\/(fed-x509|fed-x509-sha256)\/([0-9a-fA-F:]+)$/.exec(keyId);
    if (!m || m[1] !== this.tenancy || m[3].toLowerCase() !== this.fingerprints[m[2]]) return null;
    return { kind: m[2], publicKey: crypto.createPublicKey(this.leafPem), privateKeyPem: this.leafKeyPem };
  }

  // A verified federation request's body → the session public key, or
  // throws (400 InvalidParameter / 401 NotAuthenticated, as OCI would).
  readFederationBody(body) {
    let details;
    try {
      details = JSON.parse(body.toString('utf8'));
    } catch (e) {
      throw Object.assign(new Error(`the body is not JSON: ${e.message}`), { status: 400, code: 'InvalidParameter' });
    }
    const bad = (message) => Object.assign(new Error(message), { status: 400, code: 'InvalidParameter' });
    if (typeof details.certificate !== 'string' || typeof details.publicKey !== 'string') {
      throw bad('certificate and publicKey are required');
    }
    if (pemBody(details.certificate) !== this.leafBody) throw new AuthError("the certificate is not this instance's current one");
    if (details.intermediateCertificates !== undefined &&
        !(Array.isArray(details.intermediateCertificates) && details.intermediateCertificates.every((c) => typeof c === 'string'))) {
      throw bad('intermediateCertificates must be an array of strings');
    }
    if (details.fingerprintAlgorithm !== undefined && !['SHA1', 'SHA256'].includes(details.fingerprintAlgorithm)) {
      throw bad(`fingerprintAlgorithm "${details.fingerprintAlgorithm}" is not SHA1 or SHA256`);
    }
    let publicKey;
    try {
      publicKey = crypto.createPublicKey({ key: Buffer.from(pemBody(details.publicKey), 'base64'), format: 'der', type: 'spki' });
    } catch (e) {
      throw bad(`publicKey is not a base64 SubjectPublicKeyInfo: ${e.message}`);
    }
    if (publicKey.asymmetricKeyType !== 'rsa') throw bad('publicKey is not an RSA key');
    return { publicKey, intermediates: (details.intermediateCertificates || []).length, purpose: details.purpose ?? null,
      fingerprintAlgorithm: details.fingerprintAlgorithm ?? null };
  }
}

module.exports = { InstanceIdentity, pemBody };
