// GELF over TCP/TLS: connection, TLS handshake and verification, NUL-framed
// batch writes, reconnecting. See gelf_tcp.hpp.
#include "outputs/gelf/gelf_tcp.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <deque>
#include <optional>

#include <boost/asio/ssl.hpp>

#include "agent/asio.hpp"
#include "agent/log.hpp"
#include "outputs/common/http_tls.hpp"

namespace sluice::gelf {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

struct TlsContext {
  std::shared_ptr<ssl::context> ctx;
  http::TlsSettings settings;
};

std::shared_ptr<TlsContext> make_tls_context(const http::TlsSettings& tls) {
  auto t = std::make_shared<TlsContext>();
  t->settings = tls;
  std::string error;
  t->ctx = http::tls::make_context(tls, error);
  if (!t->ctx) {
    // The wrapper's text names the file's key; report the error at that key.
    std::string key = "tls.verify";
    size_t first = std::string::npos;
    for (const char* k : {"tls.ca_file", "tls.crt_file", "tls.key_file"}) {
      size_t at = error.find(k);
      if (at < first) {
        first = at;
        key = k;
      }
    }
    throw TlsSetupError(key, error);
  }
  return t;
}

namespace {

// One TCP connection and, for TLS, the stream over it. Handlers hold it by
// shared_ptr, so it outlives every operation started on it.
struct Connection {
  explicit Connection(asio::io_context& io) : socket(io) {}
  tcp::socket socket;
  std::optional<ssl::stream<tcp::socket&>> tls;
  char scratch[256];         // what the (silent) server might send
  bool peer_closed = false;  // the server hung up; don't write to it again

