// GELF over TCP/TLS: NUL-framed batch writes on one long-lived connection
// (outputs/common/tcp_client), reconnecting after errors. See gelf_tcp.hpp.
#include "outputs/gelf/gelf_tcp.hpp"

#include <deque>

#include "agent/log.hpp"
#include "outputs/common/tcp_client.hpp"

namespace sluice::gelf {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

struct TlsContext {
  std::shared_ptr<net::TlsClient> client;
};

std::shared_ptr<TlsContext> make_tls_context(const http::TlsSettings& tls) {
  auto t = std::make_shared<TlsContext>();
  std::string error;
  t->client = net::make_tls_client(tls, error);
  if (!t->client) {
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

// Runs on the output's worker thread. Keeps one connection; a batch is one
// write of every message with its NUL terminator. GELF TCP has no
// acknowledgement, so a completed write is delivery; a failed one closes the
// connection and the batch is retried on a new one (it may repeat what the
// server already read: at-least-once). A read kept pending on the idle
// connection notices a server that hung up before the next batch is lost on it.
class TcpTransport final : public Transport {
 public:
  TcpTransport(asio::io_context& io, const Settings& s, const Counters& c, std::shared_ptr<TlsContext> tls)
      : io_(io), s_(s), counters_(c), tls_(std::move(tls)),
        dialer_(io, s.host, s.port, tls_ ? tls_->client : nullptr) {}

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
    if (conn_ && (conn_->peer_closed || conn_->peer_gone())) drop();
    if (conn_) return write();
    connect();
  }

  void connect() {
    auto conn = std::make_shared<net::Stream>(io_);
    conn_ = conn;
    dialer_.connect(conn, s_.connect_timeout, [this, conn](const std::string& error) {
      if (conn != conn_) return finish("output stopped");
      if (!error.empty()) {
        drop();
        return finish(error);
      }
      connected(conn);
    });
  }

  void connected(const net::StreamPtr& conn) {
    counters_.reconnects->add();
    log::debug("gelf: connected to {} ({})", dialer_.where(), tls_ ? "tls" : "tcp");
    watch(conn);
    write();
  }

  // Graylog never writes; a read completing means the server closed (or reset) the connection.
  void watch(const net::StreamPtr& conn) {
    conn->with_stream([&](auto& stream) {
      stream.async_read_some(asio::buffer(conn->scratch), [this, conn](const error_code& ec, size_t) {
        if (conn != conn_) return;
        if (!ec) return watch(conn);
        log::debug("gelf: {} closed the connection: {}", dialer_.where(), ec.message());
        conn->peer_closed = true;
        if (!busy_) drop();  // a write in progress completes first; the next batch reconnects
      });
    });
  }

  void write() {
    net::StreamPtr conn = conn_;
    const Messages& msgs = *queue_.front().msgs;
    dialer_.arm(s_.request_timeout, conn);
    conn->with_stream([&](auto& stream) {
      asio::async_write(stream, asio::buffer(msgs.text), [this, conn](const error_code& ec, size_t) {
        if (conn != conn_) return finish("output stopped");
        if (ec) {
          std::string what = "write to " + dialer_.where() + " failed: " + dialer_.reason(ec);
          drop();
          return finish(what);
        }
        dialer_.cancel();
        finish("");
      });
    });
  }

  void drop() {
    dialer_.cancel();
    if (conn_) conn_->close();
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

  asio::io_context& io_;
  const Settings& s_;
  Counters counters_;
  std::shared_ptr<TlsContext> tls_;
  net::Dialer dialer_;
  net::StreamPtr conn_;
  std::deque<Job> queue_;
  bool busy_ = false;
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<Transport> make_tcp_transport(asio::io_context& io, const Settings& s, const Counters& c,
                                              std::shared_ptr<TlsContext> tls) {
  return std::make_unique<TcpTransport>(io, s, c, std::move(tls));
}

}  // namespace sluice::gelf
