// The client assertion an Entra ID application signs with its certificate
// instead of sending a secret ("Microsoft identity platform application
// authentication certificate credentials"; RFC 7523 section 2.2): pure
// functions, no I/O.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

#include "outputs/common/azure/client_certificate.hpp"

namespace sluice::azure {

struct AssertionFields {
  std::string client_id;  // iss and sub
  std::string audience;   // aud: the token endpoint URL the assertion is posted to
  std::string jwt_id;     // jti: unique per assertion (new_jwt_id())
  int64_t not_before = 0;  // nbf and iat, seconds since the epoch
  // exp - nbf: Microsoft asks for 5-10 minutes at most.
  std::chrono::seconds lifetime{600};
};

// {"alg":"RS256","typ":"JWT","x5t":"…","x5t#S256":"…"}. RS256 with x5t is
// what Entra ID has always taken; x5t#S256 names the certificate by SHA-256
// for when SHA-1 thumbprints go away.
std::string assertion_header_json(const ClientCertificate& cert);
// {"aud":"…","iss":"…","sub":"…","jti":"…","nbf":N,"iat":N,"exp":N+lifetime}
std::string assertion_claims_json(const AssertionFields& f);
// The signed assertion; "" with why in error if signing failed.
std::string make_client_assertion(const AssertionFields& f, const ClientCertificate& cert, std::string& error);

// A random version-4 UUID ("0f8fad5b-d9cb-469f-a165-70867728950e").
std::string new_jwt_id();

}  // namespace sluice::azure