  template <class Fn>
  void with_stream(Fn&& fn) {
    if (tls) {
      fn(*tls);
    } else {
      fn(socket);
    }
  }
};
using ConnectionPtr = std::shared_ptr<Connection>;

// True if the server has closed or reset the connection: a peek sees end of
// stream or an error. The pending read in watch() notices this too, but only
// once its handler runs; a batch written before that would be lost.
bool peer_gone(Connection& c) {
  char b;
  ssize_t n = ::recv(c.socket.native_handle(), &b, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

// Runs on the output's worker thread. Keeps one connection; a batch is one
// write of every message with its NUL terminator. GELF TCP has no
// acknowledgement, so a completed write is delivery; a failed one closes the
// connection and the batch is retried on a new one (it may repeat what the
// server already read: at-least-once). A read kept pending on the idle
// connection notices a server that hung up before the next batch is lost on it.
class TcpTransport final : public Transport {
 public:
  TcpTransport(asio::io_context& io, const Settings& s, const Counters& c, std::shared_ptr<TlsContext> tls)
      : io_(io), s_(s), counters_(c), tls_(std::move(tls)), resolver_(io), timer_(io) {}

  void send(const Messages& msgs, SendDone done) override {
    queue_.push_back(Job{&msgs, std::move(done)});
    if (!busy_) next();
  }

  void close() override {
    closed_ = true;
    drop();
  }

 private:
  struct Job {
    const Messages* msgs;
    SendDone done;
  };

  void next() {
    if (queue_.empty()) {
      busy_ = false;
      return;
    }
    busy_ = true;
    if (closed_) return finish("output stopped");
    if (conn_ && (conn_->peer_closed || peer_gone(*conn_))) drop();
    if (conn_) return write();
    connect();
  }

  void connect() {
    auto conn = std::make_shared<Connection>(io_);
    conn_ = conn;
    arm(s_.connect_timeout, conn);
    // The host is resolved again for every connection: after a failure it may have moved.
    resolver_.async_resolve(s_.host, std::to_string(s_.port),
                            [this, conn](const boost::system::error_code& ec, const tcp::resolver::results_type& r) {
                              if (conn != conn_) return finish("output stopped");
                              if (ec) return failed("cannot resolve " + s_.host, ec);
                              asio::async_connect(conn->socket, r, [this, conn](const boost::system::error_code& cec,
                                                                                const tcp::endpoint&) {
                                on_connect(conn, cec);
                              });
                            });
  }

  void on_connect(const ConnectionPtr& conn, const boost::system::error_code& ec) {
    if (conn != conn_) return finish("output stopped");
    if (ec) return failed("cannot connect to " + where(), ec);
    if (tls_) return handshake(conn);
    connected(conn);
  }

  void handshake(const ConnectionPtr& conn) {
    conn->tls.emplace(conn->socket, *tls_->ctx);
    const std::string& name = tls_->settings.vhost.empty() ? s_.host : tls_->settings.vhost;
    std::string error;
    // SNI, and the name (or IP) OpenSSL checks during the handshake, so a mismatch reads as a verify error.
    if (!http::tls::prepare(conn->tls->native_handle(), name, tls_->settings.verify, error)) {
      drop();
      return finish("TLS setup for " + where() + " failed: " + error);
    }
    conn->tls->async_handshake(ssl::stream_base::client, [this, conn](const boost::system::error_code& ec) {
      if (conn != conn_) return finish("output stopped");
      if (ec) {
        std::string what = "TLS handshake with " + where() + " failed: " +
                           (timed_out_ ? std::string("timed out") : http::tls::error_text(conn->tls->native_handle(), ec));
        drop();
        return finish(what);
      }
      connected(conn);
    });
  }

  void connected(const ConnectionPtr& conn) {
    timer_.cancel();
    counters_.reconnects->add();
    log::debug("gelf: connected to {} ({})", where(), tls_ ? "tls" : "tcp");
    watch(conn);
    write();
  }

  // Graylog never writes; a read completing means the server closed (or reset) the connection.
  void watch(const ConnectionPtr& conn) {
    conn->with_stream([&](auto& stream) {
      stream.async_read_some(asio::buffer(conn->scratch), [this, conn](const boost::system::error_code& ec, size_t) {
        if (conn != conn_) return;
        if (!ec) return watch(conn);
        log::debug("gelf: {} closed the connection: {}", where(), ec.message());
        conn->peer_closed = true;
        if (!busy_) drop();  // a write in progress completes first; the next batch reconnects
      });
    });
  }

  void write() {
    ConnectionPtr conn = conn_;
    const Messages& msgs = *queue_.front().msgs;
    arm(s_.request_timeout, conn);
    conn->with_stream([&](auto& stream) {
      asio::async_write(stream, asio::buffer(msgs.text), [this, conn](const boost::system::error_code& ec, size_t) {
        if (conn != conn_) return finish("output stopped");
        if (ec) return failed("write to " + where() + " failed", ec);
        timer_.cancel();
        finish("");
      });
    });
  }

  // Closes the connection after an error; the job in progress is retried.
  void failed(std::string what, const boost::system::error_code& ec) {
    what += ": " + (timed_out_ ? std::string("timed out") : http::tls::error_text(nullptr, ec));
    drop();
    finish(what);
  }

  void arm(std::chrono::milliseconds timeout, const ConnectionPtr& conn) {
    timed_out_ = false;
    timer_.expires_after(timeout);
    timer_.async_wait([this, conn](const boost::system::error_code& ec) {
      if (ec || conn != conn_) return;
      timed_out_ = true;
      boost::system::error_code ignored;
      resolver_.cancel();
      conn->socket.close(ignored);  // the pending operation completes with operation_aborted
    });
  }

  void drop() {
    resolver_.cancel();
    timer_.cancel();
    if (conn_ && conn_->socket.is_open()) {
      // Closing with unread bytes (TLS session tickets, say) makes the kernel
      // send RST, which can discard what the server has not read yet: read
      // them away and send FIN first.
      char buf[4096];
      while (::recv(conn_->socket.native_handle(), buf, sizeof buf, MSG_DONTWAIT) > 0) {
      }
      boost::system::error_code ignored;
      conn_->socket.shutdown(tcp::socket::shutdown_both, ignored);
      conn_->socket.close(ignored);
    }
    conn_.reset();
  }

  // Ends the front job: delivered when why is empty, else every message retried.
  void finish(const std::string& why) {
    if (queue_.empty()) return;
    Job job = std::move(queue_.front());
    queue_.pop_front();
    std::vector<RecordOutcome> outcomes(job.msgs->size());
    if (!why.empty())
      for (auto& o : outcomes) o = {Outcome::Retry, why};
    job.done(std::move(outcomes));
    next();
  }

  std::string where() const { return s_.host + ":" + std::to_string(s_.port); }

  asio::io_context& io_;
  const Settings& s_;
  Counters counters_;
  std::shared_ptr<TlsContext> tls_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  ConnectionPtr conn_;
  std::deque<Job> queue_;
  bool busy_ = false;
  bool closed_ = false;
  bool timed_out_ = false;
};

}  // namespace

std::unique_ptr<Transport> make_tcp_transport(asio::io_context& io, const Settings& s, const Counters& c,
                                              std::shared_ptr<TlsContext> tls) {
  return std::make_unique<TcpTransport>(io, s, c, std::move(tls));
}

}  // namespace sluice::gelf
