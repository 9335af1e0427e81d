// Internal to the HTTP client: one connection (TCP or TLS, direct or through
// a proxy) and the Dialer that opens them. Beast and OpenSSL stay inside
// http_connection.cpp; http_client.cpp (the pool) sees only this.
#pragma once
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "agent/asio.hpp"
#include "outputs/common/http_client.hpp"

namespace sluice::http::detail {

// A request already serialized by the pool: the head (request line and
// header fields, ending in an empty line) and the (possibly gzipped) body.
struct WireRequest {
  std::string head;
  std::string body;
  bool head_method = false;  // HEAD: the answer has no body whatever it says
};

struct ExchangeResult {
  bool ok = false;         // a whole answer was read into response
  bool reusable = false;   // ok, and the connection may carry another request
  bool got_bytes = false;  // some of the answer arrived (a retry could duplicate)
  bool timed_out = false;
  std::string error;       // when !ok
  Response response;
};

// Runs on the client's io_context, used by one request at a time.
class Connection {
 public:
  virtual ~Connection() = default;
  // Sends the request and reads the whole answer within timeout.
  virtual boost::asio::awaitable<ExchangeResult> exchange(const WireRequest& request,
                                                          std::chrono::milliseconds timeout) = 0;
  // True for an idle connection that the peer closed or wrote to: it can't
  // carry a request any more.
  virtual bool stale() = 0;
  // Closes the socket; pending operations complete with an error.
  virtual void close() = 0;
};

// Opens connections to one endpoint; runs on the client's io_context.
// Caches the resolved addresses until forget_addresses().
class Dialer {
 public:
  Dialer(boost::asio::io_context& io, const ClientSettings& settings);
  ~Dialer();
  // Why no connection can ever be made (unusable TLS files, bad proxy URL), or "".
  const std::string& setup_error() const;
  // Resolves, connects, tunnels through the proxy and shakes hands within
  // connect_timeout; nullptr with error set on failure.
  boost::asio::awaitable<std::unique_ptr<Connection>> connect(std::string& error);
  void forget_addresses();
  // True when requests go to an http proxy in absolute form (plain http
  // through a proxy); proxy_authorization() is then the header value to add.
  bool absolute_form() const;
  const std::string& proxy_authorization() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace sluice::http::detail
