// The `forward` input; see forward_input.hpp. A server (the listening
// socket, the shared read buffer, the pause timer, the TLS context) and its
// connections, all on the main io_context.
#include "inputs/forward/forward_input.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <deque>
#include <functional>
#include <optional>
#include <unordered_map>

#include "agent/asio.hpp"
#include <boost/asio/ssl.hpp>

#include "agent/config/config_path.hpp"
#include "agent/config/net_keys.hpp"
#include "agent/config/tls_server_keys.hpp"
#include "agent/forward_handshake.hpp"
#include "agent/host_name.hpp"
#include "agent/log.hpp"
#include "agent/msgpack_reader.hpp"
#include "agent/record.hpp"
#include "agent/tls_server_context.hpp"
#include "agent/unix_socket_file.hpp"
#include "inputs/forward/forward_protocol.hpp"

namespace sluice {

namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
using boost::system::error_code;
// TCP or a unix socket: one acceptor and socket type for both.
using stream = asio::generic::stream_protocol;
using config::KeyType;

constexpr int kReadsPerWakeup = 4;
constexpr int kDrainReads = 64;  // at shutdown, per connection
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);
constexpr auto kPausedRecheck = std::chrono::milliseconds(5);
constexpr size_t kCompactAfter = 64 * 1024;  // consumed bytes dropped from a connection's buffer past this
// A TLS connection reads through a buffer of its own of this size (a TLS
// record's most), and must finish its handshake within kHandshakeTimeout.
constexpr size_t kTlsReadBuffer = 16 * 1024;
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);

struct Settings {
  std::string listen = "0.0.0.0";
  uint16_t port = 24224;
  std::string unix_path;  // listen on this unix socket instead of TCP
  unsigned unix_perm = 0644;
  size_t buffer_chunk_size = 1024000;  // one read
  size_t buffer_max_size = 6144000;    // the largest message, and a gzipped one once inflated
  std::string tag;                     // replaces every message's tag
  std::string tag_prefix;              // put before every message's tag
  // The shared-key handshake: with secure, every connection must prove the
  // key (and, with users, a user's password) before its messages are read.
  bool secure = false;
  std::string shared_key;
  std::string self_hostname;
  std::vector<std::pair<std::string, std::string>> users;  // name, password
  TlsServerSettings tls;
  config::Mark mark;
};

struct ForwardMetrics {
  Counter* bytes_read;
  Counter* invalid;
  Counter* connections;
  Counter* connections_total;
  Counter* refused;
  Counter* tls_failures;
};

log::RateLimit g_invalid_log(100);
log::RateLimit g_accept_log(100);

class Connection;

// Main thread. Held by shared_ptr from every connection and pending handler,
// so a handler that runs after stop() finds stopped() instead of freed memory.
class Server : public std::enable_shared_from_this<Server> {
 public:
  Server(Settings s, InputContext& ctx)
      : settings_(std::move(s)),
        ctx_(ctx),
        acceptor_(ctx.io()),
        retry_(ctx.io()),
        pause_timer_(ctx.io()),
        read_buffer_(settings_.buffer_chunk_size) {
    auto c = [&](const char* name, const char* help, bool gauge = false) {
      return &ctx.metrics().counter(name, "input", ctx.instance(), gauge, help);
    };
    metrics_ = {c("sluice_input_bytes_read_total", "Bytes the input read."),
                c("sluice_input_invalid_messages_total",
                  "Forward messages that were not MessagePack or not the protocol's shape (dropped)."),
                c("sluice_input_connections", "Open connections.", true),
                c("sluice_input_connections_total", "Connections accepted."),
                c("sluice_input_forward_handshakes_refused_total",
                  "Connections refused in the shared-key handshake (wrong key, user or password)."),
                c("sluice_input_tls_handshake_failures_total",
                  "TLS handshakes that failed or did not finish within 10 s.")};
  }

  void listen();
  void stop();

