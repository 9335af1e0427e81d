// Endpoint URLs, the per-endpoint HTTP clients and small text helpers of
// the credential fetches; see aws_fetch.hpp.
#include "outputs/common/aws/aws_fetch.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace sluice::aws {

namespace {

bool parse_digits(std::string_view text, int& out) {
  auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  return r.ec == std::errc() && r.ptr == text.data() + text.size();
}

}  // namespace

std::string Endpoint::origin() const {
  std::string out = tls ? "https://" : "http://";
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls ? 443 : 80)) out += ":" + std::to_string(port);
  return out;
}

std::optional<Endpoint> parse_endpoint(std::string_view url) {
  Endpoint e;
  if (url.starts_with("https://")) {
    e.tls = true;
    e.port = 443;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  size_t slash = url.find_first_of("/?");
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) {
    e.path = std::string(url.substr(slash));
    if (e.path.front() == '?') e.path.insert(0, "/");
  }
  if (authority.find('@') != std::string_view::npos) return std::nullopt;  // no user info here
  std::string_view port_text;
  if (authority.starts_with("[")) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    e.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || rest.size() == 1)) return std::nullopt;
    if (!rest.empty()) port_text = rest.substr(1);
  } else {
    size_t colon = authority.rfind(':');
    e.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return std::nullopt;
    }
  }
  if (e.host.empty()) return std::nullopt;
  if (!port_text.empty()) {
    int port = 0;
    if (!parse_digits(port_text, port) || port < 1 || port > 65535) return std::nullopt;
    e.port = static_cast<uint16_t>(port);
  }
  return e;
}

http::Client& HttpClients::get(const Endpoint& endpoint, bool use_proxy) {
  std::string key = endpoint.origin() + (use_proxy ? " proxied" : "");
  auto it = clients_.find(key);
  if (it != clients_.end()) return *it->second;
  http::ClientSettings s;
  s.host = endpoint.host;
  s.port = endpoint.port;
  s.tls.enabled = endpoint.tls;
  s.connect_timeout = timeout_;
  s.request_timeout = timeout_;
  s.max_connections = 1;
  if (use_proxy) s.proxy = http::proxy_from_environment(endpoint.host, endpoint.tls);
  auto client = std::make_unique<http::Client>(*io_, std::move(s));
  return *clients_.emplace(std::move(key), std::move(client)).first->second;
}

std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS
  if (t.size() < 19 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') ||
      t[13] != ':' || t[16] != ':')
    return std::nullopt;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!parse_digits(t.substr(0, 4), y) || !parse_digits(t.substr(5, 2), mo) || !parse_digits(t.substr(8, 2), d) ||
      !parse_digits(t.substr(11, 2), h) || !parse_digits(t.substr(14, 2), mi) || !parse_digits(t.substr(17, 2), s))
    return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(mo)),
                                  std::chrono::day(static_cast<unsigned>(d))};
  // system_clock counts nanoseconds in 64 bits: 1678 to 2261 only. A time
  // outside is not one a credential can carry.
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60 || y < 1970 || y > 2200) return std::nullopt;
  std::string_view rest = t.substr(19);
  if (rest.starts_with(".")) {  // fractional seconds: dropped
    size_t n = 1;
    while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
    if (n == 1) return std::nullopt;
    rest.remove_prefix(n);
  }
  std::chrono::minutes offset{0};
  if (rest == "Z" || rest == "z") {
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    int oh = 0, om = 0;
    if (!parse_digits(rest.substr(1, 2), oh) || !parse_digits(rest.substr(4, 2), om)) return std::nullopt;
    offset = std::chrono::minutes(oh * 60 + om);
    if (rest[0] == '-') offset = -offset;
  } else {
    return std::nullopt;
  }
  std::chrono::sys_seconds at = std::chrono::sys_days(ymd) + std::chrono::hours(h) + std::chrono::minutes(mi) +
                                std::chrono::seconds(s) - offset;
  return std::chrono::time_point_cast<std::chrono::system_clock::duration>(at);
}

std::string quote_answer(std::string_view body, std::initializer_list<std::string_view> secrets, size_t max) {
  std::string text(body);
  for (std::string_view secret : secrets) {
    if (secret.empty()) continue;
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 10))
      text.replace(at, secret.size(), "<redacted>");
  }
  std::string out;
  bool space = false;
  for (char c : text) {
    bool blank = c == ' ' || c == '\t' || c == '\r' || c == '\n';
    if (blank) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  if (out.size() > max) {
    out.resize(max);
    out += "…";
  }
  return out;
}

std::optional<std::string> read_small_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) {
    error = "cannot read " + path;
    return std::nullopt;
  }
  return s.str();
}

std::string_view trim(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

}  // namespace sluice::aws
