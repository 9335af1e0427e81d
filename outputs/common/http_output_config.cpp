// The configuration keys HTTP outputs share and the generic classification of
// an HTTP answer; see http_output_config.hpp.
#include "outputs/common/http_output_config.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "agent/base64.hpp"
#include "agent/config/config_path.hpp"

namespace sluice::http {

namespace {

using config::KeyType;

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::chrono::milliseconds positive_duration(const config::ComponentConfig& cfg, std::string_view key) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.get_duration(key));
  if (ms.count() <= 0) cfg.fail(key, "expects a duration of at least 1ms");
  return ms;
}

// A file the agent must be able to read at start (not only at the first connection).
std::string readable_file(const config::ComponentConfig& cfg, std::string_view key, const std::string& base_dir) {
  std::string path = config::path_from_config_dir(base_dir, cfg.get_string(key));
  if (!path.empty() && ::access(path.c_str(), R_OK) != 0) {
    cfg.fail(key, "cannot read " + path + ": " + std::strerror(errno));
  }
  return path;
}

Header parse_header(const config::ComponentConfig& cfg, const std::string& entry) {
  std::string text = trim(entry);
  size_t gap = text.find_first_of(" \t");
  Header h;
  h.name = text.substr(0, gap);
  if (h.name.size() > 1 && h.name.back() == ':') h.name.pop_back();  // "Name: value" is forgiven
  if (gap != std::string::npos) h.value = trim(std::string_view(text).substr(gap));
  bool name_ok = !h.name.empty();
  for (char c : h.name) name_ok = name_ok && is_token_char(c);
  if (!name_ok || h.value.empty() || h.value.find_first_of("\r\n") != std::string::npos) {
    cfg.fail("header", "expects \"Name value\" (a header name, a space, its value), got \"" + entry + "\"");
  }
  return h;
}

// `forced`: TLS on or off by the endpoint's scheme rather than the tls key.
void read_tls(const config::ComponentConfig& cfg, const std::string& base_dir, TlsSettings& tls,
              std::optional<bool> forced) {
  tls.enabled = forced ? *forced : cfg.get_bool("tls");
  tls.verify = cfg.get_bool("tls.verify");
  tls.vhost = cfg.get_string("tls.vhost");
  tls.ca_file = readable_file(cfg, "tls.ca_file", base_dir);
  tls.crt_file = readable_file(cfg, "tls.crt_file", base_dir);
  tls.key_file = readable_file(cfg, "tls.key_file", base_dir);
  if (!tls.crt_file.empty() && tls.key_file.empty()) cfg.fail("tls.crt_file", "needs tls.key_file (its private key)");
  if (tls.crt_file.empty() && !tls.key_file.empty()) cfg.fail("tls.key_file", "needs tls.crt_file (the certificate)");
  if (!tls.enabled) return;
  std::string error = tls_settings_error(tls);
  if (error.empty()) return;
  // The error names the key at fault first.
  std::string_view at = "tls";
  size_t first = std::string::npos;
  for (std::string_view key : {"tls.ca_file", "tls.crt_file", "tls.key_file"}) {
    if (size_t pos = error.find(key); pos < first) {
      first = pos;
      at = key;
    }
  }
  cfg.fail(at, error);
}

}  // namespace

std::string read_header_value(const config::ComponentConfig& cfg, std::string_view key) {
  std::string v = cfg.get_string(key);
  if (v.find_first_of("\r\n") != std::string::npos) cfg.fail(key, "must be one line (it is sent as a header)");
  return v;
}

std::vector<config::KeyDecl> http_output_keys(std::string_view default_port,
                                              std::initializer_list<std::string_view> without) {
  std::vector<config::KeyDecl> all = {
      {"host", KeyType::String, "127.0.0.1", "Host name or IP address of the server."},
      {"port", KeyType::Int, default_port, "TCP port of the server."},
      {"tls", KeyType::Bool, "off", "Use TLS (HTTPS)."},
      {"tls.verify", KeyType::Bool, "on",
       "Verify the server's certificate chain and that it names the host (or tls.vhost). Turn off only for tests."},
      {"tls.ca_file", KeyType::String, "", "PEM file of the CA certificates to trust instead of the system's."},
      {"tls.crt_file", KeyType::String, "", "PEM client certificate (chain) for servers that ask for one."},
      {"tls.key_file", KeyType::String, "", "PEM private key of tls.crt_file."},
      {"tls.vhost", KeyType::String, "", "Server name for SNI and certificate verification, when it isn't host."},
      {"http_user", KeyType::String, "", "User name for HTTP basic authentication."},
      {"http_passwd", KeyType::String, "", "Password for HTTP basic authentication.", false, true},
      {"compress", KeyType::String, "",
       "Compress request bodies: gzip, or empty for none. Also on/true (gzip) and off/false/none, as Fluent "
       "Bit's azure_logs_ingestion takes it (a boolean there).",
       false, false, {"", "gzip", "on", "true", "off", "false", "none"}},
      {"header", KeyType::Multi, "", "Extra HTTP header \"Name value\"; repeat the key (or give a list) for more."},
      {"connect_timeout", KeyType::Duration, "10s", "Longest wait to connect, including the TLS handshake and proxy."},
      {"request_timeout", KeyType::Duration, "30s", "Longest wait from sending a request to the end of its answer."},
      {"proxy", KeyType::String, "",
       "HTTP proxy http://[user:pass@]host:port. Default: HTTPS_PROXY (with tls) or HTTP_PROXY, unless NO_PROXY "
       "names the host. HTTPS goes through a CONNECT tunnel."},
  };
  std::vector<config::KeyDecl> keys;
  for (auto& k : all)
    if (std::find(without.begin(), without.end(), k.name) == without.end()) keys.push_back(std::move(k));
  return keys;
}

