// The http and opentelemetry inputs' server: HTTP/1.1 (keep-alive,
// Expect: 100-continue) and HTTP/2 (http2_connection.hpp), optional TLS,
// timeouts, body and header limits. What a request means is left to a
// RequestHandler. Beast stays inside http_server.cpp: this header is all the
// inputs see.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace boost::asio { class io_context; }

namespace sluice {

// The largest request header (HTTP/1.1's head; HTTP/2's header list as RFC
// 9113 §6.5.2 counts it): 431 or a reset stream beyond it.
inline constexpr size_t kRequestHeaderLimit = 16 * 1024;

struct HttpServerSettings {
  std::string listen = "0.0.0.0";
  uint16_t port = 9880;
  bool tls = false;
  std::string crt_file, key_file;  // PEM, with tls
  std::string ca_file;             // set (and verify_client): require a client certificate signed by it
  bool verify_client = true;
  uint64_t max_body_size = 4 * 1024 * 1024;
  std::chrono::nanoseconds idle_timeout = std::chrono::seconds(60);
  std::chrono::nanoseconds request_timeout = std::chrono::seconds(30);
  size_t max_connections = 1024;
  // Also serve HTTP/2: prior knowledge without TLS, ALPN "h2" with it.
  bool http2 = true;
};

// What the handler sees of a request. The views live until the handler returns.
struct RequestHead {
  std::string_view method;  // "POST", "GET", ...
  std::string_view target;  // path and query, as sent
  std::string_view content_type;
  std::string_view content_encoding;
  std::string_view authorization;
  std::string_view remote;  // the client's address and port ("127.0.0.1:53012", "::1:53012")
  std::string_view forwarded_for;  // the X-Forwarded-For header, as sent
  std::string_view grpc_encoding;  // gRPC's message compression (grpc-encoding), as sent
  bool http2 = false;              // arrived over HTTP/2 (else HTTP/1.1)
};

struct HttpAnswer {
  int status = 200;
  std::string body;  // sent with content_type when not empty
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  // Sent after the body, as gRPC's status is; HTTP/2 only (HTTP/1.1 answers
  // go without them).
  std::vector<std::pair<std::string, std::string>> trailers;
};

// A one-line JSON error answer: {"error":"<message>"}.
HttpAnswer json_error(int status, std::string_view message);

// Called on the server's io_context thread.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // When a request's head has arrived, before its body is read: an answer
  // refuses the request (its body is then read and dropped, or the
  // connection closed if the client waits for 100-continue); nullopt reads it.
  virtual std::optional<HttpAnswer> check(const RequestHead& head) = 0;
  // The whole body (at most max_body_size bytes) of a request check() let
  // through. The handler may take the body's memory (std::move).
  virtual HttpAnswer handle(const RequestHead& head, std::string& body) = 0;
  // The server refused a request itself (malformed, its head or body over
  // the limit) and answered `status`; remote is the client's address.
  virtual void refused(std::string_view remote, int status, std::string_view reason) = 0;
};

// What HttpServer throws when a setting can't work: the key ("tls.crt_file",
// "port", ...) and why.
class HttpServerError : public std::runtime_error {
 public:
  HttpServerError(std::string key, const std::string& what) : std::runtime_error(what), key(std::move(key)) {}
  std::string key;
};

// Loads the TLS files of settings into a throwaway context, so that a wrong
// certificate or key is a configuration error before anything starts.
// Throws HttpServerError.
void check_tls_settings(const HttpServerSettings& settings);

// Runs on one io_context (the main one). The handler must outlive stop().
class HttpServer {
 public:
  // Loads the TLS certificate and key (HttpServerError if one is wrong).
  // Does not listen yet.
  HttpServer(boost::asio::io_context& io, HttpServerSettings settings, RequestHandler& handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting; HttpServerError if it can't listen.
  void start();
  // Stops accepting, closes every connection; the handler is not called again.
  void stop();
  // The bound port (the configured one, or the kernel's pick for port 0).
  uint16_t port() const;
  size_t connections() const;

  struct Impl;  // opaque; named here so that http_server.cpp's connections can hold it

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace sluice
