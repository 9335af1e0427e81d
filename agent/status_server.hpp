// The built-in HTTP server (service.http_server): HTTP/1.1 with keep-alive
// on Boost.Beast, and a table of routes (method + path → handler) that the
// service fills. The server knows nothing of health or metrics. Beast stays
// inside status_server.cpp: this header is all the rest of sluice sees.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace boost::asio { class io_context; }

namespace sluice {

struct StatusRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: path and query
  std::string path;    // target without the query
  std::string query;   // after '?', undecoded; empty if none
  std::string body;    // at most StatusServerLimits::max_body bytes
};

struct StatusResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones (Retry-After, ...)
};

// Answers a request, exactly once. It may be called later (after the handler
// returned: an answer that waits for a reload to finish) and from any thread;
// the answer is written on the server's io_context. Calling it after the
// server stopped, or a second time, does nothing; if every copy is destroyed
// without a call, the client gets a 500.
using StatusReply = std::function<void(StatusResponse)>;
// Called on the server's io_context (the main thread). The request lives
// until the handler returns: a handler that answers later copies what it
// needs. It may call route() (replace handlers, its own included).
using StatusHandler = std::function<void(const StatusRequest&, StatusReply)>;

// Bounds on what one client may cost: a slow or hostile client holds one
// connection for at most read_timeout per request and is then closed.
struct StatusServerLimits {
  size_t max_header = 8 * 1024;           // 431 above
  uint64_t max_body = 64 * 1024;          // 413 above
  std::chrono::nanoseconds read_timeout = std::chrono::seconds(10);   // a whole request, head and body
  std::chrono::nanoseconds idle_timeout = std::chrono::seconds(60);   // between keep-alive requests
  std::chrono::nanoseconds write_timeout = std::chrono::seconds(10);  // an answer
  size_t max_connections = 64;  // beyond that, new connections wait in the listen backlog
};

// Runs on one io_context (the main one): accepting, reading, routing and
// writing all happen there.
class StatusServer {
 public:
  // Binds address:port (port 0: the kernel picks; see port()). Throws
  // config::ConfigError if the address is not an IP or can't be bound.
  StatusServer(boost::asio::io_context& io, const std::string& address, uint16_t port,
               StatusServerLimits limits = {});
  ~StatusServer();
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

  // Adds (or replaces) the handler of method + path (exact match, query
  // ignored). An unknown path is answered 404, a known path with another
  // method 405 with Allow; HEAD is answered as GET without the body. Main
  // thread; before or after start().
  void route(const std::string& method, const std::string& path, StatusHandler handler);
  // "GET /api/v1/health", ... in the order added.
  std::vector<std::string> routes() const;

  void start();
  // Stops accepting and closes every connection; handlers are not called
  // again and late replies are dropped.
  void stop();
  uint16_t port() const;
  size_t connections() const;

  struct Impl;  // opaque; named so that status_server.cpp's sessions can hold it

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace sluice
