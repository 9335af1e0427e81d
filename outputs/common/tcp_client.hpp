// One long-lived client connection over TCP, with TLS over it when the
// output asks for it, or over a unix socket: what the outputs that keep
// their own socket share (gelf over TCP/TLS, forward). The connection, and the dialer that
// resolves, connects, handshakes and times each step. Asio's ssl is
// included only by this pair and the two outputs' transports.
#pragma once
#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ssl.hpp>

#include "agent/asio.hpp"
#include "outputs/common/http_client.hpp"

namespace sluice::net {

// A client TLS context and the settings it was made from.
struct TlsClient {
  std::shared_ptr<boost::asio::ssl::context> ctx;
  http::TlsSettings settings;
};
// Loads the CA and client certificate of tls: nullptr with error (naming the
// tls.* key at fault) when a file can't be used.
std::shared_ptr<TlsClient> make_tls_client(const http::TlsSettings& tls, std::string& error);

// One connection. Handlers hold it by shared_ptr, so it outlives every
// operation started on it.
class Stream {
 public:
  explicit Stream(boost::asio::io_context& io) : socket(io) {}

  // TCP or a unix socket.
  boost::asio::generic::stream_protocol::socket socket;
  std::optional<boost::asio::ssl::stream<boost::asio::generic::stream_protocol::socket&>> tls;
  bool peer_closed = false;  // a read saw the server hang up
  std::array<char, 4096> scratch;  // for the connection's reads of what the server sends

  // Calls fn with the TLS stream or the plain socket.
  template <class Fn>
  void with_stream(Fn&& fn) {
    if (tls) {
      fn(*tls);
    } else {
      fn(socket);
    }
  }
  // True if the server has closed or reset the connection: a peek sees end
  // of stream or an error. A read kept pending notices that too, but only
  // once its handler runs; a batch written before then would be lost.
  bool peer_gone();
  // Reads away what the server sent and nobody read (TLS session tickets,
  // say: closing with unread bytes makes the kernel send RST, which can
  // discard what the server has not read yet), then shuts down and closes.
  void close();
};
using StreamPtr = std::shared_ptr<Stream>;

// Connects streams to one server and puts a deadline on their operations.
// Runs on the output's worker thread.
class Dialer {
 public:
  // With unix_path, connects to that unix socket instead of host and port.
  Dialer(boost::asio::io_context& io, std::string host, uint16_t port, std::shared_ptr<TlsClient> tls,
         std::string unix_path = {});

  // Resolves the host (again each time: after a failure the server may have
  // moved), connects and, with TLS, handshakes (SNI and the name checked:
  // tls.vhost or the host), all within timeout. done("") once s is ready,
  // else done(what failed and why); after cancel() or s closed, with the
  // error that caused (the caller checks whether s is still its stream).
  void connect(const StreamPtr& s, std::chrono::milliseconds timeout, std::function<void(std::string)> done);
  // Closes s's socket if the deadline passes first: its pending operations
  // then complete with operation_aborted and timed_out() is true.
  void arm(std::chrono::milliseconds timeout, const StreamPtr& s);
  // Stops the clock, and a resolve in progress.
  void cancel();
  bool timed_out() const { return timed_out_; }
  // "timed out" after the deadline, else the error's text (OpenSSL's for TLS).
  std::string reason(const boost::system::error_code& ec) const;
  // "host:port" or "unix://path", for messages.
  std::string where() const {
    return unix_path_.empty() ? host_ + ":" + std::to_string(port_) : "unix://" + unix_path_;
  }

 private:
  void handshake(const StreamPtr& s, std::function<void(std::string)> done);

  std::string host_;
  uint16_t port_;
  std::shared_ptr<TlsClient> tls_;
  std::string unix_path_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer timer_;
  bool timed_out_ = false;
};

}  // namespace sluice::net
