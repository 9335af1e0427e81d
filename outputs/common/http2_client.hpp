// An HTTP/2 client with http::Client's contract, for outputs that speak gRPC
// (the opentelemetry output's `grpc: on`): one connection to one endpoint,
// its requests multiplexed as streams, TLS with ALPN h2 (or prior
// knowledge without TLS), reconnecting after a failure. An answer's trailers
// (gRPC's grpc-status) come in Response::headers after its headers.
// nghttp2 and the socket stay inside http2_client.cpp.
#pragma once
#include <memory>

#include "outputs/common/http_client.hpp"

namespace sluice::http {

// Runs on the io_context it was given (an output's worker thread). Proxies
// are not used. A request is answered once: its response, or status 0 with
// the transport's error (connect, TLS, reset, request_timeout).
class Http2Client {
 public:
  Http2Client(boost::asio::io_context& io, ClientSettings settings);
  ~Http2Client();
  Http2Client(const Http2Client&) = delete;
  Http2Client& operator=(const Http2Client&) = delete;

  void send(Request request, ResponseHandler done);
  // Fails requests not yet sent with status 0 and closes the connection once
  // those in flight are answered; later send() calls fail at once.
  void close();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace sluice::http