  const Settings& settings() const { return settings_; }
  // With tls: on, the context every connection's TLS stream uses.
  ssl::context* tls() { return tls_.get(); }
  void set_tls(std::shared_ptr<ssl::context> tls) { tls_ = std::move(tls); }
  InputContext& ctx() { return ctx_; }
  ForwardMetrics& metrics() { return metrics_; }
  bool stopped() const { return stopped_; }
  bool paused() const { return ctx_.paused(); }
  std::vector<char>& read_buffer() { return read_buffer_; }
  void when_unpaused(std::function<void()> resume);
  uint64_t track(std::shared_ptr<Connection> c);
  void untrack(uint64_t id);

 private:
  void accept();
  void arm_pause_timer();

  Settings settings_;
  InputContext& ctx_;
  std::shared_ptr<ssl::context> tls_;
  ForwardMetrics metrics_{};
  asio::basic_socket_acceptor<stream> acceptor_;
  stream::endpoint peer_;
  asio::steady_timer retry_;
  asio::steady_timer pause_timer_;
  bool pause_timer_armed_ = false;
  std::vector<std::function<void()>> waiters_;
  std::vector<char> read_buffer_;  // shared: connections read into it only when ready, one at a time
  std::unordered_map<uint64_t, std::shared_ptr<Connection>> connections_;
  uint64_t next_id_ = 0;
  bool stopped_ = false;
};

