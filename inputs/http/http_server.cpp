// The http inputs' server on Beast (HTTP/1.1) and Http2Connection (HTTP/2);
// see http_server.hpp. The only file of the inputs that includes Beast (it is
// slow to compile).
#include "inputs/http/http_server.hpp"

#include <algorithm>
#include <deque>
#include <functional>
#include <list>
#include <stdexcept>

#include "agent/asio.hpp"
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "agent/ascii_case.hpp"
#include "agent/json_writer.hpp"
#include "inputs/http/http2_connection.hpp"

namespace sluice {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Request = bhttp::request<bhttp::string_body>;

// Reads go through a buffer of this size while a body arrives (Beast reads
// as much as the buffer has room for: a small buffer means many syscalls),
// of kHeadBuffer while waiting for a request's head; it is freed between
// requests. It must hold a whole header (kRequestHeaderLimit).
constexpr size_t kReadBufferLimit = 64 * 1024;
constexpr size_t kHeadBuffer = 4 * 1024;
// Bodies being received at once may hold this much memory (or one
// max_body_size, if larger); further requests wait their turn with their
// bytes still in the kernel's socket buffers, where TCP pushes back on the
// senders. 100 clients posting 200 KB batches then cost 4 MB, not 20.
constexpr uint64_t kBodyBudget = 4 * 1024 * 1024;
// A refused request's body is read and dropped (keeping the connection) up
// to this size; a larger one closes the connection instead.
constexpr uint64_t kDiscardLimit = 64 * 1024;
// After answering and closing our side, what a client still sends is read
// and dropped (so the kernel doesn't reset the connection before the client
// read the answer), up to this much and this long.
constexpr size_t kLingerBytes = 1024 * 1024;
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);
// An HTTP/2 connection reads into a buffer of this size.
constexpr size_t kHttp2ReadBuffer = 16 * 1024;

std::string_view view(beast::string_view s) { return {s.data(), s.size()}; }

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void close() = 0;
};

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl>, BodyBudget {
  Impl(asio::io_context& io, HttpServerSettings s, RequestHandler& h)
      : io(io), settings(std::move(s)), handler(&h), acceptor(io), retry_timer(io) {}

  void accept();
  template <class Stream>
  void start_session(Stream stream, std::string remote);
  // Serves a connection that turned out to speak HTTP/2; first_bytes are
  // what was read of it already.
  template <class Stream>
  void start_http2(Stream stream, std::string remote, std::string_view first_bytes);

  // Runs go() once `bytes` of body may be received (at once, or later in
  // arrival order); release() gives them back.
  void admit(uint64_t bytes, std::function<void()> go) {
    if (waiting.empty() && fits(bytes)) {
      bodies_in_flight += bytes;
      return go();
    }
    waiting.emplace_back(bytes, std::move(go));
  }
  void release(uint64_t bytes) {
    bodies_in_flight -= bytes;
    while (!waiting.empty() && fits(waiting.front().first)) {
      auto [next, go] = std::move(waiting.front());
      waiting.pop_front();
      bodies_in_flight += next;
      asio::post(io, std::move(go));
    }
  }
  bool fits(uint64_t bytes) const {
    return bodies_in_flight == 0 || bodies_in_flight + bytes <= std::max(kBodyBudget, settings.max_body_size);
  }
  // HTTP/2 takes body bytes as they arrive, and refuses a stream instead of
  // waiting (its other streams share the connection): only when no HTTP/1.1
  // request is waiting and they fit.
  bool take(uint64_t bytes) override {
    if (!waiting.empty() || !fits(bytes)) return false;
    bodies_in_flight += bytes;
    return true;
  }
  void give_back(uint64_t bytes) override {
    if (bytes > 0) release(bytes);
  }

  asio::io_context& io;
  HttpServerSettings settings;
  RequestHandler* handler;  // nullptr once stopped
  std::optional<ssl::context> tls;
  tcp::acceptor acceptor;
  asio::steady_timer retry_timer;
  std::list<std::weak_ptr<SessionBase>> sessions;
  bool accepting = false;
  uint64_t bodies_in_flight = 0;
  std::deque<std::pair<uint64_t, std::function<void()>>> waiting;  // for admit()
};