std::optional<Endpoint> parse_endpoint(std::string_view url) {
  Endpoint e;
  if (url.rfind("https://", 0) == 0) {
    url.remove_prefix(8);
  } else if (url.rfind("http://", 0) == 0) {
    url.remove_prefix(7);
    e.tls = false;
    e.port = 80;
  } else if (url.find("://") != std::string_view::npos) {
    return std::nullopt;
  }
  size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view path = url.substr(slash);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    if (path.find_first_of(" \r\n?#") != std::string_view::npos) return std::nullopt;
    e.path = std::string(path);
  }
  std::string_view host = authority;
  if (!authority.empty() && authority.front() == '[') {  // [v6]:port
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() != ':') return std::nullopt;
  } else {
    host = authority.substr(0, authority.find(':'));
    authority.remove_prefix(host.size());
  }
  if (!authority.empty()) {  // ":port"
    std::string_view digits = authority.substr(1);
    if (digits.empty() || digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string_view::npos)
      return std::nullopt;
    int port = std::stoi(std::string(digits));
    if (port < 1 || port > 65535) return std::nullopt;
    e.port = static_cast<uint16_t>(port);
  }
  if (host.empty() || host.find_first_of(" /@") != std::string_view::npos) return std::nullopt;
  e.host = std::string(host);
  return e;
}

std::optional<HttpTarget> parse_http_target(std::string_view url, std::chrono::milliseconds timeout, bool use_proxy) {
  if (!url.starts_with("http://") && !url.starts_with("https://")) return std::nullopt;
  std::optional<Endpoint> e = parse_endpoint(url);
  if (!e) return std::nullopt;
  HttpTarget t;
  t.client.host = e->host;
  t.client.port = e->port;
  t.client.tls.enabled = e->tls;
  t.client.connect_timeout = timeout;
  t.client.request_timeout = timeout;
  if (use_proxy) t.client.proxy = proxy_from_environment(e->host, e->tls);
  t.path = e->path;
  t.url = std::string(url);
  return t;
}

HttpOutputSettings read_http_output_settings(const config::ComponentConfig& cfg, const std::string& base_dir,
                                             const std::optional<Endpoint>& endpoint) {
  auto declared = [&](std::string_view key) { return cfg.schema().find(key) != nullptr; };
  HttpOutputSettings s;
  ClientSettings& c = s.client;
  if (endpoint) {
    c.host = endpoint->host;
    c.port = endpoint->port;
  } else {
    c.host = cfg.get_string("host");
    if (c.host.empty()) cfg.fail("host", "expects a host name or address");
    int64_t port = cfg.get_int("port");
    if (port < 1 || port > 65535) cfg.fail("port", "expects a port number from 1 to 65535");
    c.port = static_cast<uint16_t>(port);
  }
  read_tls(cfg, base_dir, c.tls, endpoint ? std::optional<bool>(endpoint->tls) : std::nullopt);
  c.connect_timeout = positive_duration(cfg, "connect_timeout");
  c.request_timeout = positive_duration(cfg, "request_timeout");
  int64_t workers = declared("workers") ? cfg.get_int("workers") : 1;
  c.max_connections = static_cast<size_t>(std::max<int64_t>(workers, 1));
  if (declared("proxy") && cfg.has("proxy")) {
    c.proxy = cfg.get_string("proxy");
    if (!c.proxy.empty() && !parse_proxy_url(c.proxy)) {
      cfg.fail("proxy", "expects http://[user:password@]host:port, got \"" + c.proxy + "\"");
    }
  } else {
    c.proxy = proxy_from_environment(c.host, c.tls.enabled);
  }
  if (declared("compress")) {
    std::string compress = cfg.get_string("compress");
    for (char& ch : compress) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    s.gzip = compress == "gzip" || compress == "on" || compress == "true";
  }
  if (declared("header"))
    for (const auto& entry : cfg.get_list("header")) s.headers.push_back(parse_header(cfg, entry));
  if (declared("http_user")) {
    std::string user = cfg.get_string("http_user");
    std::string password = cfg.get_string("http_passwd");
    if (user.empty() && !password.empty()) cfg.fail("http_passwd", "needs http_user");
    if (!user.empty()) s.headers.push_back({"Authorization", basic_auth(user, password)});
  }
  return s;
}

std::string basic_auth(std::string_view user, std::string_view password) {
  std::string pair(user);
  pair += ':';
  pair += password;
  return "Basic " + base64_encode(pair);
}

std::string_view status_text(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 507: return "Insufficient Storage";
    default: return "";
  }
}

std::string describe_answer(const Response& response) {
  std::string text = "HTTP " + std::to_string(response.status);
  if (auto phrase = status_text(response.status); !phrase.empty()) {
    text += ' ';
    text += phrase;
  }
  std::string body = trim(std::string_view(response.body).substr(0, kReasonBodyBytes));
  if (body.empty()) return text;
  // One line in logs and the dead-letter file.
  for (char& c : body)
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  text += ": ";
  text += body;
  return text;
}

FlushResult classify_response(const Response& response) {
  int status = response.status;
  if (status == 0) {
    FlushResult r = FlushResult::retry(response.error.empty() ? "no answer" : response.error);
    return r;
  }
  if (status >= 200 && status <= 299) return FlushResult::delivered();
  // protocols.md: 408, 429 and 5xx but 501 are worth another try.
  bool retry = status == 408 || status == 429 || (status >= 500 && status <= 599 && status != 501);
  FlushResult r = retry ? FlushResult::retry(describe_answer(response)) : FlushResult::permanent(describe_answer(response));
  if (retry) r.retry_after = response.retry_after;
  return r;
}

}  // namespace sluice::http