// One sender. Reads without blocking into the server's buffer, keeps the
// bytes of a message that hasn't all arrived, and turns each whole message
// into a chunk under its tag. Messages read together with one tag and no
// ack asked travel in one chunk. A chunk the input's buffer refuses is held,
// and nothing more is read until it is taken. Over TLS, after the handshake,
// it reads asynchronously through a buffer of its own instead (OpenSSL may
// hold decrypted bytes the socket can't signal).
class Connection final : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<Server> server, stream::socket socket, std::string source)
      : server_(std::move(server)),
        socket_(std::move(socket)),
        source_(std::move(source)),
        handshake_timer_(server_->ctx().io()) {}

  void start() {
    id_ = server_->track(shared_from_this());
    // Acks are small writes that follow each other: without this, Nagle holds
    // the second until the sender's delayed ACK (40 ms) releases the first.
    // (A unix socket has no Nagle: the error is ignored.)
    error_code no_delay;
    socket_.set_option(tcp::no_delay(true), no_delay);
    if (ssl::context* tls = server_->tls()) {
      tls_ = std::make_unique<ssl::stream<stream::socket>>(std::move(socket_), *tls);
      handshake_timer_.expires_after(kHandshakeTimeout);
      handshake_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
        if (ec || self->handshaken_) return;
        self->handshake_timed_out_ = true;
        self->close();
      });
      tls_->async_handshake(ssl::stream_base::server,
                            [self = shared_from_this()](const error_code& ec) { self->on_handshake(ec); });
      return;
    }
    error_code ec;
    socket_.non_blocking(true, ec);
    if (ec) return end();
    begin();
  }

  // Shutdown: what the kernel already holds (bytes TCP acknowledged to the
  // sender) is read and taken; then the socket closes. A TLS connection's
  // read in flight owns its stream: what it has read was taken already.
  void drain() {
    if (closed_) return;
    if (tls_) {
      process();
      if (open_ && !held_) offer_open();
      return;
    }
    std::vector<char>& buf = server_->read_buffer();
    for (int i = 0; i < kDrainReads && !held_; ++i) {
      error_code ec;
      size_t n = socket_.read_some(asio::buffer(buf), ec);
      if (n > 0) take(buf.data(), n);
      if (ec == asio::error::interrupted) continue;
      if (ec || n == 0) break;
    }
    process();
    if (open_ && !held_) offer_open();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    handshake_timer_.cancel();
    error_code ignored;
    lowest().close(ignored);
  }

 private:
  stream::socket& lowest() { return tls_ ? tls_->next_layer() : socket_; }

  // The connection is ready for messages (over TLS, once the handshake is
  // done): a server with a shared key greets it first.
  void begin() {
    const Settings& s = server_->settings();
    if (s.secure) {
      helo_.nonce = forward_handshake::random_bytes(16);
      if (!s.users.empty()) helo_.auth = forward_handshake::random_bytes(16);
      send(forward_handshake::helo(helo_));
    }
    read_more();
  }

  void on_handshake(const error_code& ec) {
    log::Scope scope(server_->ctx().log_level());
    handshaken_ = true;
    handshake_timer_.cancel();
    if (server_->stopped()) return;
    if (ec || closed_) {
      server_->metrics().tls_failures->add();
      if (uint64_t n = g_invalid_log.hit())
        log::warn("input {}: TLS handshake with {} failed: {} ({} so far)", server_->ctx().instance(), source_,
                  handshake_timed_out_ ? "not completed within 10 s" : ec.message(), n);
      close();
      return server_->untrack(id_);
    }
    begin();
  }

  void read_more() {
    if (tls_) tls_read();
    else on_readable({});
  }

  void tls_read() {
    if (closed_ || server_->stopped() || tls_reading_) return;
    if (server_->paused()) return resume_later();  // TCP pushes back on the sender meanwhile
    if (!tls_buffer_) tls_buffer_ = std::make_unique<char[]>(kTlsReadBuffer);
    tls_reading_ = true;
    tls_->async_read_some(asio::buffer(tls_buffer_.get(), kTlsReadBuffer),
                          [self = shared_from_this()](const error_code& ec, size_t n) {
                            log::Scope scope(self->server_->ctx().log_level());
                            self->tls_reading_ = false;
                            if (self->closed_ || self->server_->stopped()) return;
                            if (n > 0) {
                              self->take(self->tls_buffer_.get(), n);
                              if (!self->process()) return;
                            }
                            // EOF, a close without close_notify or a reset:
                            // every whole message was taken.
                            if (ec) return self->end();
                            self->tls_read();
                          });
  }
  void wait() {
    socket_.async_wait(stream::socket::wait_read,
                       [self = shared_from_this()](const error_code& ec) { self->on_readable(ec); });
  }

  void on_readable(const error_code& ec) {
    log::Scope scope(server_->ctx().log_level());
    if (closed_ || server_->stopped()) return;
    if (ec) return end();
    if (!process()) return;  // a chunk is held, or the connection was closed
    if (server_->paused()) return resume_later();
    std::vector<char>& buf = server_->read_buffer();
    for (int i = 0; i < kReadsPerWakeup; ++i) {
      error_code rec;
      size_t n = socket_.read_some(asio::buffer(buf), rec);
      if (n > 0) {
        take(buf.data(), n);
        if (!process()) return;
      }
      if (closed_ || server_->stopped()) return;
      if (rec == asio::error::would_block || rec == asio::error::try_again) return wait();
      if (rec == asio::error::interrupted) continue;
      if (rec) return end();  // EOF or reset: every whole message was taken
      if (server_->paused()) return resume_later();
      if (n < buf.size()) return wait();
    }
    // Other connections get their turn first.
    asio::post(server_->ctx().io(), [self = shared_from_this()] { self->on_readable({}); });
  }

  void resume_later() {
    server_->when_unpaused([self = shared_from_this()] { self->read_more(); });
  }

  void take(const char* data, size_t n) {
    server_->metrics().bytes_read->add(n);
    pending_.append(data, n);
  }

  // Turns every whole message in pending_ into records. False when reading
  // must stop: a chunk is held (resume_later is armed) or the connection
  // was closed (bytes that are not MessagePack, or a message too large).
  bool process() {
    if (held_) {
      if (!server_->ctx().offer(held_)) {
        resume_later();
        return false;
      }
      held_.reset();
      send_ack(std::exchange(held_ack_, {}));
    }
    const Settings& s = server_->settings();
    while (consumed_ < pending_.size()) {
      std::string_view rest(pending_.data() + consumed_, pending_.size() - consumed_);
      std::string error;
      int64_t size = msgpack::object_size(rest, &error);
      if (size == 0 && rest.size() <= s.buffer_max_size) break;  // the rest hasn't arrived yet
      if (size <= 0 || static_cast<size_t>(size) > s.buffer_max_size) {
        invalid(size < 0 ? error : "a message is larger than buffer_max_size (" + std::to_string(s.buffer_max_size) +
                                       " bytes); the connection is closed");
        if (open_) offer_open();
        end();
        return false;
      }
      std::string_view message = rest.substr(0, static_cast<size_t>(size));
      consumed_ += static_cast<size_t>(size);
      if (!authenticated_) {
        if (!authenticate(message)) return false;
        continue;
      }
      if (!decode(message)) return false;
    }
    if (consumed_ == pending_.size()) {
      pending_.clear();
      consumed_ = 0;
    } else if (consumed_ > kCompactAfter) {
      pending_.erase(0, consumed_);
      consumed_ = 0;
    }
    // What was read together goes on together.
    if (open_) return offer_open();
    return true;
  }

  // One message into the open chunk (or a new one, for another tag); offered
  // at once when its sender waits for an ack. False when a chunk is held.
  bool decode(std::string_view message) {
    const Settings& s = server_->settings();
    forward::DecodedMessage m;
    std::optional<std::string_view> message_tag = forward::message_tag(message);
    if (!message_tag) {
      Chunk scratch("", 256);
      invalid(forward::decode_message(message, scratch, m, s.buffer_max_size) + "; the message is dropped");
      return true;
    }
    std::string tag = !s.tag.empty() ? s.tag : s.tag_prefix + std::string(*message_tag);
    if (open_ && open_->tag != tag && !offer_open()) return false;
    if (!open_) open_ = std::make_unique<Chunk>(std::move(tag));
    // The events go straight into the open chunk; a message that turns out
    // broken takes its events back out (their bytes stay in the arena).
    size_t before = open_->events.size();
    std::string why = forward::decode_message(message, *open_, m, s.buffer_max_size);
    if (!why.empty()) {
      open_->events.resize(before);
      invalid(why + "; the message is dropped");
      // Acknowledged all the same: sent again, it would be refused again.
      if (std::string id = forward::chunk_option(message); !id.empty()) open_ack_ = std::move(id);
    } else if (!m.chunk_id.empty()) {
      open_ack_ = std::move(m.chunk_id);
    }
    if (open_ack_.empty()) return true;
    return offer_open();
  }

  bool offer_open() {
    ChunkPtr chunk = std::move(open_);
    open_.reset();
    std::string ack = std::exchange(open_ack_, {});
    if (chunk->events.empty()) {  // only broken messages: nothing to take
      send_ack(ack);
      return true;
    }
    if (!server_->ctx().offer(chunk)) {
      held_ = std::move(chunk);
      held_ack_ = std::move(ack);
      resume_later();
      return false;
    }
    send_ack(ack);
    return true;
  }

  // The first message of a connection to a server with a shared key: the
  // sender's PING. False when it was refused (the connection closes once
  // the PONG saying why is written).
  bool authenticate(std::string_view message) {
    const Settings& s = server_->settings();
    forward_handshake::Ping ping;
    std::string why = forward_handshake::read_ping(message, ping);
    if (why.empty() && !forward_handshake::proves_key(ping, helo_.nonce, s.shared_key)) why = "shared_key mismatch";
    if (why.empty() && !s.users.empty()) {
      bool known = false;
      for (const auto& [name, password] : s.users)
        if (name == ping.username && forward_handshake::proves_password(ping, helo_.auth, password)) known = true;
      if (!known) why = "username/password mismatch";
    }
    if (!why.empty()) {
      server_->metrics().refused->add();
      if (uint64_t n = g_invalid_log.hit())
        log::warn("input {}: from {}: handshake refused: {} ({} so far)", server_->ctx().instance(), source_, why, n);
      send(forward_handshake::pong_refused(why));
      close_after_writes_ = true;
      consumed_ = pending_.size();  // nothing after a refused PING is read
      return false;
    }
    authenticated_ = true;
    send(forward_handshake::pong_accepted(s.self_hostname, ping.salt, helo_.nonce, s.shared_key));
    return true;
  }

  void send_ack(const std::string& chunk_id) {
    if (chunk_id.empty()) return;
    send(forward::ack_for(chunk_id));
  }

  // Answers (HELO, PONG, acks) are written in order.
  void send(std::string answer) {
    if (closed_) return;
    answers_.push_back(std::move(answer));
    if (!writing_) write_next();
  }

  void write_next() {
    if (closed_) return;
    if (answers_.empty()) {
      if (close_after_writes_) end();
      return;
    }
    writing_ = true;
    auto written = [self = shared_from_this()](const error_code& ec, size_t /*n*/) {
      self->writing_ = false;
      self->answers_.pop_front();
      if (!ec) self->write_next();
    };
    if (tls_) asio::async_write(*tls_, asio::buffer(answers_.front()), std::move(written));
    else asio::async_write(socket_, asio::buffer(answers_.front()), std::move(written));
  }

  void invalid(const std::string& why) {
    server_->metrics().invalid->add();
    if (uint64_t n = g_invalid_log.hit())
      log::warn("input {}: from {}: {} ({} so far)", server_->ctx().instance(), source_, why, n);
  }

  void end() {
    if (!server_->stopped() && consumed_ < pending_.size())
      invalid("the connection closed in the middle of a message (" + std::to_string(pending_.size() - consumed_) +
              " bytes); those bytes are dropped");
    close();
    server_->untrack(id_);
  }

  std::shared_ptr<Server> server_;
  stream::socket socket_;  // plain; moved into tls_ with TLS
  std::string source_;
  asio::steady_timer handshake_timer_;  // TLS: the handshake's deadline
  std::unique_ptr<ssl::stream<stream::socket>> tls_;
  std::unique_ptr<char[]> tls_buffer_;
  bool tls_reading_ = false;
  bool handshaken_ = false;
  bool handshake_timed_out_ = false;
  uint64_t id_ = 0;
  std::string pending_;  // bytes read and not yet a whole message, from consumed_ on
  size_t consumed_ = 0;
  ChunkPtr open_;         // records read and not yet offered, all with one tag
  std::string open_ack_;  // the chunk id to ack once open_ is taken
  ChunkPtr held_;         // refused by the input's buffer; offered again before anything else
  std::string held_ack_;
  std::deque<std::string> answers_;  // HELO, PONG and acks being written, in order
  bool writing_ = false;
  bool closed_ = false;
  forward_handshake::Helo helo_;  // what this connection was greeted with (secure servers)
  bool authenticated_ = !server_->settings().secure;
  bool close_after_writes_ = false;  // a refused handshake: close once the PONG is written
};

