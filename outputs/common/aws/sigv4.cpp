// SigV4 canonicalization and signing; see sigv4.hpp.
#include "outputs/common/aws/sigv4.hpp"

#include <algorithm>
#include <ctime>
#include <map>

#include "agent/ascii_case.hpp"
#include "outputs/common/percent_encoding.hpp"

namespace sluice::aws {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX sequences decoded; a '%' not followed by two hex digits stays as it is
// (and is encoded as %25 afterwards). '+' is a plus sign, not a space: the
// query of a SigV4 request is RFC 3986, not a form.
std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// Leading and trailing blanks removed, inner runs of blanks as one space.
void append_trimmed(std::string& out, std::string_view value) {
  bool pending_space = false;
  bool any = false;
  for (char c : value) {
    if (is_blank(c)) {
      pending_space = any;
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
    any = true;
  }
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// The headers the signature itself adds: a value the caller passed for one
// of them would be a stale one from an earlier signing.
bool added_by_signature(std::string_view name) {
  return ascii_iequals(name, "authorization") || ascii_iequals(name, "x-amz-date") ||
         ascii_iequals(name, "x-amz-security-token") || ascii_iequals(name, "x-amz-content-sha256");
}

}  // namespace

std::string canonical_uri(std::string_view path) {
  // RFC 3986 5.2.4 dot-segment removal; empty segments (repeated '/') go too.
  std::vector<std::string_view> segments;
  bool trailing_slash = false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(start, end - start);
    bool last = end == path.size();
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    if (last) trailing_slash = segment.empty() || segment == "." || segment == "..";
    start = end + 1;
  }
  std::string out;
  for (std::string_view segment : segments) {
    out += '/';
    out += http::percent_encode(segment);  // the wire form encoded again
  }
  if (out.empty() || trailing_slash) out += '/';
  return out;
}

std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view param = query.substr(start, end - start);
    if (!param.empty()) {
      size_t eq = param.find('=');
      std::string_view name = param.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);
      params.emplace_back(http::percent_encode(percent_decode(name)), http::percent_encode(percent_decode(value)));
    }
    start = end + 1;
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string amz_date(std::chrono::system_clock::time_point time) {
  std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  size_t n = std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return std::string(buf, n);
}

Digest derive_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                          std::string_view service) {
  std::string seed = "AWS4";
  seed += secret;
  Digest k_date = hmac_sha256(seed, date);
  std::fill(seed.begin(), seed.end(), '\0');
  Digest k_region = hmac_sha256(as_view(k_date), region);
  Digest k_service = hmac_sha256(as_view(k_region), service);
  return hmac_sha256(as_view(k_service), "aws4_request");
}

Digest SigningKeyCache::get(std::string_view secret, std::string_view date, std::string_view region,
                            std::string_view service) {
  if (!valid_ || secret != secret_ || date != date_ || region != region_ || service != service_) {
    key_ = derive_signing_key(secret, date, region, service);
    secret_ = secret;
    date_ = date;
    region_ = region;
    service_ = service;
    valid_ = true;
  }
  return key_;
}

SignedRequest sign(const SigningInput& input, const Credentials& creds, SigningKeyCache* cache) {
  SignedRequest out;
  const std::string date_time = amz_date(input.time);
  const std::string_view date = std::string_view(date_time).substr(0, 8);
  const std::string payload_hash = input.body_sha256.empty() ? sha256_hex(input.body) : std::string(input.body_sha256);

  // Canonical headers: lowercase names, sorted; values of a repeated name
  // joined with ',' in request order.
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : input.headers) {
    if (added_by_signature(name)) continue;
    auto [it, fresh] = headers.try_emplace(lowercase(name));
    if (!fresh) it->second += ',';
    append_trimmed(it->second, value);
  }
  headers["x-amz-date"] = date_time;
  if (input.content_sha256_header) headers["x-amz-content-sha256"] = payload_hash;
  const bool has_token = !creds.session_token.empty();
  if (has_token && input.sign_security_token) headers["x-amz-security-token"] = creds.session_token;

  std::string canonical_headers;
  std::string signed_headers;
  for (const auto& [name, value] : headers) {
    canonical_headers += name;
    canonical_headers += ':';
    canonical_headers += value;
    canonical_headers += '\n';
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += name;
  }

  std::string& creq = out.canonical_request;
  creq.reserve(256 + canonical_headers.size());
  creq += input.method;
  creq += '\n';
  creq += canonical_uri(input.path);
  creq += '\n';
  creq += canonical_query(input.query);
  creq += '\n';
  creq += canonical_headers;
  creq += '\n';
  creq += signed_headers;
  creq += '\n';
  creq += payload_hash;

  std::string scope = std::string(date) + "/" + std::string(input.region) + "/" + std::string(input.service) +
                      "/aws4_request";
  out.string_to_sign = std::string(kAlgorithm) + "\n" + date_time + "\n" + scope + "\n" + sha256_hex(creq);

  Digest key = cache ? cache->get(creds.secret_access_key, date, input.region, input.service)
                     : derive_signing_key(creds.secret_access_key, date, input.region, input.service);
  out.signature = hex(hmac_sha256(as_view(key), out.string_to_sign));
  out.authorization = std::string(kAlgorithm) + " Credential=" + creds.access_key_id + "/" + scope +
                      ", SignedHeaders=" + signed_headers + ", Signature=" + out.signature;

  out.headers.emplace_back("X-Amz-Date", date_time);
  if (input.content_sha256_header) out.headers.emplace_back("X-Amz-Content-Sha256", payload_hash);
  if (has_token) out.headers.emplace_back("X-Amz-Security-Token", creds.session_token);
  out.headers.emplace_back("Authorization", out.authorization);
  return out;
}

}  // namespace sluice::aws
