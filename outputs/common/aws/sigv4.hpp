// AWS Signature Version 4 for header-signed requests, as a pure function:
// canonical request, string to sign, signature and the headers to add
// (protocols.md section 4, "SigV4, step by step"; AWS's test suite is the
// known answer, tests/data/aws-sig-v4-test-suite).
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "outputs/common/aws/aws_crypto.hpp"

namespace sluice::aws {

// What a request is signed with. Never logged.
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // temporary credentials only; "" for long-term keys
  // When temporary credentials stop working; nullopt: they don't expire.
  std::optional<std::chrono::system_clock::time_point> expiration;
};

// A header as the request carries it (any case, untrimmed value).
using HeaderField = std::pair<std::string_view, std::string_view>;

struct SigningInput {
  std::string_view method;
  // The request target's path as it goes on the wire, percent-encoded
  // ("/", "/my%20index/_bulk"). Dot segments and repeated '/' are removed and
  // each segment is URI-encoded again, as every service but S3 expects.
  std::string_view path;
  // The part after '?' as on the wire ("" when none). Parameters are
  // decoded, re-encoded with the RFC 3986 unreserved set and sorted.
  std::string_view query;
  // The headers to sign, host included, in request order; repeated names
  // are joined with ','. Names the signature adds itself (Authorization,
  // X-Amz-Date, X-Amz-Security-Token, X-Amz-Content-Sha256) are skipped here.
  std::vector<HeaderField> headers;
  // The body's SHA-256 in lowercase hex when already known; "" = hash body.
  std::string_view body_sha256;
  std::string_view body;
  std::string_view region;
  std::string_view service;  // "logs", "es", "aoss", "sts"
  std::chrono::system_clock::time_point time;
  // Add and sign X-Amz-Content-Sha256 (S3 and OpenSearch Serverless need it).
  bool content_sha256_header = false;
  // Sign X-Amz-Security-Token (true, as AWS's SDKs do) or add it after
  // signing (false: the test suite's post-sts-header-after).
  bool sign_security_token = true;
};

struct SignedRequest {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;      // lowercase hex
  std::string authorization;  // the Authorization header's value
  // To add to the request: X-Amz-Date, X-Amz-Content-Sha256 (when asked),
  // X-Amz-Security-Token (with a session token), Authorization.
  std::vector<std::pair<std::string, std::string>> headers;
};

// The derived signing key of the last date/region/service/secret, so that
// requests of one day don't derive it again (four HMACs each). Not
// thread-safe: one per signer.
class SigningKeyCache {
 public:
  Digest get(std::string_view secret, std::string_view date, std::string_view region, std::string_view service);

 private:
  std::string secret_, date_, region_, service_;
  Digest key_{};
  bool valid_ = false;
};

// kSigning = HMAC chain over "AWS4"+secret, date (YYYYMMDD), region, service, "aws4_request".
Digest derive_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                          std::string_view service);

// Signs input with creds. cache may be null.
SignedRequest sign(const SigningInput& input, const Credentials& creds, SigningKeyCache* cache = nullptr);

// The pieces, exposed for tests and for query-API bodies.
std::string amz_date(std::chrono::system_clock::time_point time);  // "20150830T123600Z"
std::string canonical_uri(std::string_view path);
std::string canonical_query(std::string_view query);

}  // namespace sluice::aws