void Server::listen() {
  const Settings& s = settings_;
  bool on_unix = !s.unix_path.empty();
  std::string where = on_unix ? "unix socket " + s.unix_path : "tcp " + s.listen + ":" + std::to_string(s.port);
  error_code ec;
  stream::endpoint ep;
  if (on_unix) {
    unix_socket::prepare(s.unix_path, "unix_path", s.mark);
    ep = stream::endpoint(asio::local::stream_protocol::endpoint(s.unix_path));
  } else {
    ep = stream::endpoint(tcp::endpoint(asio::ip::make_address(s.listen, ec), s.port));
  }
  if (!ec) acceptor_.open(ep.protocol(), ec);
  if (!ec && !on_unix) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && !on_unix) acceptor_.set_option(asio::socket_base::keep_alive(true), ec);  // accepted sockets inherit it
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw config::ConfigError(s.mark, "input forward: cannot listen on " + where + ": " + ec.message());
  if (on_unix) unix_socket::set_mode(s.unix_path, s.unix_perm, s.mark);
  log::info("input {}: listening for Forward messages on {}{}", ctx_.instance(), where, tls_ ? " (TLS)" : "");
  accept();
}

// "tcp://IP:PORT", or "unix://PATH" for a unix socket's (nameless) peer.
std::string source_of(const stream::endpoint& peer, const Settings& s) {
  if (peer.protocol().family() == AF_UNIX) return "unix://" + s.unix_path;
  tcp::endpoint ip;
  if (peer.size() > ip.capacity()) return "tcp://?";
  std::memcpy(ip.data(), peer.data(), peer.size());
  ip.resize(peer.size());
  return "tcp://" + ip.address().to_string() + ":" + std::to_string(ip.port());
}

