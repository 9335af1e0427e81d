// The built-in HTTP server on Boost.Beast; see status_server.hpp. The only
// file of the core that includes Beast (it is slow to compile).
#include "agent/status_server.hpp"

#include <atomic>
#include <list>
#include <map>
#include <optional>

#include "agent/asio.hpp"
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "agent/config/component_config.hpp"
#include "agent/json_writer.hpp"
#include "agent/log.hpp"

namespace sluice {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

// How long a handler may take to answer before the client gets a 503 (a
// reload that waits for outputs to drain fits well within it).
constexpr auto kAnswerTimeout = std::chrono::minutes(2);
// After an answer that closes the connection, what the client still sends is
// read and dropped for this long (so the kernel doesn't reset the connection
// before the client read the answer, e.g. a 413 sent while it was uploading).
constexpr auto kLingerTime = std::chrono::seconds(1);
constexpr size_t kLingerBytes = 256 * 1024;
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);

StatusResponse json_error(int status, std::string_view message) {
  StatusResponse r;
  r.status = status;
  json::Writer(r.body).begin_object().field("error", message).end_object();
  r.body += '\n';
  return r;
}

class Session;

}  // namespace

struct StatusServer::Impl : std::enable_shared_from_this<StatusServer::Impl> {
  Impl(asio::io_context& io, StatusServerLimits l) : io(io), limits(l), acceptor(io), retry_timer(io) {}

  void accept();

  struct Route {
    std::string method;
    StatusHandler handler;
  };
  // The handler of method + path, or the answer for a request no route takes.
  const StatusHandler* find(const std::string& method, const std::string& path, StatusResponse& refusal) const {
    auto it = table.find(path);
    if (it == table.end()) {
      refusal = json_error(404, "not found");
      return nullptr;
    }
    std::string allow;
    for (const Route& r : it->second) {
      if (r.method == method) return &r.handler;
      allow += (allow.empty() ? "" : ", ") + r.method;
      if (r.method == "GET") allow += ", HEAD";
    }
    if (method == "HEAD")
      for (const Route& r : it->second)
        if (r.method == "GET") return &r.handler;
    refusal = json_error(405, "method " + method + " not allowed; allowed: " + allow);
    refusal.headers.emplace_back("Allow", allow);
    return nullptr;
  }

  asio::io_context& io;
  StatusServerLimits limits;
  tcp::acceptor acceptor;
  asio::steady_timer retry_timer;
  std::map<std::string, std::vector<Route>> table;  // path → its methods
  std::vector<std::string> names;                   // "GET /path", in order added
  std::list<std::weak_ptr<Session>> sessions;
  bool accepting = false;
  std::atomic<bool> stopped{false};  // read by replies on any thread
};

namespace {

// What the copies of one StatusReply share. The answer is posted to the
// io_context, where the session takes it if its request `seq` still waits
// (not answered by the timeout, the connection still open).
struct ReplyState {
  std::weak_ptr<StatusServer::Impl> server;
  std::weak_ptr<Session> session;
  uint64_t seq = 0;
  std::atomic<bool> called{false};

