// A client TCP/TLS connection and its dialer; see tcp_client.hpp.
#include "outputs/common/tcp_client.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <vector>

#include "outputs/common/http_tls.hpp"

namespace sluice::net {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using stream = asio::generic::stream_protocol;
using error_code = boost::system::error_code;

std::shared_ptr<TlsClient> make_tls_client(const http::TlsSettings& tls, std::string& error) {
  auto t = std::make_shared<TlsClient>();
  t->settings = tls;
  t->ctx = http::tls::make_context(tls, error);
  if (!t->ctx) return nullptr;
  return t;
}

bool Stream::peer_gone() {
  char b;
  ssize_t n = ::recv(socket.native_handle(), &b, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

void Stream::close() {
  if (!socket.is_open()) return;
  char buf[4096];
  while (::recv(socket.native_handle(), buf, sizeof buf, MSG_DONTWAIT) > 0) {
  }
  error_code ignored;
  socket.shutdown(asio::socket_base::shutdown_both, ignored);
  socket.close(ignored);
}

Dialer::Dialer(asio::io_context& io, std::string host, uint16_t port, std::shared_ptr<TlsClient> tls,
               std::string unix_path)
    : host_(std::move(host)),
      port_(port),
      tls_(std::move(tls)),
      unix_path_(std::move(unix_path)),
      resolver_(io),
      timer_(io) {}

void Dialer::connect(const StreamPtr& s, std::chrono::milliseconds timeout, std::function<void(std::string)> done) {
  arm(timeout, s);
  auto connected = [this, s, done](const error_code& ec) {
    if (ec) return done("cannot connect to " + where() + ": " + reason(ec));
    if (tls_) return handshake(s, done);
    timer_.cancel();
    done("");
  };
  if (!unix_path_.empty()) {
    return s->socket.async_connect(stream::endpoint(asio::local::stream_protocol::endpoint(unix_path_)),
                                   std::move(connected));
  }
  resolver_.async_resolve(host_, std::to_string(port_), [this, s, done = std::move(done), connected](
                                                            const error_code& ec, const tcp::resolver::results_type& r) {
    if (ec) return done("cannot resolve " + host_ + ": " + reason(ec));
    std::vector<stream::endpoint> endpoints;
    for (const auto& entry : r) endpoints.emplace_back(entry.endpoint());
    asio::async_connect(s->socket, endpoints,
                        [connected](const error_code& cec, const stream::endpoint&) { connected(cec); });
  });
}

void Dialer::handshake(const StreamPtr& s, std::function<void(std::string)> done) {
  s->tls.emplace(s->socket, *tls_->ctx);
  const std::string& name = tls_->settings.vhost.empty() ? host_ : tls_->settings.vhost;
  std::string error;
  // SNI, and the name (or IP) OpenSSL checks during the handshake, so a mismatch reads as a verify error.
  if (!http::tls::prepare(s->tls->native_handle(), name, tls_->settings.verify, error))
    return done("TLS setup for " + where() + " failed: " + error);
  s->tls->async_handshake(ssl::stream_base::client, [this, s, done](const error_code& ec) {
    if (ec)
      return done("TLS handshake with " + where() + " failed: " +
                  (timed_out_ ? std::string("timed out") : http::tls::error_text(s->tls->native_handle(), ec)));
    timer_.cancel();
    done("");
  });
}

void Dialer::arm(std::chrono::milliseconds timeout, const StreamPtr& s) {
  timed_out_ = false;
  timer_.expires_after(timeout);
  std::weak_ptr<Stream> weak = s;
  timer_.async_wait([this, weak](const error_code& ec) {
    if (ec) return;
    StreamPtr s = weak.lock();
    if (!s) return;
    timed_out_ = true;
    error_code ignored;
    resolver_.cancel();
    s->socket.close(ignored);  // the pending operations complete with operation_aborted
  });
}

void Dialer::cancel() {
  resolver_.cancel();
  timer_.cancel();
}

std::string Dialer::reason(const error_code& ec) const {
  return timed_out_ ? std::string("timed out") : http::tls::error_text(nullptr, ec);
}

}  // namespace sluice::net