void Server::accept() {
  acceptor_.async_accept(peer_, [self = shared_from_this()](const error_code& ec, stream::socket socket) {
    log::Scope scope(self->ctx_.log_level());
    if (self->stopped_) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      if (uint64_t n = g_accept_log.hit())
        log::warn("input {}: accepting a connection failed: {} ({} so far)", self->ctx_.instance(), ec.message(), n);
      self->retry_.expires_after(kAcceptRetry);
      self->retry_.async_wait([self](const error_code& e) {
        if (!e) self->accept();
      });
      return;
    }
    std::string source = source_of(self->peer_, self->settings_);
    std::make_shared<Connection>(self, std::move(socket), std::move(source))->start();
    self->accept();
  });
}

void Server::when_unpaused(std::function<void()> resume) {
  if (stopped_) return;
  waiters_.push_back(std::move(resume));
  arm_pause_timer();
}

void Server::arm_pause_timer() {
  if (pause_timer_armed_) return;
  pause_timer_armed_ = true;
  pause_timer_.expires_after(kPausedRecheck);
  pause_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    self->pause_timer_armed_ = false;
    if (ec || self->stopped_ || self->waiters_.empty()) return;
    if (self->paused()) return self->arm_pause_timer();
    auto ready = std::move(self->waiters_);
    self->waiters_.clear();
    for (auto& resume : ready) resume();
  });
}

