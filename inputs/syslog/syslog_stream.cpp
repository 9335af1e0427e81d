// Stream listeners and connections of the syslog input; see syslog_stream.hpp.
#include "inputs/syslog/syslog_stream.hpp"

#include <unistd.h>

#include <boost/asio/ssl.hpp>
#include <chrono>

#include "agent/asio.hpp"
#include "agent/tls_server_context.hpp"
#include "agent/unix_socket_file.hpp"

namespace sluice::syslog {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using unix_stream = asio::local::stream_protocol;

class TlsContext {
 public:
  explicit TlsContext(std::shared_ptr<ssl::context> c) : ctx(std::move(c)) {}
  std::shared_ptr<ssl::context> ctx;
};

namespace {

// A connection reads at most this many times per wakeup, so one busy client
// can't hold the io_context from the others.
constexpr int kReadsPerWakeup = 4;
// At shutdown, a connection reads at most this many buffers of what the
// kernel holds for it.
constexpr int kDrainReads = 64;
// A client that connects but doesn't finish the TLS handshake is dropped then.
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
// After accept fails (out of descriptors), wait this long before retrying.
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);

log::RateLimit g_tls_log(100);
log::RateLimit g_accept_log(100);

// The peer's address as accept(2) gave it (no getpeername call).
std::string tcp_source(const tcp::endpoint& ep) {
  if (ep.port() == 0 && ep.address().is_unspecified()) return "tcp://unknown";
  // Fluent Bit's format (no brackets around IPv6 addresses).
  return "tcp://" + ep.address().to_string() + ":" + std::to_string(ep.port());
}

template <class Stream>
constexpr bool kIsTls = std::is_same_v<Stream, ssl::stream<tcp::socket>>;

// One stream connection: tcp, unix_tcp, or TLS on tcp (after a handshake
// under a deadline). It waits until its socket is readable, then reads
// without blocking into the receiver's shared buffer, so an idle connection
// holds no buffer, only the framer's partial message if any. Reads are
// synchronous (the socket is non-blocking) so that stop() can drain what the
// kernel, and OpenSSL, already hold: an asynchronous read in flight would
// own the stream.
template <class Stream>
class StreamConnection final : public Connection,
                               public FrameSink,
                               public std::enable_shared_from_this<StreamConnection<Stream>> {
 public:
  // stream_args construct the Stream: a socket, or a socket and an SSL context.
  template <class... StreamArgs>
  StreamConnection(std::shared_ptr<Receiver> rx, std::shared_ptr<TlsContext> tls, std::string source,
                   StreamArgs&&... stream_args)
      : rx_(std::move(rx)),
        tls_(std::move(tls)),
        source_(std::move(source)),
        stream_(std::forward<StreamArgs>(stream_args)...),
        timer_(rx_->io()),
        framer_(rx_->settings().framing, rx_->settings().buffer_max_size) {}

  void start() {
    id_ = rx_->track(this->shared_from_this());
    if constexpr (kIsTls<Stream>) {
      timer_.expires_after(kHandshakeTimeout);
      timer_.async_wait([self = this->shared_from_this()](const error_code& ec) {
        if (ec || self->handshaken_) return;
        self->timed_out_ = true;
        self->close();
      });
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](const error_code& ec) { self->on_handshake(ec); });
    } else {
      begin_reading();
    }
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    error_code ignored;
    socket().close(ignored);
  }

  // Before a TLS handshake finished nothing was accepted from the client.
  void drain() override {
    if (closed_ || !reading_) return;
    std::vector<char>& buf = rx_->read_buffer();
    for (int i = 0; i < kDrainReads; ++i) {
      error_code ec;
      size_t n = stream_.read_some(asio::buffer(buf), ec);
      if (n > 0) take(buf, n);
      if (ec == asio::error::interrupted) continue;
      if (ec == asio::error::eof || ec == ssl::error::stream_truncated) framer_.finish(*this);
      if (ec) return;
    }
  }

  void on_frame(std::string_view message, FrameFlags flags) override { rx_->add(message, flags, source_); }

 private:
  auto& socket() {
    if constexpr (kIsTls<Stream>) return stream_.next_layer();
    else return stream_;
  }

  void on_handshake(const error_code& ec) {
    log::Scope scope(rx_->log_level());
    handshaken_ = true;
    timer_.cancel();
    if (rx_->stopped()) return;
    if (ec || closed_) {
      rx_->metrics().tls_failures->add();
      if (uint64_t n = g_tls_log.hit()) {
        log::warn("input {}: TLS handshake with {} failed: {} ({} so far)", rx_->instance(), source_,
                  timed_out_ ? "not completed within 10 s" : ec.message(), n);
      }
      close();
      return rx_->untrack(id_);
    }
    begin_reading();
  }

  void begin_reading() {
    error_code ec;
    socket().non_blocking(true, ec);
    if (ec) return end();
    reading_ = true;
    // A TLS client may have sent data with its last handshake message, and
    // OpenSSL may already hold it: read before waiting on the socket.
    if constexpr (kIsTls<Stream>) on_readable({});
    else wait();
  }

  void wait() {
    socket().async_wait(asio::socket_base::wait_read,
                        [self = this->shared_from_this()](const error_code& ec) { self->on_readable(ec); });
  }

  void on_readable(const error_code& ec) {
    log::Scope scope(rx_->log_level());
    if (closed_ || rx_->stopped()) return;
    if (ec) return end();
    if (rx_->paused()) {
      // Stop reading: the socket buffer fills and TCP pushes back on the sender.
      rx_->when_unpaused([self = this->shared_from_this()] { self->on_readable({}); });
      return;
    }
    std::vector<char>& buf = rx_->read_buffer();
    for (int i = 0; i < kReadsPerWakeup; ++i) {
      error_code rec;
      size_t n = stream_.read_some(asio::buffer(buf), rec);
      if (n > 0) take(buf, n);
      if (closed_ || rx_->stopped()) return;
      if (rec == asio::error::would_block || rec == asio::error::try_again) return wait();
      if (rec == asio::error::interrupted) continue;
      // EOF, a close without close_notify (stream_truncated) or a reset all
      // end the connection; what was framed so far counts.
      if (rec) return end();
      // A short plain read emptied the socket: no need to hear EAGAIN. (TLS
      // returns one record at a time, so a short read says nothing there.)
      if constexpr (!kIsTls<Stream>)
        if (n < buf.size()) return wait();
    }
    // Other connections get their turn first. OpenSSL may hold decrypted
    // bytes the socket can't signal, so TLS comes back without waiting.
    if constexpr (kIsTls<Stream>) asio::post(rx_->io(), [self = this->shared_from_this()] { self->on_readable({}); });
    else wait();
  }

  void take(const std::vector<char>& buf, size_t n) {
    rx_->metrics().bytes_read->add(n);
    framer_.feed(std::string_view(buf.data(), n), *this);
  }

  void end() {
    if (!rx_->stopped()) framer_.finish(*this);
    close();
    rx_->untrack(id_);
  }

  std::shared_ptr<Receiver> rx_;
  std::shared_ptr<TlsContext> tls_;  // TLS: keeps the context alive as long as the stream
  std::string source_;
  Stream stream_;
  asio::steady_timer timer_;  // TLS: the handshake's deadline
  Framer framer_;
  uint64_t id_ = 0;
  bool closed_ = false;
  bool reading_ = false;
  bool handshaken_ = false;
  bool timed_out_ = false;
};

