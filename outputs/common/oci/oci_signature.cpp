// The OCI request signature; see oci_signature.hpp.
#include "outputs/common/oci/oci_signature.hpp"

#include <cstdio>
#include <ctime>

#include "agent/ascii_case.hpp"
#include "agent/base64.hpp"
#include "outputs/common/crypto/digest.hpp"

namespace sluice::oci {

namespace {

const std::string* find(const std::vector<http::Header>* headers, std::string_view name) {
  if (headers == nullptr) return nullptr;
  for (const auto& h : *headers)
    if (ascii_iequals(h.name, name)) return &h.value;
  return nullptr;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

bool signs_body(std::string_view method) {
  return ascii_iequals(method, "POST") || ascii_iequals(method, "PUT") || ascii_iequals(method, "PATCH");
}

std::string http_date(std::chrono::system_clock::time_point t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char out[40];
  std::snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return out;
}

std::string body_sha256(std::string_view body) { return base64_encode(crypto::sha256(body)); }

std::string api_key_id(std::string_view tenancy, std::string_view user, std::string_view fingerprint) {
  std::string id(tenancy);
  id += '/';
  id += user;
  id += '/';
  id += fingerprint;
  return id;
}

std::string security_token_key_id(std::string_view token) { return "ST$" + std::string(token); }

bool is_signing_header(std::string_view name) {
  return ascii_iequals(name, "Authorization") || ascii_iequals(name, "Date") ||
         ascii_iequals(name, "x-content-sha256") || ascii_iequals(name, "Content-Length");
}

std::optional<Signed> sign(const SigningRequest& request, std::string_view key_id, const crypto::RsaPrivateKey& key,
                           std::chrono::system_clock::time_point now, std::string& error) {
  Signed out;
  // (name as signed, value) in the order OCI's SDKs sign them; the order
  // is free (the headers parameter names it) but Oracle's known answers
  // use this one.
  std::vector<std::pair<std::string, std::string>> lines;
  const std::string* date = find(request.headers, "Date");
  if (date) {
    lines.emplace_back("date", *date);
  } else {
    lines.emplace_back("date", http_date(now));
    out.headers.push_back({"Date", lines.back().second});
  }
  lines.emplace_back("(request-target)", lowercase(request.method) + " " + std::string(request.target));
  lines.emplace_back("host", std::string(request.host));
  if (signs_body(request.method)) {
    const std::string* type = find(request.headers, "Content-Type");
    std::string content_type = type ? *type : "application/json";
    if (!type) out.headers.push_back({"Content-Type", content_type});
    std::string length = std::to_string(request.body.size());
    std::string hash = body_sha256(request.body);
    if (hash.size() != 44) {
      error = "OpenSSL cannot compute SHA-256";
      return std::nullopt;
    }
    out.headers.push_back({"Content-Length", length});
    out.headers.push_back({"x-content-sha256", hash});
    lines.emplace_back("content-length", std::move(length));
    lines.emplace_back("content-type", std::move(content_type));
    lines.emplace_back("x-content-sha256", std::move(hash));
  }
  std::string names;
  for (const auto& [name, value] : lines) {
    if (!out.signing_string.empty()) {
      out.signing_string += '\n';
      names += ' ';
    }
    out.signing_string += name + ": " + value;
    names += name;
  }
  std::string signature = key.sign_sha256(out.signing_string, error);
  if (signature.empty()) return std::nullopt;
  // The parameters in the order Oracle's Go SDK writes them (its known
  // answers compare the whole header); draft-cavage lets them come in any.
  std::string authorization = "Signature version=\"1\",headers=\"" + names + "\",keyId=\"" + std::string(key_id) +
                              "\",algorithm=\"rsa-sha256\",signature=\"" + base64_encode(signature) + "\"";
  out.headers.push_back({"Authorization", std::move(authorization)});
  return out;
}

}  // namespace sluice::oci
