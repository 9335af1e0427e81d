#!/usr/bin/env node
// Verifies an RS256 JWT with jsonwebtoken (independently of sluice and of
// the stand-ins, which use jose) for the gcp tests.
// Usage: node verify_jwt.js --public-key PEM_FILE --jwt JWT
// Prints {"header":…,"payload":…} and exits 0 when the signature verifies
// with the key under RS256; else prints "invalid: <reason>" and exits 1.
// Expiry is not checked here: the test reads exp and iat from the payload.
'use strict';

const fs = require('fs');
const jwt = require('jsonwebtoken');

const args = {};
for (let i = 2; i + 1 < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
if (!args['public-key'] || !args.jwt) {
  process.stdout.write('invalid: usage: verify_jwt.js --public-key PEM_FILE --jwt JWT\n');
  process.exit(2);
}
try {
  const decoded = jwt.verify(args.jwt, fs.readFileSync(args['public-key'], 'utf8'),
    { algorithms: ['RS256'], complete: true, ignoreExpiration: true });
  process.stdout.write(JSON.stringify({ header: decoded.header, payload: decoded.payload }) + '\n');
} catch (e) {
  process.stdout.write(`invalid: ${e.message}\n`);
  process.exit(1);
}
