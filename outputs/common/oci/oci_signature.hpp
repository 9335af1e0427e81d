// OCI's HTTP request signature, version 1 (draft-cavage-http-signatures-08
// as Oracle profiles it: "Request Signatures" in the OCI documentation;
// protocols.md section 8) as a pure function: the headers that sign a
// request whose bytes are final. No I/O, no clock of its own.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outputs/common/crypto/rsa_key.hpp"
#include "outputs/common/http_client.hpp"

namespace sluice::oci {

// A request as it goes on the wire.
struct SigningRequest {
  std::string_view method;  // "GET", "POST"; "(request-target)" lowercases it
  std::string_view target;  // path and query exactly as sent ("/20200831/logs/…/actions/push")
  std::string_view host;    // the Host header the client sends ("host" or "host:port")
  // The request's own headers, found case-insensitively: Date (added when
  // absent), Content-Type (POST/PUT/PATCH; application/json when absent).
  // Content-Length here is ignored: the body's size is what is sent.
  const std::vector<http::Header>* headers = nullptr;
  std::string_view body;  // exactly the bytes sent (after compression)
};

struct Signed {
  // To append to the request, in this order: Date (when the request has
  // none), Content-Type (POST/PUT/PATCH without one), Content-Length and
  // x-content-sha256 (POST/PUT/PATCH), Authorization.
  std::vector<http::Header> headers;
  std::string signing_string;  // what was signed (for tests and debugging; holds no secret)
};

// Signs with `key` under `key_id` ("<tenancy>/<user>/<fingerprint>", or
// "ST$<token>" for a session or instance-principal token). Every method
// signs "date (request-target) host"; POST, PUT and PATCH add
// "content-length content-type x-content-sha256", where x-content-sha256 is
// the base64 SHA-256 of the body and content-length its size in bytes (even
// when empty). `now` dates a request without a Date header. nullopt with
// OpenSSL's reason in error when signing failed.
std::optional<Signed> sign(const SigningRequest& request, std::string_view key_id, const crypto::RsaPrivateKey& key,
                           std::chrono::system_clock::time_point now, std::string& error);

// POST, PUT and PATCH sign their body (as Oracle's SDKs do).
bool signs_body(std::string_view method);
// RFC 7231 IMF-fixdate: "Thu, 05 Jan 2014 21:31:40 GMT".
std::string http_date(std::chrono::system_clock::time_point t);
// base64(SHA-256(body)): the x-content-sha256 value.
std::string body_sha256(std::string_view body);
// "<tenancy>/<user>/<fingerprint>": an API key's keyId.
std::string api_key_id(std::string_view tenancy, std::string_view user, std::string_view fingerprint);
// "ST$<token>": the keyId of a session key a security token vouches for.
std::string security_token_key_id(std::string_view token);

// The headers a signature sets, which a request signed earlier (a retry)
// carries: the signer drops them before signing it again.
bool is_signing_header(std::string_view name);

}  // namespace sluice::oci