namespace {

// One connection, plain (Stream = beast::tcp_stream) or TLS
// (beast::ssl_stream<beast::tcp_stream>). Runs on the server's io_context;
// every operation has a deadline (tcp_stream's expiry).
template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  Session(std::shared_ptr<HttpServer::Impl> server, Stream stream, std::string remote)
      : server_(std::move(server)), stream_(std::move(stream)), remote_(std::move(remote)), buffer_(kReadBufferLimit) {}
  ~Session() override {
    server_->release(admitted_);
    server_->sessions.erase(self_in_list_);
    server_->accept();  // in case max_connections had stopped it
  }

  void run(std::list<std::weak_ptr<SessionBase>>::iterator self_in_list) {
    self_in_list_ = self_in_list;
    if constexpr (kTls) {
      lowest().expires_after(settings().request_timeout);
      stream_.async_handshake(ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (ec) return self->close();
        if (self->alpn() == "h2") return self->server_->start_http2(std::move(self->stream_), self->remote_, {});
        self->read_head();
      });
    } else {
      sniff();
    }
  }

  void close() override {
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
  }

 private:
  const HttpServerSettings& settings() const { return server_->settings; }
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  // The protocol the TLS handshake chose ("h2", "http/1.1" or none).
  std::string_view alpn() {
    if constexpr (kTls) {
      const unsigned char* data = nullptr;
      unsigned int len = 0;
      SSL_get0_alpn_selected(stream_.native_handle(), &data, &len);
      return {reinterpret_cast<const char*>(data), len};
    }
    return {};
  }

  // Reads a connection's first bytes: the HTTP/2 preface (a client with
  // prior knowledge) goes to an HTTP/2 session (or is refused, with http2
  // off), anything else is read as an HTTP/1.1 request from the bytes
  // already in buffer_.
  void sniff() {
    if constexpr (!kTls) {
      lowest().expires_after(settings().idle_timeout);
      buffer_.reserve(kHeadBuffer);
      auto room = buffer_.prepare(kHeadBuffer - buffer_.size());
      stream_.async_read_some(room, [self = this->shared_from_this()](beast::error_code ec, size_t n) {
        if (ec) return self->close();
        self->buffer_.commit(n);
        std::string_view got(static_cast<const char*>(self->buffer_.data().data()), self->buffer_.size());
        size_t common = std::min(got.size(), kHttp2Preface.size());
        if (got.substr(0, common) != kHttp2Preface.substr(0, common)) return self->read_head();
        if (common < kHttp2Preface.size()) return self->sniff();
        if (!self->settings().http2)
          return self->refuse(505, "an HTTP/2 client (prior knowledge), but this input serves HTTP/1.1 only "
                                   "(http2: off)");
        self->server_->start_http2(std::move(self->stream_), self->remote_, got);
      });
    }
  }

  void read_head() {
    if (server_->handler == nullptr) return close();
    parser_.emplace();
    parser_->header_limit(kRequestHeaderLimit);
    parser_->body_limit(settings().max_body_size);
    refusal_.reset();
    buffer_.reserve(kHeadBuffer);
    lowest().expires_after(settings().idle_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = this->shared_from_this()](beast::error_code ec, size_t) { self->on_head(ec); });
  }

  void on_head(beast::error_code ec) {
    if (ec) return on_read_error(ec);
    if (server_->handler == nullptr) return close();
    const Request& req = parser_->get();
    const bool expect_continue = ascii_iequals(view(req[bhttp::field::expect]), "100-continue");
    refusal_ = server_->handler->check(head());
    if (refusal_) {
      auto length = parser_->content_length();
      bool small = !parser_->chunked() && length.value_or(0) <= kDiscardLimit;
      if (expect_continue || !small) return answer(std::move(*refusal_), true);
      return read_body();  // then answer refusal_, keeping the connection
    }
    uint64_t bytes = parser_->content_length().value_or(settings().max_body_size);
    server_->admit(bytes, [self = this->shared_from_this(), bytes, expect_continue] {
      self->admitted_ = bytes;
      if (self->server_->handler == nullptr) return self->close();
      if (!expect_continue) return self->read_body();
      self->continue_ = {bhttp::status::continue_, 11};
      self->lowest().expires_after(self->settings().request_timeout);
      bhttp::async_write(self->stream_, self->continue_, [self](beast::error_code ec, size_t) {
        if (ec) return self->close();
        self->read_body();
      });
    });
  }

  void read_body() {
    buffer_.reserve(kReadBufferLimit);
    lowest().expires_after(settings().request_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) { self->on_body(ec); });
  }

  void on_body(beast::error_code ec) {
    if (ec) return on_read_error(ec);
    if (server_->handler == nullptr) return close();
    HttpAnswer a = refusal_ ? std::move(*refusal_) : server_->handler->handle(head(), parser_->get().body());
    answer(std::move(a), !parser_->get().keep_alive());
  }

  // Expected ends (the client closed, a timeout, shutdown) close quietly; a
  // malformed or oversized request gets an answer first.
  void on_read_error(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      return refuse(413, "body larger than max_body_size (" + std::to_string(settings().max_body_size) + " bytes)");
    }
    if (ec == bhttp::error::header_limit) {
      return refuse(431, "request header larger than " + std::to_string(kRequestHeaderLimit) + " bytes");
    }
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec.category() == asio::error::get_system_category() ||
        ec.category() == asio::error::get_misc_category() || ec.category() == asio::error::get_ssl_category() ||
        ec.category() == ssl::error::get_stream_category()) {
      return close();
    }
    refuse(400, "malformed HTTP request: " + ec.message());
  }

  // Answers a request the server itself can't take, tells the handler, closes.
  void refuse(int status, const std::string& reason) {
    if (server_->handler != nullptr) server_->handler->refused(remote_, status, reason);
    answer(json_error(status, reason), true);
  }

  RequestHead head() const {
    const Request& req = parser_->get();
    RequestHead h;
    h.method = view(req.method_string());
    h.target = view(req.target());
    h.content_type = view(req[bhttp::field::content_type]);
    h.content_encoding = view(req[bhttp::field::content_encoding]);
    h.authorization = view(req[bhttp::field::authorization]);
    h.forwarded_for = view(req["X-Forwarded-For"]);
    h.grpc_encoding = view(req["grpc-encoding"]);
    h.remote = remote_;
    return h;
  }

  void answer(HttpAnswer a, bool close_after) {
    parser_.reset();  // the request's body is no longer needed
    server_->release(std::exchange(admitted_, 0));
    if (buffer_.size() == 0) buffer_.shrink_to_fit();  // an idle keep-alive connection holds no buffer
    response_ = {};
    response_.version(11);
    response_.result(static_cast<unsigned>(a.status));
    response_.set(bhttp::field::server, "sluice");
    for (auto& [name, value] : a.headers) response_.insert(name, value);
    if (!a.body.empty()) response_.set(bhttp::field::content_type, a.content_type);
    response_.body() = std::move(a.body);
    response_.keep_alive(!close_after);
    // RFC 9110 §8.6: no Content-Length in a 204.
    if (a.status != 204) response_.prepare_payload();
    lowest().expires_after(settings().request_timeout);
    bhttp::async_write(stream_, response_, [self = this->shared_from_this(), close_after](beast::error_code ec, size_t) {
      self->response_ = {};
      if (ec) return self->close();
      if (close_after) return self->shutdown();
      self->read_head();
    });
  }

  // Ends the connection after an answer: TLS close_notify, or (plain TCP) a
  // half-close followed by reading what the client still sends.
  void shutdown() {
    if constexpr (kTls) {
      lowest().expires_after(kLingerTime);
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->close(); });
    } else {
      beast::error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      lowest().expires_after(kLingerTime);
      linger();
    }
  }

  void linger() {
    buffer_.clear();
    lowest().async_read_some(buffer_.prepare(4096), [self = this->shared_from_this()](beast::error_code ec, size_t n) {
      self->lingered_ += n;
      if (ec || self->lingered_ > kLingerBytes) return self->close();
      self->linger();
    });
  }

  std::shared_ptr<HttpServer::Impl> server_;
  Stream stream_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<HttpAnswer> refusal_;
  bhttp::response<bhttp::empty_body> continue_;
  bhttp::response<bhttp::string_body> response_;
  size_t lingered_ = 0;
  uint64_t admitted_ = 0;  // body bytes admitted by the server's budget
  std::list<std::weak_ptr<SessionBase>>::iterator self_in_list_;
};