  void deliver(StatusResponse r) {
    if (!called.exchange(true)) post(std::move(r));
  }
  ~ReplyState() {
    if (!called) post(json_error(500, "the handler gave no answer"));
  }
  void post(StatusResponse r);
};

// One connection. Runs on the server's io_context; every read and write has
// a deadline (tcp_stream's expiry), and an answer that doesn't come within
// kAnswerTimeout is replaced by a 503.
class Session final : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<StatusServer::Impl> server, tcp::socket socket)
      : server_(std::move(server)), stream_(std::move(socket)), answer_timer_(server_->io) {}
  ~Session() {
    server_->sessions.erase(self_in_list_);
    server_->accept();  // in case max_connections had stopped it
  }

  void run(std::list<std::weak_ptr<Session>>::iterator self_in_list) {
    self_in_list_ = self_in_list;
    read_request();
  }

  void close() {
    answer_timer_.cancel();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  // On the io_context: the answer to request `seq`, if that request still
  // waits for one.
  void answer(uint64_t seq, StatusResponse r) {
    if (seq != waiting_ || server_->stopped) return;
    waiting_ = 0;
    answer_timer_.cancel();
    write(std::move(r), !keep_alive_);
  }

 private:
  const StatusServerLimits& limits() const { return server_->limits; }

  void read_request() {
    if (server_->stopped) return close();
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(limits().max_header));
    parser_->body_limit(limits().max_body);
    stream_.expires_after(limits().read_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, size_t) { self->on_request(ec); });
  }

  // Keep-alive: waits up to idle_timeout for the next request's first bytes,
  // then gives the whole request read_timeout.
  void wait_next() {
    if (buffer_.size() > 0) return read_request();  // pipelined: already here
    stream_.expires_after(limits().idle_timeout);
    stream_.async_read_some(buffer_.prepare(1024), [self = shared_from_this()](beast::error_code ec, size_t n) {
      if (ec) return self->close();
      self->buffer_.commit(n);
      self->read_request();
    });
  }

  void on_request(beast::error_code ec) {
    if (server_->stopped) return close();
    if (ec) return on_read_error(ec);
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    StatusRequest r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    size_t q = r.target.find('?');
    r.path = r.target.substr(0, q);
    if (q != std::string::npos) r.query = r.target.substr(q + 1);
    r.body = std::move(req.body());
    parser_.reset();
    head_only_ = r.method == "HEAD";

    StatusResponse refusal;
    const StatusHandler* handler = server_->find(r.method, r.path, refusal);
    if (handler == nullptr) return write(std::move(refusal), !keep_alive_);
    auto state = std::make_shared<ReplyState>();
    state->server = server_;
    state->session = shared_from_this();
    state->seq = waiting_ = ++requests_;
    // Answers always arrive through the io_context, so the timer is armed
    // before any can.
    answer_timer_.expires_after(kAnswerTimeout);
    answer_timer_.async_wait([self = shared_from_this(), seq = state->seq, path = r.path](beast::error_code e) {
      if (e || seq != self->waiting_) return;
      log::warn("status server: {} gave no answer within {} s", path,
                std::chrono::duration_cast<std::chrono::seconds>(kAnswerTimeout).count());
      self->answer(seq, json_error(503, "no answer in time"));
    });
    // A copy: the handler may change the route table (a reload re-registering routes).
    StatusHandler run = *handler;
    run(r, [state = std::move(state)](StatusResponse resp) { state->deliver(std::move(resp)); });
  }

  // Expected ends (the client closed, a timeout, shutdown) close quietly; a
  // malformed or oversized request gets an answer first.
  void on_read_error(beast::error_code ec) {
    if (ec == bhttp::error::body_limit)
      return write(json_error(413, "body larger than " + std::to_string(limits().max_body) + " bytes"), true);
    if (ec == bhttp::error::header_limit)
      return write(json_error(431, "request header larger than " + std::to_string(limits().max_header) + " bytes"),
                   true);
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec.category() == asio::error::get_system_category() ||
        ec.category() == asio::error::get_misc_category())
      return close();
    write(json_error(400, "malformed HTTP request: " + ec.message()), true);
  }

  void write(StatusResponse r, bool close_after) {
    response_ = {};
    response_.version(11);
    response_.result(static_cast<unsigned>(r.status));
    response_.set(bhttp::field::server, "sluice");
    response_.set(bhttp::field::content_type, r.content_type);
    response_.set(bhttp::field::cache_control, "no-store");
    for (auto& [name, value] : r.headers) response_.set(name, value);
    response_.keep_alive(!close_after);
    response_.body() = std::move(r.body);
    response_.prepare_payload();
    if (head_only_) response_.body().clear();  // Content-Length stays that of the GET answer
    head_only_ = false;
    stream_.expires_after(limits().write_timeout);
    bhttp::async_write(stream_, response_, [self = shared_from_this(), close_after](beast::error_code ec, size_t) {
      self->response_ = {};
      if (ec) return self->close();
      if (close_after) return self->linger();
      self->wait_next();
    });
  }

  // Half-closes, then reads and drops what the client still sends, briefly.
  void linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTime);
    drop_rest();
  }
  void drop_rest() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, size_t n) {
      self->lingered_ += n;
      if (ec || self->lingered_ > kLingerBytes) return self->close();
      self->drop_rest();
    });
  }

  std::shared_ptr<StatusServer::Impl> server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> response_;
  asio::steady_timer answer_timer_;
  uint64_t requests_ = 0;  // requests handed to handlers on this connection
  uint64_t waiting_ = 0;   // the one whose answer is awaited; 0: none
  bool keep_alive_ = false;
  bool head_only_ = false;
  size_t lingered_ = 0;
  std::list<std::weak_ptr<Session>>::iterator self_in_list_;
};

// Any thread.
void ReplyState::post(StatusResponse r) {
  auto s = server.lock();
  if (!s || s->stopped) return;
  asio::post(s->io, [session = session, seq = seq, r = std::move(r)]() mutable {
    if (auto live = session.lock()) live->answer(seq, std::move(r));
  });
}

}  // namespace

void StatusServer::Impl::accept() {
  if (stopped || accepting || sessions.size() >= limits.max_connections) return;
  accepting = true;
  acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    self->accepting = false;
    if (self->stopped) return;
    if (ec) {
      // EMFILE and the like: try again a little later rather than spin.
      self->retry_timer.expires_after(kAcceptRetry);
      self->retry_timer.async_wait([self](beast::error_code e) {
        if (!e) self->accept();
      });
      return;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto session = std::make_shared<Session>(self, std::move(socket));
    self->sessions.push_front(session);
    session->run(self->sessions.begin());
    self->accept();
  });
}

StatusServer::StatusServer(asio::io_context& io, const std::string& address, uint16_t port, StatusServerLimits limits)
    : impl_(std::make_shared<Impl>(io, limits)) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(address, ec);
  if (ec) throw config::ConfigError("service.http_listen: not an IP address: '" + address + "'");
  tcp::endpoint ep(addr, port);
  auto& acc = impl_->acceptor;
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw config::ConfigError("service.http_server: cannot listen on " + address + ":" + std::to_string(port) + ": " +
                              ec.message());
}

StatusServer::~StatusServer() { stop(); }

void StatusServer::route(const std::string& method, const std::string& path, StatusHandler handler) {
  auto& methods = impl_->table[path];
  for (auto& r : methods) {
    if (r.method == method) {
      r.handler = std::move(handler);
      return;
    }
  }
  methods.push_back({method, std::move(handler)});
  impl_->names.push_back(method + " " + path);
}

std::vector<std::string> StatusServer::routes() const { return impl_->names; }

void StatusServer::start() {
  log::info("HTTP server listening on {}:{}", impl_->acceptor.local_endpoint().address().to_string(), port());
  impl_->accept();
}

void StatusServer::stop() {
  if (impl_->stopped.exchange(true)) return;
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
  impl_->retry_timer.cancel();
  // Locked first: a session that ends while we iterate erases itself from the list.
  std::vector<std::shared_ptr<Session>> open;
  for (auto& weak : impl_->sessions)
    if (auto s = weak.lock()) open.push_back(std::move(s));
  for (auto& s : open) s->close();
}

uint16_t StatusServer::port() const {
  boost::system::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

size_t StatusServer::connections() const { return impl_->sessions.size(); }

}  // namespace sluice