uint64_t Server::track(std::shared_ptr<Connection> c) {
  uint64_t id = ++next_id_;
  connections_.emplace(id, std::move(c));
  metrics_.connections_total->add();
  metrics_.connections->set(connections_.size());
  return id;
}

void Server::untrack(uint64_t id) {
  connections_.erase(id);
  metrics_.connections->set(connections_.size());
}

void Server::stop() {
  if (stopped_) return;
  error_code ignored;
  acceptor_.close(ignored);
  if (!settings_.unix_path.empty()) ::unlink(settings_.unix_path.c_str());
  retry_.cancel();
  // Drain while not yet stopped, so that what is read is still taken. (A
  // copy: a connection whose bytes turn out broken untracks itself.)
  auto connections = connections_;
  for (auto& [id, c] : connections) c->drain();
  stopped_ = true;
  pause_timer_.cancel();
  waiters_.clear();
  for (auto& [id, c] : connections_) c->close();
  connections_.clear();
  metrics_.connections->set(0);
}

class ForwardInput final : public Input {
 public:
  ForwardInput(Settings settings, std::shared_ptr<ssl::context> tls)
      : settings_(std::move(settings)), tls_(std::move(tls)) {}
  ~ForwardInput() override { stop(); }

  void start(InputContext& ctx) override {
    server_ = std::make_shared<Server>(settings_, ctx);
    server_->set_tls(tls_);
    server_->listen();
  }
  void stop() override {
    if (server_) server_->stop();
    server_.reset();
  }

 private:
  Settings settings_;
  std::shared_ptr<ssl::context> tls_;  // with tls: on
  std::shared_ptr<Server> server_;
};

}  // namespace