// One HTTP/2 connection: reads into the Http2Connection, writes what it
// gives back, in turn (its answers are made while it reads). The timeouts
// are HTTP/1.1's: idle_timeout while no stream is open, request_timeout
// while one is or an answer is being written.
template <class Stream>
class Http2Session final : public SessionBase, public std::enable_shared_from_this<Http2Session<Stream>> {
 public:
  Http2Session(std::shared_ptr<HttpServer::Impl> server, Stream stream, std::string remote)
      : server_(std::move(server)),
        stream_(std::move(stream)),
        h2_(server_->settings, *server_->handler, *server_, std::move(remote)) {}
  ~Http2Session() override {
    server_->sessions.erase(self_in_list_);
    server_->accept();
  }

  void run(std::list<std::weak_ptr<SessionBase>>::iterator self_in_list, std::string_view first_bytes) {
    self_in_list_ = self_in_list;
    if (!first_bytes.empty()) h2_.receive(first_bytes);
    write();
  }

  void close() override {
    h2_.stop();
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
  }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void write() {
    out_.clear();
    h2_.take_output(out_);
    if (out_.empty()) {
      if (h2_.finished()) return close();
      return read();
    }
    lowest().expires_after(server_->settings.request_timeout);
    asio::async_write(stream_, asio::buffer(out_), [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->close();
      self->write();
    });
  }

