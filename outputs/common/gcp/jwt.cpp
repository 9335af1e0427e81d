// JWS compact serialization and the service-account assertion; see jwt.hpp.
#include "outputs/common/gcp/jwt.hpp"

#include "agent/base64.hpp"
#include "agent/json_writer.hpp"

namespace sluice::gcp {

void append_member(std::string& out, std::string_view name, std::string_view value) {
  if (out.size() > 1) out += ',';
  json::append_string(out, name);
  out += ':';
  json::append_string(out, value);
}

void append_member(std::string& out, std::string_view name, int64_t value) {
  if (out.size() > 1) out += ',';
  json::append_string(out, name);
  out += ':';
  out += std::to_string(value);
}

std::string base64url(std::string_view bytes) {
  std::string out = base64_encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  return out;
}

std::string sign_jws_rs256(std::string_view header_json, std::string_view payload_json,
                           const crypto::RsaPrivateKey& key, std::string& error) {
  std::string jws = base64url(header_json);
  jws += '.';
  jws += base64url(payload_json);
  std::string signature = key.sign_sha256(jws, error);
  if (signature.empty()) return {};
  jws += '.';
  jws += base64url(signature);
  return jws;
}

std::string assertion_header_json(const AssertionFields& f) {
  std::string out = "{";
  append_member(out, "alg", "RS256");
  append_member(out, "typ", "JWT");
  // Google picks the account's public key by kid; without one it tries each
  // of the account's keys.
  if (!f.key_id.empty()) append_member(out, "kid", f.key_id);
  out += '}';
  return out;
}

std::string assertion_claims_json(const AssertionFields& f) {
  std::string out = "{";
  append_member(out, "iss", f.issuer);
  if (!f.subject.empty()) append_member(out, "sub", f.subject);
  append_member(out, "scope", f.scope);
  append_member(out, "aud", f.audience);
  append_member(out, "iat", f.issued_at);
  append_member(out, "exp", f.issued_at + f.lifetime.count());
  out += '}';
  return out;
}

std::string make_assertion(const AssertionFields& f, const crypto::RsaPrivateKey& key, std::string& error) {
  return sign_jws_rs256(assertion_header_json(f), assertion_claims_json(f), key, error);
}

}  // namespace sluice::gcp
