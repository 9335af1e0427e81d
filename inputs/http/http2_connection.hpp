// The server side of one HTTP/2 connection (RFC 9113) without its I/O:
// bytes read from the client go in, bytes to write come out, and each
// request stream that ends is given to the RequestHandler as HTTP/1.1
// requests are. gRPC (OTLP's port-4317 protocol) runs on it: an answer with
// trailers ends its stream with them. nghttp2 stays inside
// http2_connection.cpp; http_server.cpp does the reading and writing.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "inputs/http/http_server.hpp"

namespace sluice {

// What a client sends first on an HTTP/2 connection without TLS ("prior
// knowledge", RFC 9113 §3.4): how gRPC clients and `curl --http2-prior-knowledge` start.
inline constexpr std::string_view kHttp2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// The request body bytes a server's connections may hold in memory at once,
// HTTP/1.1's and HTTP/2's together (http_server.cpp's is 4 MB, or one
// max_body_size if larger).
class BodyBudget {
 public:
  virtual ~BodyBudget() = default;
  // Takes `bytes` more; false when they don't fit (nothing is taken).
  virtual bool take(uint64_t bytes) = 0;
  virtual void give_back(uint64_t bytes) = 0;
};

// A gRPC error as HTTP/2 carries it ("trailers-only"): HTTP 200,
// content-type application/grpc, grpc-status and a percent-encoded
// grpc-message, no body.
HttpAnswer grpc_error_answer(int code, std::string_view message);

class Http2Connection {
 public:
  // remote: the client's address, for RequestHead::remote. Request bodies
  // are taken from `budget` as they arrive; a stream whose next bytes don't
  // fit is reset with REFUSED_STREAM (clients retry it). Sends the server's
  // SETTINGS (take them with take_output()).
  Http2Connection(const HttpServerSettings& settings, RequestHandler& handler, BodyBudget& budget,
                  std::string remote);
  ~Http2Connection();
  Http2Connection(const Http2Connection&) = delete;
  Http2Connection& operator=(const Http2Connection&) = delete;

  // Takes bytes the client sent (the preface first). Requests that end
  // are handled before this returns. False: the client broke the protocol;
  // write what take_output() gives (a GOAWAY), then close.
  bool receive(std::string_view bytes);
  // Appends what should be written to the client now.
  void take_output(std::string& out);
  // Neither side wants the connection any more (GOAWAY sent or received
  // and no stream left): close it once the output is written.
  bool finished() const;
  // Streams whose request or answer is under way (for the read timeout:
  // idle_timeout without any, request_timeout with some).
  size_t open_streams() const;
  // The server stopped: the handler is not called again; stream ends are
  // refused, and a GOAWAY is sent.
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice
