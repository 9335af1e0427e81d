// The HTTP/1.1 client every HTTP-speaking output shares: a keep-alive
// connection pool to one endpoint, TLS, gzip request bodies, proxies through
// CONNECT, timeouts. Beast stays inside http_client.cpp: this header is all an
// output sees.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/asio.hpp"

namespace sluice::http {

struct TlsSettings {
  bool enabled = false;
  bool verify = true;        // peer certificate and host name, against the system CAs or ca_file
  std::string ca_file;       // PEM bundle; empty = system CAs
  std::string crt_file;      // client certificate (PEM), optional
  std::string key_file;      // its key (PEM)
  std::string vhost;         // SNI and verified name; empty = host
};

struct ClientSettings {
  std::string host;
  uint16_t port = 80;
  TlsSettings tls;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds request_timeout{30'000};  // from sending to the whole answer
  size_t max_connections = 1;                         // the output's `workers`
  bool keepalive = true;
  // A proxy for this endpoint, from HTTPS_PROXY / HTTP_PROXY / NO_PROXY by
  // default (see proxy_from_environment); "http://[user:pass@]host:port".
  std::string proxy;
  // Send over HTTP/2 (outputs/common/http2_client.hpp: gRPC) instead of
  // HTTP/1.1; the proxy is then not used.
  bool http2 = false;
};

struct Header {
  std::string name;
  std::string value;
};

struct Request {
  std::string method = "POST";
  std::string target = "/";   // path and query, already encoded
  std::vector<Header> headers;  // Host, Content-Length and Content-Encoding are set by the client
  std::string body;
  bool gzip = false;  // compress body and send Content-Encoding: gzip
  // The body is already encoded (compressed before it was signed): sent as
  // Content-Encoding when gzip is false.
  std::string content_encoding;
};

struct Response {
  int status = 0;        // 0: no answer (connect/TLS/timeout/reset); see error
  std::string error;     // transport error text when status == 0
  std::vector<Header> headers;
  std::string body;      // decoded if the server gzipped it
  std::optional<std::chrono::milliseconds> retry_after;  // parsed Retry-After (seconds or HTTP date)

  const std::string* header(std::string_view name) const;  // case-insensitive
};

using ResponseHandler = std::function<void(Response)>;

// Runs on the io_context it was given (an output's worker thread); send() and
// the handler are both called there. Up to max_connections requests are in
// flight at once; more wait in order. A connection that failed is closed and
// the host is resolved again for the next request.
class Client {
 public:
  Client(boost::asio::io_context& io, ClientSettings settings);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void send(Request request, ResponseHandler done);
  // Closes idle connections and fails queued requests with status 0.
  // Requests in flight still finish; later send() calls fail at once.
  // Destroying the Client instead drops every pending handler uncalled.
  void close();

  const ClientSettings& settings() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The Host header a client sends for these settings: "host", "[v6addr]",
// with ":port" when the port isn't the scheme's default.
std::string host_header(const ClientSettings& settings);

// "http://host:port" proxy for a target host from the environment
// (HTTPS_PROXY/https_proxy when tls, else HTTP_PROXY/http_proxy), or "" when
// NO_PROXY/no_proxy lists the host (exact, ".suffix" or "suffix" match, or "*").
std::string proxy_from_environment(std::string_view host, bool tls);

// A proxy URL "http://[user:pass@]host[:port]" taken apart (user and
// password percent-decoded; port 1080 when absent, as curl); nullopt when it
// is not an http:// URL with a host.
struct ProxyUrl {
  std::string host;
  uint16_t port = 1080;
  std::string user;
  std::string password;
};
std::optional<ProxyUrl> parse_proxy_url(std::string_view url);

// A Retry-After value (RFC 9110 10.2.3: delay-seconds or an HTTP-date) as a
// delay from now, never negative; nullopt when malformed.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// "10s" or "250ms", for error texts (connect_timeout, request_timeout).
inline std::string duration_text(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

// Why these TLS settings can't make a connection ("cannot read tls.ca_file
// /x: No such file or directory", "tls.key_file does not match
// tls.crt_file"), or "" when they can. The config reader uses it.
std::string tls_settings_error(const TlsSettings& tls);

}  // namespace sluice::http
