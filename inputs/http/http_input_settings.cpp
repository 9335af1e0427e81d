// The http input's key declarations and their validation; see http_input_settings.hpp.
#include "inputs/http/http_input_settings.hpp"

#include <arpa/inet.h>

#include <filesystem>
#include <fstream>

#include "agent/config/compat_keys.hpp"
#include "inputs/http/http_input.hpp"
#include "inputs/http/http_server.hpp"

namespace sluice {

namespace {

std::string absolute_from(const std::string& base_dir, const std::string& p) {
  std::filesystem::path path(p);
  if (path.is_absolute() || base_dir.empty()) return std::filesystem::absolute(path).lexically_normal().string();
  return std::filesystem::absolute(std::filesystem::path(base_dir) / path).lexically_normal().string();
}

bool is_ip_address(const std::string& s) {
  unsigned char buf[sizeof(struct in6_addr)];
  return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// A readable file named by key, as an absolute path.
std::string readable_file(const config::ComponentConfig& cfg, const BuildContext& ctx, std::string_view key) {
  std::string path = absolute_from(ctx.base_dir, cfg.get_string(key));
  if (!std::ifstream(path).good()) cfg.fail(key, "cannot read '" + path + "'");
  return path;
}

void read_auth(const config::ComponentConfig& cfg, HttpInputSettings& s) {
  if (cfg.has("http_user") != cfg.has("http_passwd"))
    cfg.fail(cfg.has("http_user") ? "http_user" : "http_passwd", "http_user and http_passwd go together");
  if (cfg.has("http_user")) {
    std::string user = cfg.get_string("http_user");
    // RFC 7617: the user-id may not contain a colon (it separates the password).
    if (user.empty() || user.find(':') != std::string::npos)
      cfg.fail("http_user", "expected a non-empty user name without ':'");
    s.basic_credentials = "Basic " + base64_encode(user + ":" + cfg.get_string("http_passwd"));
  }
  if (cfg.has("bearer_token")) {
    std::string token = cfg.get_string("bearer_token");
    if (token.empty()) cfg.fail("bearer_token", "expected a non-empty token");
    s.bearer_credentials = "Bearer " + token;
  }
}

void read_tls(const config::ComponentConfig& cfg, const BuildContext& ctx, HttpInputSettings& s) {
  s.tls = cfg.get_bool("tls");
  if (!s.tls) {
    for (std::string_view key : {"tls.crt_file", "tls.key_file", "tls.ca_file"})
      if (cfg.has(key)) cfg.fail(key, "has no effect without `tls: on`");
    return;
  }
  if (!cfg.has("tls.crt_file")) cfg.fail("tls", "`tls: on` needs tls.crt_file and tls.key_file");
  if (!cfg.has("tls.key_file")) cfg.fail("tls", "`tls: on` needs tls.key_file");
  s.tls_crt_file = readable_file(cfg, ctx, "tls.crt_file");
  s.tls_key_file = readable_file(cfg, ctx, "tls.key_file");
  if (cfg.has("tls.ca_file")) s.tls_ca_file = readable_file(cfg, ctx, "tls.ca_file");
  s.tls_verify = cfg.get_bool("tls.verify");
}

// "X-Served-By sluice" → {"X-Served-By", "sluice"}: a header name (RFC 9110
// token) and a value without line breaks.
void read_success_headers(const config::ComponentConfig& cfg, HttpInputSettings& s) {
  for (const auto& item : cfg.get_list("success_header")) {
    std::optional<config::NameValue> header = config::split_name_value(item);
    std::string name = header ? std::move(header->name) : std::string();
    std::string value = header ? std::move(header->value) : std::string();
    bool token = !name.empty() && name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                        "0123456789!#$%&'*+-.^_`|~") == std::string::npos;
    if (!token || value.empty() || value.find_first_of("\r\n") != std::string::npos)
      cfg.fail("success_header", "expected 'Name Value' (a header name, a space, its value), got '" + item + "'");
    s.success_headers.emplace_back(std::move(name), std::move(value));
  }
}

}  // namespace

// Fluent Bit's in_http `workers`: accepted with what sluice does instead.
config::KeyDecl workers_key() {
  config::KeyDecl k{"workers", config::KeyType::Int, "1", "Fluent Bit's worker threads of this input.", false,
                    false, {}};
  k.compat_note =
      "the http input serves every connection on sluice's one event loop (records are decoded there in "
      "microseconds per request; each output has its own threads), so there is nothing for more workers to do.";
  return k;
}

namespace {

// Fluent Bit 5's shared HTTP server keys (http_server.*, and its older
// names) that sluice's http input has no use for: what it does instead.
constexpr std::string_view kChunks = "a request body is read as it arrives, up to max_body_size.";
constexpr std::string_view kOneLoop =
    "the http input serves every connection on sluice's one event loop; there is no ingress queue between "
    "worker threads.";

}  // namespace

std::vector<config::KeyDecl> http_server_keys(std::string_view default_port) {
  using config::KeyType;
  return {
      {"listen", KeyType::String, "0.0.0.0", "Address to listen on (IPv4 or IPv6)."},
      {"port", KeyType::Int, default_port, "TCP port to listen on."},
      {"max_body_size", KeyType::Size, "4M",
       "Largest request body, as received and again once decompressed; a larger one is answered 413 "
       "without being buffered."},
      {"buffer_max_size", KeyType::Size, "", "Fluent Bit's name for max_body_size (set one of them)."},
      {"http_user", KeyType::String, "", "With http_passwd: require HTTP Basic authentication (401 without it)."},
      {"http_passwd", KeyType::String, "", "Password for http_user.", false, true},
      {"bearer_token", KeyType::String, "",
       "Require `Authorization: Bearer <token>` (401 without it). With http_user too, either is accepted.", false,
       true},
      {"tls", KeyType::Bool, "off", "Serve HTTPS (TLS 1.2 or later) instead of plain HTTP."},
      {"tls.crt_file", KeyType::String, "", "Server certificate chain (PEM), needed with tls."},
      {"tls.key_file", KeyType::String, "", "Private key of tls.crt_file (PEM, unencrypted)."},
      {"tls.ca_file", KeyType::String, "",
       "CA bundle (PEM): when set (and tls.verify on), clients must present a certificate signed by it "
       "(mutual TLS)."},
      {"tls.verify", KeyType::Bool, "on",
       "With tls.ca_file: verify client certificates against it (off: clients are not asked for one)."},
      workers_key(),
      {"idle_timeout", KeyType::Duration, "60s",
       "Close a keep-alive connection that has not started a new request for this long."},
      {"request_timeout", KeyType::Duration, "30s",
       "Longest time to receive one request's body (and to send the answer, and the TLS handshake); "
       "a slower client is disconnected."},
      {"http2", KeyType::Bool, "on",
       "Serve HTTP/2 besides HTTP/1.1 on the same port: clients that start with HTTP/2's preface (prior "
       "knowledge, as gRPC and `curl --http2-prior-knowledge` do) and, with tls, those that choose h2 by ALPN. "
       "off: HTTP/1.1 only."},
      {"max_connections", KeyType::Int, "1024",
       "Most connections open at once; further clients wait in the kernel's accept queue. 0 (Fluent "
       "Bit's \"no limit\"): 1000000."},
      config::compat_alias("http_server.buffer_max_size", KeyType::Size, "buffer_max_size"),
      config::compat_alias("http_server.idle_timeout", KeyType::Duration, "idle_timeout"),
      config::compat_alias("http_server.max_connections", KeyType::Int, "max_connections"),
      config::compat_alias("http_server.http2", KeyType::Bool, "http2"),
      config::compat_note("buffer_chunk_size", KeyType::Size, kChunks),
      config::compat_note("http_server.buffer_chunk_size", KeyType::Size, kChunks),
      config::compat_note("http_server.workers", KeyType::Int, kOneLoop),
      config::compat_note("http_server.ingress_queue_event_limit", KeyType::Size, kOneLoop),
      config::compat_note("http_server.ingress_queue_byte_limit", KeyType::Size, kOneLoop),
  };
}

const config::PluginSchema& http_input_schema() {
  using config::KeyType;
  static const config::PluginSchema schema = [] {
    config::PluginSchema s{
        "http",
        "Receives records POSTed over HTTP/1.1 or HTTP/2 (keep-alive, optional TLS and auth): a JSON object, a "
        "JSON array "
        "of objects, NDJSON, or an x-www-form-urlencoded form (Python's logging.handlers.HTTPHandler), optionally "
        "gzip-compressed. The URL path becomes the tag unless `tag` is set (POST /app.log → tag app.log; "
        "characters other than letters, digits, '_' and '.' become '_'; POST / → tag http). A request is "
        "accepted whole or not at all: 201 (successful_response_code) once all of its records are in the "
        "pipeline, else 400 with a one-line JSON error giving the byte offset, 401, 405, 413, 415, or 503 with "
        "Retry-After while the pipeline is full. GET /health answers 200.",
        {
            {"tag_key", KeyType::String, "",
             "Take each record's tag from this key when its value is a string (the key stays in the record); "
             "records without it keep the request's tag."},
            {"successful_response_code", KeyType::Int, "201", "Status of an accepted request: 200, 201 or 204."},
            {"success_header", KeyType::Multi, "",
             "'Name Value': a header added to every successful (2xx) answer; repeat for several."},
            {"add_remote_addr", KeyType::Bool, "off",
             "Add the client's address to each record (under remote_addr_key): the first address of "
             "X-Forwarded-For when the request has one, else the connection's peer address. A record that has "
             "the key keeps its own value."},
            {"remote_addr_key", KeyType::String, "REMOTE_ADDR", "The key add_remote_addr writes."},
            {"enable_health_endpoint", KeyType::Bool, "on",
             "Answer GET /health with 200 and {\"status\":\"ok\",...} (off: 405 like any other non-POST)."},
        }};
    auto server = http_server_keys("9880");
    s.keys.insert(s.keys.begin(), server.begin(), server.end());
    return s;
  }();
  return schema;
}

void read_http_server_settings(const config::ComponentConfig& cfg, const BuildContext& ctx, HttpInputSettings& s) {
  s.listen = cfg.get_string("listen");
  if (!is_ip_address(s.listen)) cfg.fail("listen", "expected an IPv4 or IPv6 address, got '" + s.listen + "'");
  int64_t port = cfg.get_int("port");
  if (port < 1 || port > 65535) cfg.fail("port", "expected a port between 1 and 65535, got " + std::to_string(port));
  s.port = static_cast<uint16_t>(port);
  if (cfg.has("max_body_size") && cfg.has("buffer_max_size"))
    cfg.fail("buffer_max_size", "is Fluent Bit's name for max_body_size: set only one of them");
  const char* size_key = cfg.has("buffer_max_size") ? "buffer_max_size" : "max_body_size";
  s.max_body_size = cfg.get_size(size_key);
  if (s.max_body_size < 1024 || s.max_body_size > (uint64_t{1} << 30))
    cfg.fail(size_key, "expected a size between 1k and 1G, got " + std::to_string(s.max_body_size));
  read_auth(cfg, s);
  read_tls(cfg, ctx, s);
  if (int64_t workers = cfg.get_int("workers"); workers < 1) cfg.fail("workers", "expected at least 1");
  s.idle_timeout = cfg.get_duration("idle_timeout");
  s.request_timeout = cfg.get_duration("request_timeout");
  if (s.idle_timeout < std::chrono::milliseconds(1)) cfg.fail("idle_timeout", "expected at least 1ms");
  if (s.request_timeout < std::chrono::milliseconds(1)) cfg.fail("request_timeout", "expected at least 1ms");
  int64_t conns = cfg.get_int("max_connections");
  if (conns == 0) conns = 1000000;  // Fluent Bit's "no limit"
  if (conns < 1 || conns > 1'000'000)
    cfg.fail("max_connections", "expected between 1 and 1000000, got " + std::to_string(conns));
  s.max_connections = static_cast<size_t>(conns);
  s.http2 = cfg.get_bool("http2");
}

HttpServerSettings http_server_settings(const HttpInputSettings& s) {
  HttpServerSettings h;
  h.listen = s.listen;
  h.port = s.port;
  h.tls = s.tls;
  h.crt_file = s.tls_crt_file;
  h.key_file = s.tls_key_file;
  h.ca_file = s.tls_ca_file;
  h.verify_client = s.tls_verify;
  h.max_body_size = s.max_body_size;
  h.idle_timeout = s.idle_timeout;
  h.request_timeout = s.request_timeout;
  h.max_connections = s.max_connections;
  h.http2 = s.http2;
  return h;
}

HttpInputSettings make_http_input_settings(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  HttpInputSettings s;
  s.tag = cfg.get_string("tag");
  s.default_tag = std::string(cfg.plugin());
  s.tag_key = cfg.get_string("tag_key");
  if (cfg.has("tag_key") && s.tag_key.empty()) cfg.fail("tag_key", "expected a record key");
  read_http_server_settings(cfg, ctx, s);
  int64_t code = cfg.get_int("successful_response_code");
  if (code != 200 && code != 201 && code != 204)
    cfg.fail("successful_response_code", "expected 200, 201 or 204, got " + std::to_string(code));
  s.success_code = static_cast<int>(code);
  read_success_headers(cfg, s);
  if (cfg.get_bool("add_remote_addr")) {
    s.remote_addr_key = cfg.get_string("remote_addr_key");
    if (s.remote_addr_key.empty()) cfg.fail("remote_addr_key", "expected a record key");
  }
  s.health_endpoint = cfg.get_bool("enable_health_endpoint");
  return s;
}

}  // namespace sluice