// Accepts connections on a bound acceptor (tcp or unix stream).
template <class Protocol>
class StreamListener final : public Listener, public std::enable_shared_from_this<StreamListener<Protocol>> {
 public:
  using Acceptor = typename Protocol::acceptor;
  using Socket = typename Protocol::socket;

  StreamListener(std::shared_ptr<Receiver> rx, Acceptor acceptor, std::shared_ptr<TlsContext> tls, std::string path)
      : rx_(std::move(rx)),
        acceptor_(std::move(acceptor)),
        tls_(std::move(tls)),
        path_(std::move(path)),
        retry_(rx_->io()) {}

  void accept() {
    peer_ = {};
    acceptor_.async_accept(peer_, [self = this->shared_from_this()](const error_code& ec, Socket socket) {
      self->on_accept(ec, std::move(socket));
    });
  }

  void stop() override {
    if (stopped_) return;
    stopped_ = true;
    error_code ignored;
    acceptor_.close(ignored);
    retry_.cancel();
    if (!path_.empty()) ::unlink(path_.c_str());
  }

 private:
  void on_accept(const error_code& ec, Socket socket) {
    log::Scope scope(rx_->log_level());
    if (stopped_ || rx_->stopped()) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      // Out of descriptors or memory: back off instead of spinning.
      if (uint64_t n = g_accept_log.hit())
        log::warn("input {}: accepting a connection failed: {} ({} so far)", rx_->instance(), ec.message(), n);
      retry_.expires_after(kAcceptRetry);
      retry_.async_wait([self = this->shared_from_this()](const error_code& e) {
        if (!e) self->accept();
      });
      return;
    }
    start_connection(std::move(socket));
    accept();
  }

  void start_connection(Socket socket) {
    if constexpr (std::is_same_v<Protocol, tcp>) {
      // Keepalive (which reaps peers that vanished without a FIN) comes from
      // the listening socket: Linux copies it to every accepted one.
      std::string source = tcp_source(peer_);
      if (tls_) {
        using Tls = ssl::stream<tcp::socket>;
        std::make_shared<StreamConnection<Tls>>(rx_, tls_, std::move(source), std::move(socket), *tls_->ctx)->start();
        return;
      }
      std::make_shared<StreamConnection<Socket>>(rx_, nullptr, std::move(source), std::move(socket))->start();
    } else {
      std::make_shared<StreamConnection<Socket>>(rx_, nullptr, "unix://" + path_, std::move(socket))->start();
    }
  }

  std::shared_ptr<Receiver> rx_;
  Acceptor acceptor_;
  std::shared_ptr<TlsContext> tls_;
  std::string path_;  // unix_tcp: the socket file, removed at stop
  typename Protocol::endpoint peer_;  // the connection being accepted's peer
  asio::steady_timer retry_;
  bool stopped_ = false;
};

