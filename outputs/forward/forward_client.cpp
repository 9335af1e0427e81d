// The `forward` output's connection; see forward_client.hpp.
#include "outputs/forward/forward_client.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <deque>
#include <optional>

#include <boost/asio/ssl.hpp>

#include "agent/asio.hpp"
#include "agent/forward_handshake.hpp"
#include "agent/log.hpp"
#include "agent/msgpack_reader.hpp"
#include "outputs/common/http_tls.hpp"

namespace sluice::forward_out {

namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using forward_handshake::Helo;

// The server's answers are small (HELO, PONG, acks); more than this unread
// is not the Forward protocol.
constexpr size_t kMaxAnswerBytes = 64 * 1024;

enum class Phase { Connecting, Helo, Pong, Ready };

// One connection and, for TLS, the stream over it. Handlers hold it by
// shared_ptr, so it outlives every operation started on it.
struct Connection {
  explicit Connection(asio::io_context& io) : socket(io) {}
  tcp::socket socket;
  std::optional<ssl::stream<tcp::socket&>> tls;
  Phase phase = Phase::Connecting;
  Helo helo;
  std::string salt;
  std::string ping;      // kept alive while it is written
  std::string received;  // bytes of the server's next answer(s)
  char scratch[4096];
  bool peer_closed = false;

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

// True if the server has closed or reset the connection (see gelf_tcp.cpp:
// a batch written on such a connection would be lost without an error).
bool peer_gone(Connection& c) {
  char b;
  ssize_t n = ::recv(c.socket.native_handle(), &b, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

class TcpClient final : public Client {
 public:
  TcpClient(asio::io_context& io, const Settings& s, const Counters& c)
      : io_(io), s_(s), counters_(c), resolver_(io), timer_(io) {
    if (s_.server.tls.enabled) tls_ctx_ = http::tls::make_context(s_.server.tls, tls_error_);
  }

  void send(const std::vector<Message>& msgs, SendDone done) override {
    queue_.push_back(Job{&msgs, std::move(done), std::vector<bool>(msgs.size(), false)});
    if (!busy_) next();
  }

  void close() override {
    closed_ = true;
    drop();
  }

 private:
  struct Job {
    const std::vector<Message>* msgs;
    SendDone done;
    std::vector<bool> acked;
    size_t unacked = 0;    // messages of the write in progress not acknowledged yet
    bool written = false;  // the write in progress has completed
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
    if (s_.server.tls.enabled && !tls_ctx_) return finish("TLS setup failed: " + tls_error_);
    auto conn = std::make_shared<Connection>(io_);
    conn_ = conn;
    arm(s_.server.connect_timeout, conn);
    // Resolved again for every connection: after a failure the server may have moved.
    resolver_.async_resolve(s_.server.host, std::to_string(s_.server.port),
                            [this, conn](const error_code& ec, const tcp::resolver::results_type& r) {
                              if (conn != conn_) return;
                              if (ec) return failed("cannot resolve " + s_.server.host, ec);
                              asio::async_connect(conn->socket, r, [this, conn](const error_code& cec,
                                                                                const tcp::endpoint&) {
                                if (conn != conn_) return;
                                if (cec) return failed("cannot connect to " + where(), cec);
                                if (tls_ctx_) return tls_handshake(conn);
                                open(conn);
                              });
                            });
  }

  void tls_handshake(const ConnectionPtr& conn) {
    conn->tls.emplace(conn->socket, *tls_ctx_);
    const std::string& name = s_.server.tls.vhost.empty() ? s_.server.host : s_.server.tls.vhost;
    std::string error;
    if (!http::tls::prepare(conn->tls->native_handle(), name, s_.server.tls.verify, error)) {
      drop();
      return finish("TLS setup for " + where() + " failed: " + error);
    }
    conn->tls->async_handshake(ssl::stream_base::client, [this, conn](const error_code& ec) {
      if (conn != conn_) return;
      if (ec) {
        std::string what = "TLS handshake with " + where() + " failed: " +
                           (timed_out_ ? std::string("timed out") : http::tls::error_text(conn->tls->native_handle(), ec));
        drop();
        return finish(what);
      }
      open(conn);
    });
  }

  // Connected (and TLS set up): read the server's answers from now on; with
  // a shared key, wait for its HELO before anything is sent.
  void open(const ConnectionPtr& conn) {
    // A flush's last segment goes out at once instead of waiting for the ack of the one before.
    error_code ignored;
    conn->socket.set_option(tcp::no_delay(true), ignored);
    read(conn);
    if (s_.secure) {
      conn->phase = Phase::Helo;  // connect_timeout still runs: it covers the handshake
      return;
    }
    ready(conn);
  }

  void ready(const ConnectionPtr& conn) {
    timer_.cancel();
    conn->phase = Phase::Ready;
    counters_.connections->add();
    log::debug("forward: connected to {}{}", where(), s_.secure ? " (shared key accepted)" : "");
    write();
  }

  void read(const ConnectionPtr& conn) {
    conn->with_stream([&](auto& stream) {
      stream.async_read_some(asio::buffer(conn->scratch), [this, conn](const error_code& ec, size_t n) {
        if (conn != conn_) return;
        if (ec) {
          conn->peer_closed = true;
          if (!busy_) return drop();
          return failed(timed_out_ ? "write to " + where() : "the server at " + where() + " closed the connection", ec);
        }
        conn->received.append(conn->scratch, n);
        if (!answers(conn)) return;
        if (conn->received.size() > kMaxAnswerBytes) {
          protocol_error("sent more than 64 KiB without a whole answer");
          return;
        }
        read(conn);
      });
    });
  }

  // Handles every whole answer received; false when the connection was dropped.
  bool answers(const ConnectionPtr& conn) {
    while (!conn->received.empty()) {
      std::string error;
      int64_t size = msgpack::object_size(conn->received, &error);
      if (size < 0) {
        protocol_error("sent bytes that aren't MessagePack (" + error + ")");
        return false;
      }
      if (size == 0) return true;
      std::string answer = conn->received.substr(0, static_cast<size_t>(size));
      conn->received.erase(0, static_cast<size_t>(size));
      if (!answer_one(conn, answer)) return false;
      if (conn != conn_) return false;
    }
    return true;
  }

  bool answer_one(const ConnectionPtr& conn, std::string_view answer) {
    switch (conn->phase) {
      case Phase::Connecting: return true;
      case Phase::Helo: {
        std::string error = forward_handshake::read_helo(answer, conn->helo);
        if (!error.empty())
          return handshake_failed(error + ": is shared_key set for a server without one?");
        conn->salt = forward_handshake::random_hex(16);
        conn->ping = forward_handshake::ping(conn->helo, s_.self_hostname, conn->salt, s_.shared_key, s_.username,
                                             s_.password);
        conn->phase = Phase::Pong;
        conn->with_stream([&](auto& stream) {
          asio::async_write(stream, asio::buffer(conn->ping), [this, conn](const error_code& ec, size_t) {
            if (conn != conn_ || !ec) return;
            failed("sending the handshake's PING to " + where() + " failed", ec);
          });
        });
        return true;
      }
      case Phase::Pong: {
        std::string error = forward_handshake::check_pong(answer, conn->salt, conn->helo.nonce, s_.shared_key);
        if (!error.empty()) return handshake_failed(error);
        ready(conn);
        return conn == conn_;
      }
      case Phase::Ready: {
        std::optional<std::string> id = forward_handshake::read_ack(answer);
        Helo helo;
        if (!id && forward_handshake::read_helo(answer, helo).empty())
          return handshake_failed("the server asks for the shared-key handshake (it sent HELO): set shared_key");
        if (!id || queue_.empty() || queue_.front().unacked == 0) {
          log::debug("forward: {} sent an answer that acknowledges nothing pending", where());
          return true;
        }
        Job& job = queue_.front();
        for (size_t i = 0; i < job.msgs->size(); ++i) {
          if (!job.acked[i] && (*job.msgs)[i].chunk == *id) {
            job.acked[i] = true;
            counters_.acks->add();
            if (--job.unacked == 0 && job.written) finish_acked();
            break;
          }
        }
        return true;
      }
    }
    return true;
  }

  bool handshake_failed(const std::string& error) {
    log::debug("forward: handshake with {} failed: {}", where(), error);
    drop();
    finish("handshake with " + where() + " failed: " + error);
    return false;
  }

  bool protocol_error(const std::string& what) {
    drop();
    finish("the server at " + where() + " " + what);
    return false;
  }

  void write() {
    ConnectionPtr conn = conn_;
    Job& job = queue_.front();
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(job.msgs->size());
    job.unacked = 0;
    job.written = false;
    for (size_t i = 0; i < job.msgs->size(); ++i) {
      if (job.acked[i]) continue;  // acknowledged on an earlier connection
      buffers.push_back(asio::buffer((*job.msgs)[i].bytes));
      ++job.unacked;
    }
    arm(s_.server.request_timeout, conn);
    conn->with_stream([&](auto& stream) {
      asio::async_write(stream, buffers, [this, conn](const error_code& ec, size_t) {
        if (conn != conn_) return;
        if (ec) return failed("write to " + where() + " failed", ec);
        Job& job = queue_.front();
        job.written = true;
        if (!s_.require_ack) {
          timer_.cancel();
          return finish("");
        }
        // Every ack may have come before the write's completion was handled.
        if (job.unacked == 0) finish_acked();
      });
    });
  }

  void finish_acked() {
    timer_.cancel();
    finish("");
  }

  // Closes the connection after an error; the job in progress is retried.
  void failed(std::string what, const error_code& ec) {
    if (timed_out_) {
      Phase phase = conn_ ? conn_->phase : Phase::Connecting;
      if (phase == Phase::Helo)
        what = "no HELO from " + where() + " within connect_timeout: shared_key is set; does the server ask for one?";
      else if (phase == Phase::Pong)
        what = "no PONG from " + where() + " within connect_timeout";
      else if (phase == Phase::Ready && s_.require_ack && !queue_.empty() && queue_.front().written)
        what = "no ack from " + where() + " within request_timeout";
      else
        what += ": timed out";
    } else {
      what += ": " + http::tls::error_text(nullptr, ec);
    }
    drop();
    finish(what);
  }

  void arm(std::chrono::milliseconds timeout, const ConnectionPtr& conn) {
    timed_out_ = false;
    timer_.expires_after(timeout);
    timer_.async_wait([this, conn](const error_code& ec) {
      if (ec || conn != conn_) return;
      timed_out_ = true;
      error_code ignored;
      resolver_.cancel();
      conn->socket.close(ignored);  // the pending operations complete with operation_aborted
    });
  }

  void drop() {
    resolver_.cancel();
    timer_.cancel();
    if (conn_ && conn_->socket.is_open()) {
      // Read away what the server sent so that close sends FIN, not RST.
      char buf[4096];
      while (::recv(conn_->socket.native_handle(), buf, sizeof buf, MSG_DONTWAIT) > 0) {
      }
      error_code ignored;
      conn_->socket.shutdown(tcp::socket::shutdown_both, ignored);
      conn_->socket.close(ignored);
    }
    conn_.reset();
  }

  // Ends the front job: delivered when why is empty; else every message not
  // acknowledged yet is sent again later.
  void finish(const std::string& why) {
    if (queue_.empty()) return;
    Job job = std::move(queue_.front());
    queue_.pop_front();
    std::vector<std::string> outcomes(job.msgs->size());
    if (!why.empty())
      for (size_t i = 0; i < outcomes.size(); ++i)
        if (!job.acked[i]) outcomes[i] = why;
    // A server that said keepalive: false in its HELO closes after a message.
    if (conn_ && s_.secure && !conn_->helo.keepalive) drop();
    job.done(std::move(outcomes));
    next();
  }

  std::string where() const { return s_.server.host + ":" + std::to_string(s_.server.port); }

  asio::io_context& io_;
  const Settings& s_;
  Counters counters_;
  std::shared_ptr<ssl::context> tls_ctx_;
  std::string tls_error_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  ConnectionPtr conn_;
  std::deque<Job> queue_;
  bool busy_ = false;
  bool closed_ = false;
  bool timed_out_ = false;
};

}  // namespace

std::unique_ptr<Client> make_client(asio::io_context& io, const Settings& s, const Counters& c) {
  return std::make_unique<TcpClient>(io, s, c);
}

}  // namespace sluice::forward_out
