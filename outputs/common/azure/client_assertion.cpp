// The certificate credential's client assertion; see client_assertion.hpp.
#include "outputs/common/azure/client_assertion.hpp"

#include <random>

#include "agent/hex.hpp"
#include "agent/json_writer.hpp"
#include "outputs/common/gcp/jwt.hpp"

namespace sluice::azure {

using gcp::append_member;

std::string assertion_header_json(const ClientCertificate& cert) {
  std::string out = "{";
  append_member(out, "alg", "RS256");
  append_member(out, "typ", "JWT");
  append_member(out, "x5t", cert.x5t);
  append_member(out, "x5t#S256", cert.x5t_s256);
  out += '}';
  return out;
}

std::string assertion_claims_json(const AssertionFields& f) {
  std::string out = "{";
  append_member(out, "aud", f.audience);
  append_member(out, "iss", f.client_id);
  append_member(out, "sub", f.client_id);
  append_member(out, "jti", f.jwt_id);
  append_member(out, "nbf", f.not_before);
  append_member(out, "iat", f.not_before);
  append_member(out, "exp", f.not_before + f.lifetime.count());
  out += '}';
  return out;
}

std::string make_client_assertion(const AssertionFields& f, const ClientCertificate& cert, std::string& error) {
  return gcp::sign_jws_rs256(assertion_header_json(cert), assertion_claims_json(f), cert.key, error);
}

std::string new_jwt_id() {
  // Unique, not secret: random_device seeds a generator per call (assertions
  // are made once per token, so the cost does not matter).
  std::random_device seed;
  std::mt19937_64 gen((static_cast<uint64_t>(seed()) << 32) ^ seed());
  std::uniform_int_distribution<int> nibble(0, 15);
  std::string out;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
    int v = nibble(gen);
    if (i == 12) v = 4;                 // version 4
    if (i == 16) v = 8 | (v & 3);       // variant 10xx
    out += hex::kDigits[v];
  }
  return out;
}

}  // namespace sluice::azure