  void read() {
    if (!in_) in_ = std::make_unique<char[]>(kHttp2ReadBuffer);
    const auto& s = server_->settings;
    lowest().expires_after(h2_.open_streams() > 0 ? s.request_timeout : s.idle_timeout);
    stream_.async_read_some(asio::buffer(in_.get(), kHttp2ReadBuffer),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->close();
                              // A protocol error leaves a GOAWAY to write, after which the connection is finished.
                              self->h2_.receive({self->in_.get(), n});
                              self->write();
                            });
  }

  std::shared_ptr<HttpServer::Impl> server_;
  Stream stream_;
  Http2Connection h2_;
  std::unique_ptr<char[]> in_;
  std::string out_;
  std::list<std::weak_ptr<SessionBase>>::iterator self_in_list_;
};

}  // namespace

template <class Stream>
void HttpServer::Impl::start_http2(Stream stream, std::string remote, std::string_view first_bytes) {
  if (handler == nullptr) return;
  auto session = std::make_shared<Http2Session<Stream>>(shared_from_this(), std::move(stream), std::move(remote));
  sessions.push_front(session);
  session->run(sessions.begin(), first_bytes);
}

template <class Stream>
void HttpServer::Impl::start_session(Stream stream, std::string remote) {
  auto session = std::make_shared<Session<Stream>>(shared_from_this(), std::move(stream), std::move(remote));
  sessions.push_front(session);
  session->run(sessions.begin());
}

void HttpServer::Impl::accept() {
  if (handler == nullptr || accepting || sessions.size() >= settings.max_connections) return;
  accepting = true;
  acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    self->accepting = false;
    if (self->handler == nullptr) return;
    if (ec) {
      // EMFILE and the like: try again a little later rather than spin.
      self->retry_timer.expires_after(kAcceptRetry);
      self->retry_timer.async_wait([self](beast::error_code e) {
        if (!e) self->accept();
      });
      return;
    }
    beast::error_code ignored;
    auto ep = socket.remote_endpoint(ignored);
    std::string remote = ep.address().to_string() + ":" + std::to_string(ep.port());
    socket.set_option(tcp::no_delay(true), ignored);
    if (self->tls)
      self->start_session(beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *self->tls),
                          std::move(remote));
    else
      self->start_session(beast::tcp_stream(std::move(socket)), std::move(remote));
    self->accept();
  });
}

