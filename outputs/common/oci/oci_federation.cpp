// Instance-principal requests and answers; see oci_federation.hpp.
#include "outputs/common/oci/oci_federation.hpp"

#include <simdjson.h>

#include "agent/base64.hpp"
#include "agent/json_writer.hpp"
#include "outputs/common/crypto/digest.hpp"

namespace sluice::oci {

namespace {

constexpr size_t kQuoteBytes = 200;

std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) {
    bool space = c == ' ' || c == '\t' || c == '\r' || c == '\n';
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else if (static_cast<unsigned char>(c) >= 0x20) {
      out += c;
    }
    if (out.size() >= kQuoteBytes) return out + "…";
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string_view member_string(simdjson::dom::element obj, std::string_view name) {
  std::string_view s;
  if (obj[name].get_string().get(s) != simdjson::SUCCESS) return {};
  return s;
}

// The base64 bodies of each "-----BEGIN <label>-----" block of pem, line
// breaks removed (what the SDKs send: the PEM without its armour).
std::vector<std::string> pem_bodies(std::string_view pem, std::string_view label) {
  std::vector<std::string> out;
  std::string begin = "-----BEGIN " + std::string(label) + "-----";
  std::string end = "-----END " + std::string(label) + "-----";
  for (size_t at = pem.find(begin); at != std::string_view::npos; at = pem.find(begin, at)) {
    size_t from = at + begin.size();
    size_t to = pem.find(end, from);
    if (to == std::string_view::npos) break;
    std::string body;
    for (char c : pem.substr(from, to - from))
      if (c != '\n' && c != '\r' && c != ' ' && c != '\t') body += c;
    out.push_back(std::move(body));
    at = to + end.size();
  }
  return out;
}

std::optional<int64_t> number_claim(simdjson::dom::element payload, std::string_view name) {
  simdjson::dom::element v;
  if (payload[name].get(v) != simdjson::SUCCESS) return std::nullopt;
  int64_t i = 0;
  if (v.get_int64().get(i) == simdjson::SUCCESS) return i;
  double d = 0;
  if (v.get_double().get(d) == simdjson::SUCCESS) return static_cast<int64_t>(d);
  return std::nullopt;
}

}  // namespace

http::Request metadata_request(std::string path) {
  http::Request r;
  r.method = "GET";
  r.target = std::move(path);
  r.headers.push_back({"Authorization", "Bearer Oracle"});
  r.headers.push_back({"Accept", "*/*"});
  return r;
}

std::string describe_failure(const http::Response& response, const std::string& who, bool quote_body) {
  if (response.status == 0) return who + " did not answer: " + (response.error.empty() ? "no answer" : response.error);
  std::string out = who + " answered " + std::to_string(response.status);
  if (!quote_body) return out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(response.body).get(doc) == simdjson::SUCCESS && doc.is_object()) {
    std::string code = one_line(member_string(doc, "code"));
    std::string message = one_line(member_string(doc, "message"));
    if (!code.empty() || !message.empty()) {
      return out + ": " + code + (code.empty() || message.empty() ? "" : ": ") + message;
    }
  }
  std::string text = one_line(response.body);
  return text.empty() ? out : out + ": " + text;
}

std::string read_metadata_answer(const http::Response& response, const std::string& who, bool quote_body,
                                 std::string& error) {
  if (response.status != 200) {
    error = describe_failure(response, who, quote_body);
    return {};
  }
  if (response.body.empty()) error = who + " answered 200 with an empty body";
  return response.body;
}

std::optional<RegionInfo> parse_region_info(std::string_view body, const std::string& who, std::string& error) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
    error = who + " answered a body that is not a JSON object";
    return std::nullopt;
  }
  RegionInfo info{std::string(member_string(doc, "regionIdentifier")),
                  std::string(member_string(doc, "realmDomainComponent"))};
  if (info.region.empty() || info.realm_domain.empty()) {
    error = who + " answered without regionIdentifier and realmDomainComponent";
    return std::nullopt;
  }
  return info;
}

