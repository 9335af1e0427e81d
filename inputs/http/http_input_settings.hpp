// The http input's settings: its key declarations (Fluent Bit's in_http names
// plus auth and TLS) and the validated, immutable HttpInputSettings built from
// them once at startup.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/base64.hpp"
#include "agent/input.hpp"

namespace sluice {

struct HttpInputSettings {
  // The user's `tag`: every record gets it. Empty: the URL path is the tag
  // (Fluent Bit's convention) and a bare "/" gets default_tag.
  std::string tag;
  std::string default_tag = "http";
  std::string tag_key;  // a record's string value under this key overrides the tag
  std::string listen = "0.0.0.0";
  uint16_t port = 9880;
  uint64_t max_body_size = 4 * 1024 * 1024;  // as received and once decompressed
  int success_code = 201;
  // Authorization header values a request must carry one of (precomputed:
  // "Basic base64(user:passwd)", "Bearer token"); both empty = no auth.
  std::string basic_credentials;
  std::string bearer_credentials;
  bool tls = false;
  std::string tls_crt_file;  // absolute paths
  std::string tls_key_file;
  std::string tls_ca_file;  // set (and tls_verify): clients must present a certificate signed by it
  bool tls_verify = true;
  // Headers added to every 2xx answer (success_header "Name Value").
  std::vector<std::pair<std::string, std::string>> success_headers;
  // Each record gets the client's address under this key; empty = not added.
  std::string remote_addr_key;
  bool health_endpoint = true;  // GET /health answers 200
  std::chrono::nanoseconds idle_timeout = std::chrono::seconds(60);
  std::chrono::nanoseconds request_timeout = std::chrono::seconds(30);
  size_t max_connections = 1024;
  bool http2 = true;  // serve HTTP/2 too
};

// Validates what the loader can't (response code, listen address, TLS files
// readable, user and password together) and resolves relative paths against
// ctx.base_dir. Throws config::ConfigError naming the key.
HttpInputSettings make_http_input_settings(const config::ComponentConfig& cfg, const BuildContext& ctx);

// What every input serving HTTP shares (http, opentelemetry): the keys of
// the server (listen, port, body size, auth, TLS, timeouts, connections,
// and Fluent Bit's http_server.* names), their reading into s, and the
// HttpServer's settings from s.
// default_port: a literal ("9880"); the declarations keep a view of it.
std::vector<config::KeyDecl> http_server_keys(std::string_view default_port);
void read_http_server_settings(const config::ComponentConfig& cfg, const BuildContext& ctx, HttpInputSettings& s);
struct HttpServerSettings;
HttpServerSettings http_server_settings(const HttpInputSettings& s);

}  // namespace sluice
