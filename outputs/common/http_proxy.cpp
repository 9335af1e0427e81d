// Proxy URLs and the HTTPS_PROXY / HTTP_PROXY / NO_PROXY environment
// variables; see http_client.hpp.
#include <arpa/inet.h>

#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <optional>

#include "outputs/common/http_client.hpp"

namespace sluice::http {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    int v = 0;
    if (s[i] == '%' && i + 2 < s.size() &&
        std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16).ptr == s.data() + i + 3) {
      out.push_back(static_cast<char>(v));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

const char* env(const char* upper, const char* lower_name) {
  const char* v = std::getenv(lower_name);
  if (v == nullptr || *v == '\0') v = std::getenv(upper);
  return (v == nullptr || *v == '\0') ? nullptr : v;
}

// An IPv4 or IPv6 address literal as 16 bytes (IPv4 in the first 4) and its
// family; nullopt when the text is a name.
struct IpAddress {
  int family;
  std::array<unsigned char, 16> bytes{};
};
std::optional<IpAddress> ip_literal(const std::string& text) {
  IpAddress a{AF_INET};
  if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) return a;
  a.family = AF_INET6;
  if (inet_pton(AF_INET6, text.c_str(), a.bytes.data()) == 1) return a;
  return std::nullopt;
}

// "10.0.0.0/8", "fd00::/8": whether the address is in the range.
bool in_cidr(const IpAddress& addr, std::string_view entry) {
  size_t slash = entry.find('/');
  auto net = ip_literal(std::string(entry.substr(0, slash)));
  if (!net || net->family != addr.family) return false;
  unsigned bits = 0;
  std::string_view len = entry.substr(slash + 1);
  auto r = std::from_chars(len.data(), len.data() + len.size(), bits);
  unsigned max_bits = addr.family == AF_INET ? 32 : 128;
  if (r.ec != std::errc() || r.ptr != len.data() + len.size() || bits > max_bits) return false;
  for (unsigned i = 0; i < bits / 8; ++i)
    if (addr.bytes[i] != net->bytes[i]) return false;
  if (unsigned rest = bits % 8; rest != 0) {
    auto mask = static_cast<unsigned char>(0xff << (8 - rest));
    if ((addr.bytes[bits / 8] & mask) != (net->bytes[bits / 8] & mask)) return false;
  }
  return true;
}

// NO_PROXY entries: "*", "host", ".suffix" or "suffix" (curl's rules, which
// most tools share), and CIDR ranges for address literals ("10.0.0.0/8", as
// curl 7.86+ and Go read them); a ":port" after an entry is ignored.
bool no_proxy_matches(std::string_view host, std::string_view list) {
  std::string h = lower(host);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  const std::optional<IpAddress> address = ip_literal(h);
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view entry = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    while (!entry.empty() && std::isspace(static_cast<unsigned char>(entry.front()))) entry.remove_prefix(1);
    while (!entry.empty() && std::isspace(static_cast<unsigned char>(entry.back()))) entry.remove_suffix(1);
    if (entry == "*") return true;
    if (entry.find('/') != std::string_view::npos) {
      if (address && in_cidr(*address, entry)) return true;
      continue;
    }
    if (size_t colon = entry.rfind(':'); colon != std::string_view::npos && entry.find(':') == colon) {
      entry = entry.substr(0, colon);  // host:port (an IPv6 address has several colons)
    }
    if (!entry.empty() && entry.front() == '.') entry.remove_prefix(1);
    if (entry.empty()) continue;
    std::string e = lower(entry);
    if (h == e) return true;
    if (h.size() > e.size() && h.compare(h.size() - e.size(), e.size(), e) == 0 && h[h.size() - e.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

}  // namespace

std::optional<ProxyUrl> parse_proxy_url(std::string_view url) {
  ProxyUrl p;
  if (size_t scheme = url.find("://"); scheme != std::string_view::npos) {
    if (lower(url.substr(0, scheme)) != "http") return std::nullopt;
    url.remove_prefix(scheme + 3);
  }
  if (size_t slash = url.find('/'); slash != std::string_view::npos) {
    if (url.substr(slash) != "/") return std::nullopt;
    url = url.substr(0, slash);
  }
  if (size_t at = url.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = url.substr(0, at);
    url.remove_prefix(at + 1);
    size_t colon = userinfo.find(':');
    p.user = percent_decode(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) p.password = percent_decode(userinfo.substr(colon + 1));
  }
  std::string_view port;
  if (!url.empty() && url.front() == '[') {
    size_t close = url.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    p.host = std::string(url.substr(1, close - 1));
    std::string_view rest = url.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
  } else {
    size_t colon = url.find(':');
    p.host = std::string(url.substr(0, colon));
    if (colon != std::string_view::npos) port = url.substr(colon + 1);
  }
  if (p.host.empty()) return std::nullopt;
  if (!port.empty()) {
    unsigned v = 0;
    auto r = std::from_chars(port.data(), port.data() + port.size(), v);
    if (r.ec != std::errc() || r.ptr != port.data() + port.size() || v == 0 || v > 65535) return std::nullopt;
    p.port = static_cast<uint16_t>(v);
  }
  return p;
}

std::string proxy_from_environment(std::string_view host, bool tls) {
  const char* proxy = tls ? env("HTTPS_PROXY", "https_proxy") : env("HTTP_PROXY", "http_proxy");
  if (proxy == nullptr) return "";
  if (const char* no_proxy = env("NO_PROXY", "no_proxy"); no_proxy != nullptr && no_proxy_matches(host, no_proxy)) {
    return "";
  }
  std::string url = proxy;
  if (url.find("://") == std::string::npos) url = "http://" + url;
  return url;
}

}  // namespace sluice::http
