// The `forward` output's connection; see forward_client.hpp.
#include "outputs/forward/forward_client.hpp"

#include <deque>
#include <optional>

#include "agent/forward_handshake.hpp"
#include "agent/log.hpp"
#include "agent/msgpack_reader.hpp"
#include "outputs/common/tcp_client.hpp"

namespace sluice::forward_out {

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using forward_handshake::Helo;

// The server's answers are small (HELO, PONG, acks); more than this unread
// is not the Forward protocol.
constexpr size_t kMaxAnswerBytes = 64 * 1024;

enum class Phase { Connecting, Helo, Pong, Ready };

// One connection (outputs/common/tcp_client) and where it is in the protocol.
struct Connection : net::Stream {
  explicit Connection(asio::io_context& io) : net::Stream(io) {}
  Phase phase = Phase::Connecting;
  Helo helo;
  std::string salt;
  std::string ping;      // kept alive while it is written
  std::string received;  // bytes of the server's next answer(s)
};
using ConnectionPtr = std::shared_ptr<Connection>;

std::shared_ptr<net::TlsClient> tls_client(const Settings& s, std::string& error) {
  if (!s.server.tls.enabled) return nullptr;
  return net::make_tls_client(s.server.tls, error);
}

class TcpClient final : public Client {
 public:
  TcpClient(asio::io_context& io, const Settings& s, const Counters& c)
      : io_(io), s_(s), counters_(c), tls_(tls_client(s, tls_error_)),
        dialer_(io, s.server.host, s.server.port, tls_, s.unix_path) {}

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
    if (conn_ && (conn_->peer_closed || conn_->peer_gone())) drop();
    if (conn_) return write();
    connect();
  }

  void connect() {
    if (s_.server.tls.enabled && !tls_) return finish("TLS setup failed: " + tls_error_);
    auto conn = std::make_shared<Connection>(io_);
    conn_ = conn;
    dialer_.connect(conn, s_.server.connect_timeout, [this, conn](const std::string& error) {
      if (conn != conn_) return finish("output stopped");
      if (!error.empty()) {
        drop();
        return finish(error);
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
      conn->phase = Phase::Helo;
      dialer_.arm(s_.server.connect_timeout, conn);  // again, for the shared-key handshake
      return;
    }
    ready(conn);
  }

  void ready(const ConnectionPtr& conn) {
    dialer_.cancel();
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
          return failed(dialer_.timed_out() ? "write to " + where() : "the server at " + where() + " closed the connection",
                        ec);
        }
        conn->received.append(conn->scratch.data(), n);
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
    dialer_.arm(s_.server.request_timeout, conn);
    conn->with_stream([&](auto& stream) {
      asio::async_write(stream, buffers, [this, conn](const error_code& ec, size_t) {
        if (conn != conn_) return;
        if (ec) return failed("write to " + where() + " failed", ec);
        Job& job = queue_.front();
        job.written = true;
        if (!s_.require_ack) {
          dialer_.cancel();
          return finish("");
        }
        // Every ack may have come before the write's completion was handled.
        if (job.unacked == 0) finish_acked();
      });
    });
  }

  void finish_acked() {
    dialer_.cancel();
    finish("");
  }

  // Closes the connection after an error; the job in progress is retried.
  void failed(std::string what, const error_code& ec) {
    if (dialer_.timed_out()) {
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
      what += ": " + dialer_.reason(ec);
    }
    drop();
    finish(what);
  }

  void drop() {
    dialer_.cancel();
    if (conn_) conn_->close();
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

  std::string where() const { return dialer_.where(); }

  asio::io_context& io_;
  const Settings& s_;
  Counters counters_;
  std::string tls_error_;
  std::shared_ptr<net::TlsClient> tls_;
  net::Dialer dialer_;
  ConnectionPtr conn_;
  std::deque<Job> queue_;
  bool busy_ = false;
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<Client> make_client(asio::io_context& io, const Settings& s, const Counters& c) {
  return std::make_unique<TcpClient>(io, s, c);
}

}  // namespace sluice::forward_out