HttpAnswer json_error(int status, std::string_view message) {
  HttpAnswer a;
  a.status = status;
  a.body = "{\"error\":";
  json::append_string(a.body, message);
  a.body += "}\n";
  return a;
}

namespace {

void load_tls(ssl::context& ctx, const HttpServerSettings& s) {
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  beast::error_code ec;
  if (ctx.use_certificate_chain_file(s.crt_file, ec); ec)
    throw HttpServerError("tls.crt_file", "cannot load certificate '" + s.crt_file + "': " + ec.message());
  // OpenSSL also checks that the key belongs to the certificate.
  if (ctx.use_private_key_file(s.key_file, ssl::context::pem, ec); ec)
    throw HttpServerError("tls.key_file", "cannot use key '" + s.key_file + "': " + ec.message());
  if (!s.ca_file.empty() && s.verify_client) {
    if (ctx.load_verify_file(s.ca_file, ec); ec)
      throw HttpServerError("tls.ca_file", "cannot load CA '" + s.ca_file + "': " + ec.message());
    ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
}

}  // namespace

void check_tls_settings(const HttpServerSettings& settings) {
  if (!settings.tls) return;
  ssl::context ctx(ssl::context::tls_server);
  load_tls(ctx, settings);
}

namespace {

// ALPN (RFC 7301): h2 when the client offers it and http2 is on, else
// http/1.1; a client that offers neither goes on without ALPN (and HTTP/1.1).
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen,
                void* http2) {
  static constexpr unsigned char kBoth[] = "\x02h2\x08http/1.1";
  static constexpr unsigned char kHttp1[] = "\x08http/1.1";
  const bool h2 = *static_cast<const bool*>(http2);
  unsigned char* chosen = nullptr;
  int rc = SSL_select_next_proto(&chosen, outlen, h2 ? kBoth : kHttp1, h2 ? sizeof kBoth - 1 : sizeof kHttp1 - 1, in,
                                 inlen);
  if (rc != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_NOACK;
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

HttpServer::HttpServer(asio::io_context& io, HttpServerSettings settings, RequestHandler& handler)
    : impl_(std::make_shared<Impl>(io, std::move(settings), handler)) {
  if (impl_->settings.tls) {
    auto& tls = impl_->tls.emplace(ssl::context::tls_server);
    load_tls(tls, impl_->settings);
    SSL_CTX_set_alpn_select_cb(tls.native_handle(), select_alpn, &impl_->settings.http2);
  }
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  const auto& s = impl_->settings;
  beast::error_code ec;
  auto address = asio::ip::make_address(s.listen, ec);
  if (ec) throw HttpServerError("listen", "not an IP address: '" + s.listen + "'");
  tcp::endpoint ep(address, s.port);
  auto& acc = impl_->acceptor;
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw HttpServerError("port", "cannot listen on " + s.listen + ":" + std::to_string(s.port) + ": " + ec.message());
  impl_->accept();
}

void HttpServer::stop() {
  if (impl_->handler == nullptr) return;
  impl_->handler = nullptr;
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
  impl_->retry_timer.cancel();
  // Sessions waiting for body budget end with the queue.
  auto waiting = std::move(impl_->waiting);
  impl_->waiting.clear();
  waiting.clear();
  // Locked first: a session that ends while we iterate erases itself from the list.
  std::vector<std::shared_ptr<SessionBase>> open;
  for (auto& weak : impl_->sessions)
    if (auto s = weak.lock()) open.push_back(std::move(s));
  for (auto& s : open) s->close();
}

uint16_t HttpServer::port() const {
  beast::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? impl_->settings.port : ep.port();
}

size_t HttpServer::connections() const { return impl_->sessions.size(); }

}  // namespace sluice