const config::PluginSchema& forward_input_schema() {
  static const config::PluginSchema schema = [] {
    config::PluginSchema s{
        "forward",
        "Receives Fluentd's Forward protocol over TCP, optionally TLS (Fluent Bit's and Fluentd's forward outputs, "
        "Docker's fluentd "
        "log driver, the fluent-logger libraries): Message, Forward, PackedForward and gzip-compressed "
        "PackedForward, with acknowledgements when the sender asks for them.",
        {
            {"listen", KeyType::String, "0.0.0.0", "Address to listen on."},
            {"port", KeyType::Int, "24224", "TCP port."},
            {"buffer_chunk_size", KeyType::Size, "1024000", "Bytes read from a connection at once."},
            {"buffer_max_size", KeyType::Size, "6144000",
             "The largest message (and a gzipped one once inflated); a larger one closes its connection."},
            {"tag", KeyType::String, "", "Replaces the tag of every message (default: each message's own)."},
            {"tag_prefix", KeyType::String, "", "Put before the tag of every message."},
            {"shared_key", KeyType::String, "",
             "Require the shared-key handshake (HELO, PING, PONG) of every sender: a connection that doesn't prove "
             "this key is refused with the reason and closed.",
             false, true},
            {"empty_shared_key", KeyType::Bool, "off", "Require the handshake with an empty shared key."},
            {"self_hostname", KeyType::String, "",
             "The host name sent in the handshake's PONG (default: this machine's host name)."},
            {"security.users", KeyType::Multi, "",
             "\"user password\": with shared_key, the sender must also give one of these users and its password; "
             "repeat the key for more.",
             false, true},
            {"unix_path", KeyType::String, "",
             "Listen on this unix socket instead of TCP (listen and port are then not used): a socket file is "
             "created there, a stale one from an earlier run replaced, any other file refused. Relative to the "
             "config file's directory."},
            {"unix_perm", KeyType::String, "0644", "Permissions of the unix_path socket file, in octal."},
        }};
    for (auto& k : config::tls_server_keys("Forward over TLS 1.2 or later (a sender's `tls on`), with tls.crt_file and "
                                           "tls.key_file; TCP only."))
      s.keys.push_back(std::move(k));
    return s;
  }();
  return schema;
}

namespace {

void read_security(const config::ComponentConfig& cfg, Settings& s) {
  s.shared_key = cfg.get_string("shared_key");
  s.secure = !s.shared_key.empty() || cfg.get_bool("empty_shared_key");
  for (const std::string& entry : cfg.get_list("security.users")) {
    std::optional<config::NameValue> user = config::split_name_value(entry);
    if (!user) cfg.fail("security.users", "expects \"user password\" (a user name, a space, its password)");
    s.users.emplace_back(std::move(user->name), std::move(user->value));
  }
  if (!s.secure) {
    for (const char* key : {"security.users", "self_hostname"})
      if (cfg.has(key)) cfg.fail(key, "goes with the shared-key handshake: set shared_key (or empty_shared_key: on)");
  }
  s.self_hostname = cfg.has("self_hostname") ? cfg.get_string("self_hostname") : host_name();
}

}  // namespace

std::unique_ptr<Input> make_forward_input(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  Settings s;
  s.mark = cfg.mark();
  s.listen = config::read_listen_address(cfg);
  s.port = config::read_port(cfg);
  s.buffer_chunk_size = cfg.get_size("buffer_chunk_size");
  if (s.buffer_chunk_size == 0) cfg.fail("buffer_chunk_size", "must be above 0");
  s.buffer_max_size = cfg.get_size("buffer_max_size");
  if (s.buffer_max_size == 0) cfg.fail("buffer_max_size", "must be above 0");
  s.tag = cfg.get_string("tag");
  s.tag_prefix = cfg.get_string("tag_prefix");
  read_security(cfg, s);
  s.unix_path = cfg.get_string("unix_path");
  s.unix_path = config::path_from_config_dir(ctx.base_dir, s.unix_path);
  std::string perm = cfg.get_string("unix_perm");
  std::optional<unsigned> mode = unix_socket::parse_mode(perm);
  if (!mode) cfg.fail("unix_perm", "expected an octal file mode such as 0644 or 0660, got '" + perm + "'");
  if (cfg.has("unix_perm") && s.unix_path.empty()) cfg.fail("unix_perm", "goes with unix_path");
  s.unix_perm = *mode;
  if (!s.unix_path.empty()) s.mark = cfg.mark_of("unix_path");
  if (cfg.get_bool("tls") && !s.unix_path.empty())
    cfg.fail("tls", "is for TCP; this input listens on the unix socket unix_path");
  s.tls = config::read_tls_server_settings(cfg, ctx.base_dir);
  std::shared_ptr<ssl::context> tls;
  if (s.tls.enabled) {
    std::string key, error;
    tls = make_tls_server_context(s.tls, key, error);
    if (!tls) cfg.fail(key, "TLS: " + error);
  }
  return std::make_unique<ForwardInput>(std::move(s), std::move(tls));
}

}  // namespace sluice