[[noreturn]] void cannot_listen(const SyslogSettings& s, const std::string& where, const error_code& ec) {
  throw config::ConfigError(s.bind_mark, "input " + s.plugin + ": cannot listen (mode " + mode_name(s.mode) +
                                             ") on " + where + ": " + ec.message());
}

std::shared_ptr<Listener> listen_tcp(const std::shared_ptr<Receiver>& rx, std::shared_ptr<TlsContext> tls) {
  const SyslogSettings& s = rx->settings();
  std::string where = s.listen + ":" + std::to_string(s.port);
  error_code ec;
  tcp::endpoint ep(asio::ip::make_address(s.listen, ec), s.port);
  tcp::acceptor acceptor(rx->io());
  if (!ec) acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  // Set once here instead of on each connection: accepted sockets inherit it.
  if (!ec) acceptor.set_option(asio::socket_base::keep_alive(true), ec);
  if (!ec && s.receive_buffer_size > 0)
    acceptor.set_option(asio::socket_base::receive_buffer_size(static_cast<int>(s.receive_buffer_size)), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) cannot_listen(s, where, ec);
  log::info("input {}: listening for {} on tcp{} {}", rx->instance(), payload_name(rx->settings().payload),
            tls ? "+tls" : "", where);
  auto l = std::make_shared<StreamListener<tcp>>(rx, std::move(acceptor), std::move(tls), "");
  l->accept();
  return l;
}

std::shared_ptr<Listener> listen_unix(const std::shared_ptr<Receiver>& rx) {
  const SyslogSettings& s = rx->settings();
  unix_socket::prepare(s.path, "path", s.bind_mark);
  error_code ec;
  unix_stream::acceptor acceptor(rx->io());
  acceptor.open(unix_stream(), ec);
  if (!ec && s.receive_buffer_size > 0)
    acceptor.set_option(asio::socket_base::receive_buffer_size(static_cast<int>(s.receive_buffer_size)), ec);
  if (!ec) acceptor.bind(unix_stream::endpoint(s.path), ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) cannot_listen(s, s.path, ec);
  unix_socket::set_mode(s.path, s.unix_perm, s.bind_mark);
  log::info("input {}: listening for syslog on unix stream socket {}", rx->instance(), s.path);
  auto l = std::make_shared<StreamListener<unix_stream>>(rx, std::move(acceptor), nullptr, s.path);
  l->accept();
  return l;
}

}  // namespace

std::shared_ptr<TlsContext> make_tls_context(const TlsSettings& tls, std::string& key, std::string& error) {
  auto ctx = make_tls_server_context(tls, key, error);
  return ctx ? std::make_shared<TlsContext>(std::move(ctx)) : nullptr;
}

std::shared_ptr<Listener> start_stream_listener(const std::shared_ptr<Receiver>& rx, std::shared_ptr<TlsContext> tls) {
  if (rx->settings().mode == Mode::UnixTcp) return listen_unix(rx);
  return listen_tcp(rx, std::move(tls));
}

}  // namespace sluice::syslog
