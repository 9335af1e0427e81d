// Compact JWS / JWT with RS256 (RFC 7515, 7518, 7519) and the assertion of
// Google's service-account grant (RFC 7523): pure functions, no I/O.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "outputs/common/crypto/rsa_key.hpp"

namespace sluice::gcp {

// A member appended to a JSON object being built ("{" so far, or members
// already): `"name":"value"` or `"name":123`, with a comma when needed. For
// the JOSE headers and claims of JWTs.
void append_member(std::string& object, std::string_view name, std::string_view value);
void append_member(std::string& object, std::string_view name, int64_t value);

// base64url without padding (RFC 7515 section 2, "Base64url Encoding").
std::string base64url(std::string_view bytes);

// "<b64u(header)>.<b64u(payload)>.<b64u(RS256 signature of the first two
// parts)>": the JWS compact serialization of header and payload exactly as
// given (RFC 7515 section 5.1). "" with why in error if signing failed.
std::string sign_jws_rs256(std::string_view header_json, std::string_view payload_json,
                           const crypto::RsaPrivateKey& key, std::string& error);

// The fields of a service-account assertion ("Using OAuth 2.0 for Server to
// Server Applications"; protocols.md section 5).
struct AssertionFields {
  std::string key_id;    // kid: the key file's private_key_id; omitted when ""
  std::string issuer;    // iss: client_email
  std::string subject;   // sub: a user to act as (domain-wide delegation); omitted when ""
  std::string scope;     // space-separated scopes
  std::string audience;  // aud: the token URI the assertion is posted to
  int64_t issued_at = 0;  // iat, seconds since the epoch
  // exp - iat; Google refuses more than an hour.
  std::chrono::seconds lifetime{3600};
};

// {"alg":"RS256","typ":"JWT","kid":"…"}
std::string assertion_header_json(const AssertionFields& f);
// {"iss":"…","sub":"…","scope":"…","aud":"…","iat":N,"exp":N+lifetime}
std::string assertion_claims_json(const AssertionFields& f);
// The signed assertion; "" with why in error if signing failed.
std::string make_assertion(const AssertionFields& f, const crypto::RsaPrivateKey& key, std::string& error);

// Seconds since the epoch, as iat wants them.
inline int64_t unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace sluice::gcp