std::optional<InstanceIdentity> make_instance_identity(std::string_view cert_pem, std::string_view intermediate_pem,
                                                       std::string_view key_pem, std::string& error) {
  std::string why;
  std::optional<crypto::X509Certificate> cert = crypto::X509Certificate::from_pem(cert_pem, why);
  if (!cert) {
    error = "identity/cert.pem is " + why;
    return std::nullopt;
  }
  std::optional<crypto::RsaPrivateKey> key = crypto::RsaPrivateKey::from_pem(key_pem, why);
  if (!key) {
    error = "identity/key.pem: " + why;
    return std::nullopt;
  }
  if (!cert->matches(*key)) {
    error = "identity/key.pem is not the key of identity/cert.pem (fetched while they were being rotated?)";
    return std::nullopt;
  }
  std::string tenancy;
  for (std::string_view prefix : {"opc-tenant:", "opc-identity:"}) {
    for (const std::string& value : cert->subject_values()) {
      if (value.starts_with(prefix)) {
        tenancy = value.substr(prefix.size());
        break;
      }
    }
    if (!tenancy.empty()) break;
  }
  if (tenancy.empty()) {
    error = "identity/cert.pem names no tenancy (no opc-tenant: in its subject): not an OCI instance certificate";
    return std::nullopt;
  }
  return InstanceIdentity{std::move(*cert), std::move(*key), std::string(intermediate_pem), std::move(tenancy)};
}

std::string federation_key_id(const InstanceIdentity& identity) {
  return identity.tenancy + "/fed-x509-sha256/" + crypto::colon_hex(crypto::sha256(identity.certificate.der()));
}

http::Request federation_request(const std::string& path, const InstanceIdentity& identity,
                                 const crypto::RsaPrivateKey& session_key) {
  http::Request r;
  r.method = "POST";
  r.target = path;
  r.headers.push_back({"Content-Type", "application/json"});
  r.headers.push_back({"Accept", "application/json"});
  std::string& b = r.body;
  b = "{\"certificate\":";
  json::append_string(b, base64_encode(identity.certificate.der()));
  b += ",\"publicKey\":";
  json::append_string(b, base64_encode(session_key.public_key_der()));
  b += ",\"intermediateCertificates\":[";
  bool first = true;
  for (const std::string& body : pem_bodies(identity.intermediate_pem, "CERTIFICATE")) {
    if (!first) b += ',';
    first = false;
    json::append_string(b, body);
  }
  b += "],\"fingerprintAlgorithm\":\"SHA256\"}";
  return r;
}

std::optional<SecurityToken> parse_security_token(std::string_view jwt) {
  size_t dot1 = jwt.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : jwt.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) return std::nullopt;
  std::optional<std::string> payload_json = base64_decode(jwt.substr(dot1 + 1, dot2 - dot1 - 1));
  if (!payload_json) return std::nullopt;
  simdjson::dom::parser parser;
  simdjson::dom::element payload;
  if (parser.parse(*payload_json).get(payload) != simdjson::SUCCESS || !payload.is_object()) return std::nullopt;
  // Seconds since 1970 that system_clock's 64-bit nanoseconds hold (to
  // 2262); a claim outside is no time a token can carry (found by fuzzing).
  auto in_range = [](std::optional<int64_t> v) { return v && *v >= 0 && *v < 9'000'000'000; };
  std::optional<int64_t> exp = number_claim(payload, "exp");
  if (!in_range(exp)) return std::nullopt;
  SecurityToken t;
  t.value = std::string(jwt);
  t.expires_at = std::chrono::system_clock::time_point(std::chrono::seconds(*exp));
  if (std::optional<int64_t> iat = number_claim(payload, "iat"); in_range(iat))
    t.issued_at = std::chrono::system_clock::time_point(std::chrono::seconds(*iat));
  return t;
}

std::optional<SecurityToken> read_federation_answer(const http::Response& response, const std::string& who,
                                                    std::string& error) {
  if (response.status != 200) {
    error = describe_failure(response, who);
    return std::nullopt;
  }
  // From here on the body holds a token: no part of it goes into an error.
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(response.body).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
    error = who + " answered 200 with a body that is not a JSON object";
    return std::nullopt;
  }
  std::string_view token = member_string(doc, "token");
  if (token.empty()) {
    error = who + " answered 200 without a token";
    return std::nullopt;
  }
  std::optional<SecurityToken> t = parse_security_token(token);
  if (!t) error = who + " answered a token that is not a JWT with an exp claim";
  return t;
}

}  // namespace sluice::oci
