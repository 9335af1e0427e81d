// The HTTP/2 client on nghttp2; see http2_client.hpp.
#include "outputs/common/http2_client.hpp"

#include <nghttp2/nghttp2.h>

#include <array>
#include <cstring>
#include <deque>
#include <unordered_map>

#include "agent/asio.hpp"
#include <boost/asio/ssl.hpp>

#include "agent/ascii_case.hpp"
#include "agent/zlib_codec.hpp"
#include "outputs/common/http_tls.hpp"

namespace sluice::http {

namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr size_t kReadBuffer = 16 * 1024;
// An answer's body larger than this resets its stream (OTLP's answers are
// a few bytes; this only bounds a broken server).
constexpr size_t kMaxAnswerBody = 16 * 1024 * 1024;

Response transport_error(std::string error) {
  Response r;
  r.error = std::move(error);
  return r;
}

// Headers a client may not send over HTTP/2 (RFC 9113 §8.2.2), or that the
// pseudo-headers replace.
bool connection_specific(std::string_view name) {
  for (std::string_view n : {"host", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
                             "content-length"})
    if (ascii_iequals(name, n)) return true;
  return false;
}

struct Stream {
  ResponseHandler done;
  std::string body;  // the request's, sent from `sent` on
  size_t sent = 0;
  Response response;
  std::unique_ptr<asio::steady_timer> deadline;
};

struct Waiting {
  Request request;
  ResponseHandler done;
};

}  // namespace

struct Http2Client::Impl : std::enable_shared_from_this<Http2Client::Impl> {
  Impl(asio::io_context& io, ClientSettings s) : io(io), settings(std::move(s)), resolver(io), connect_timer(io) {
    authority = host_header(settings);
    target = settings.host + ":" + std::to_string(settings.port);
    if (settings.tls.enabled) ssl_ctx = tls::make_context(settings.tls, setup_error);
  }
  ~Impl() {
    if (session != nullptr) nghttp2_session_del(session);
  }

  void send(Request request, ResponseHandler done) {
    if (closing || dead) return answer(std::move(done), transport_error("the HTTP/2 client is closed"));
    if (!setup_error.empty()) return answer(std::move(done), transport_error(setup_error));
    if (request.gzip) {
      request.body = zlib::compress(request.body, zlib::Wrapper::Gzip, zlib::kFastest);
      request.gzip = false;
      request.content_encoding = "gzip";
    }
    if (session != nullptr) {
      submit(std::move(request), std::move(done));
      return flush();
    }
    waiting.push_back({std::move(request), std::move(done)});
    if (!connecting) connect();
  }

  void close() {
    closing = true;
    auto left = std::move(waiting);
    waiting.clear();
    for (auto& w : left) answer(std::move(w.done), transport_error("the HTTP/2 client is closed"));
    if (streams.empty()) drop_connection();
  }

  // The Http2Client is gone: no handler is called again.
  void destroy() {
    dead = true;
    waiting.clear();
    for (auto& [id, st] : streams)
      if (st->deadline) st->deadline->cancel();
    streams.clear();
    drop_connection();
  }

  // Handlers run outside nghttp2's callbacks (a handler may send again).
  void answer(ResponseHandler done, Response r) {
    asio::post(io, [self = shared_from_this(), done = std::move(done), r = std::move(r)]() mutable {
      if (!self->dead) done(std::move(r));
    });
  }

  // ---- the connection ----

  void connect() {
    connecting = true;
    uint64_t gen = ++generation;
    connect_timer.expires_after(settings.connect_timeout);
    connect_timer.async_wait([self = shared_from_this(), gen](const error_code& ec) {
      if (ec || gen != self->generation || !self->connecting) return;
      self->connect_failed("connect to " + self->target + " timed out after " +
                           duration_text(self->settings.connect_timeout) + " (connect_timeout)");
    });
    resolver.async_resolve(settings.host, std::to_string(settings.port),
                           [self = shared_from_this(), gen](const error_code& ec, tcp::resolver::results_type results) {
                             if (gen != self->generation || self->dead) return;
                             if (ec) return self->connect_failed("cannot resolve " + self->settings.host + ": " + ec.message());
                             self->socket = std::make_unique<tcp::socket>(self->io);
                             asio::async_connect(*self->socket, results,
                                                 [self, gen](const error_code& e, const tcp::endpoint&) {
                                                   if (gen != self->generation || self->dead) return;
                                                   self->on_connect(e);
                                                 });
                           });
  }

  void on_connect(const error_code& ec) {
    if (ec) return connect_failed("cannot connect to " + target + ": " + ec.message());
    error_code ignored;
    socket->set_option(tcp::no_delay(true), ignored);
    if (!ssl_ctx) return open();
    tls_stream = std::make_unique<ssl::stream<tcp::socket>>(std::move(*socket), *ssl_ctx);
    socket.reset();
    std::string error;
    const std::string& name = settings.tls.vhost.empty() ? settings.host : settings.tls.vhost;
    if (!tls::prepare(tls_stream->native_handle(), name, settings.tls.verify, error)) return connect_failed(error);
    static constexpr unsigned char kH2[] = "\x02h2";
    SSL_set_alpn_protos(tls_stream->native_handle(), kH2, sizeof kH2 - 1);
    uint64_t gen = generation;
    tls_stream->async_handshake(ssl::stream_base::client, [self = shared_from_this(), gen](const error_code& e) {
      if (gen != self->generation || self->dead) return;
      if (e)
        return self->connect_failed("TLS handshake with " + self->target +
                                    " failed: " + tls::error_text(self->tls_stream->native_handle(), e));
      const unsigned char* alpn = nullptr;
      unsigned int len = 0;
      SSL_get0_alpn_selected(self->tls_stream->native_handle(), &alpn, &len);
      if (std::string_view(reinterpret_cast<const char*>(alpn), len) != "h2")
        return self->connect_failed("TLS handshake with " + self->target +
                                    ": the server doesn't offer HTTP/2 (ALPN h2), which gRPC needs");
      self->open();
    });
  }

  void connect_failed(const std::string& error) {
    connecting = false;
    ++generation;
    close_sockets();
    auto left = std::move(waiting);
    waiting.clear();
    for (auto& w : left) answer(std::move(w.done), transport_error(error));
  }

  void open() {
    connecting = false;
    connect_timer.cancel();
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
    nghttp2_session_client_new(&session, cbs, this);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_settings_entry no_push{NGHTTP2_SETTINGS_ENABLE_PUSH, 0};
    nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, &no_push, 1);
    auto ready = std::move(waiting);
    waiting.clear();
    for (auto& w : ready) submit(std::move(w.request), std::move(w.done));
    read();
    flush();
  }

  // Every stream still open fails with `error`; the next request connects again.
  void connection_lost(const std::string& error) {
    auto open_streams = std::move(streams);
    streams.clear();
    for (auto& [id, st] : open_streams) {
      if (st->deadline) st->deadline->cancel();
      answer(std::move(st->done), transport_error(error));
    }
    drop_connection();
    if (!waiting.empty() && !closing && !dead) connect();
  }

  void drop_connection() {
    ++generation;
    connecting = false;
    connect_timer.cancel();
    resolver.cancel();
    if (session != nullptr) {
      nghttp2_session_del(session);
      session = nullptr;
    }
    close_sockets();
  }

  void close_sockets() {
    error_code ignored;
    if (socket) socket->close(ignored);
    if (tls_stream) tls_stream->next_layer().close(ignored);
    socket.reset();
    writing = false;
    // The TLS stream may have an operation in flight holding it: it goes
    // with the Impl, after the handlers (which see another generation) ran.
    if (tls_stream) old_tls.push_back(std::move(tls_stream));
    if (old_tls.size() > 4) old_tls.erase(old_tls.begin());
  }

  template <class Buffers, class Handler>
  void async_read(const Buffers& b, Handler&& h) {
    if (tls_stream) tls_stream->async_read_some(b, std::forward<Handler>(h));
    else socket->async_read_some(b, std::forward<Handler>(h));
  }

  template <class Buffers, class Handler>
  void async_write_all(const Buffers& b, Handler&& h) {
    if (tls_stream) asio::async_write(*tls_stream, b, std::forward<Handler>(h));
    else asio::async_write(*socket, b, std::forward<Handler>(h));
  }

  void read() {
    uint64_t gen = generation;
    async_read(asio::buffer(in), [self = shared_from_this(), gen](const error_code& ec, size_t n) {
      if (gen != self->generation || self->dead) return;
      if (ec) return self->connection_lost("connection to " + self->target + " lost: " + ec.message());
      ssize_t rc = nghttp2_session_mem_recv(self->session, reinterpret_cast<const uint8_t*>(self->in.data()), n);
      if (rc < 0)
        return self->connection_lost("HTTP/2 protocol error from " + self->target + ": " +
                                     nghttp2_strerror(static_cast<int>(rc)));
      self->flush();
      if (gen != self->generation) return;
      if (nghttp2_session_want_read(self->session) == 0 && nghttp2_session_want_write(self->session) == 0)
        return self->connection_lost("the server at " + self->target + " closed the connection (GOAWAY)");
      self->read();
    });
  }

  void flush() {
    if (writing || session == nullptr) return;
    out.clear();
    const uint8_t* data = nullptr;
    ssize_t n;
    while (out.size() < 256 * 1024 && (n = nghttp2_session_mem_send(session, &data)) > 0)
      out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    if (out.empty()) {
      if (closing && streams.empty()) drop_connection();
      return;
    }
    writing = true;
    uint64_t gen = generation;
    async_write_all(asio::buffer(out), [self = shared_from_this(), gen](const error_code& ec, size_t) {
      if (gen != self->generation || self->dead) return;
      self->writing = false;
      if (ec) return self->connection_lost("connection to " + self->target + " lost: " + ec.message());
      self->flush();
    });
  }

  // ---- requests ----

  void submit(Request request, ResponseHandler done) {
    std::vector<std::pair<std::string, std::string>> fields = {{":method", request.method},
                                                               {":scheme", ssl_ctx ? "https" : "http"},
                                                               {":authority", authority},
                                                               {":path", request.target}};
    for (auto& h : request.headers)
      if (!connection_specific(h.name)) fields.emplace_back(ascii_lower(h.name), std::move(h.value));
    if (!request.content_encoding.empty()) fields.emplace_back("content-encoding", request.content_encoding);
    fields.emplace_back("content-length", std::to_string(request.body.size()));
    std::vector<nghttp2_nv> nva;
    for (auto& [n, v] : fields)
      nva.push_back({reinterpret_cast<uint8_t*>(n.data()), reinterpret_cast<uint8_t*>(v.data()), n.size(), v.size(),
                     NGHTTP2_NV_FLAG_NONE});
    auto st = std::make_unique<Stream>();
    st->done = std::move(done);
    st->body = std::move(request.body);
    nghttp2_data_provider provider;
    provider.source.ptr = st.get();
    provider.read_callback = read_body;
    int32_t id = nghttp2_submit_request(session, nullptr, nva.data(), nva.size(), &provider, st.get());
    if (id < 0) return answer(std::move(st->done), transport_error(std::string("HTTP/2: ") + nghttp2_strerror(id)));
    st->deadline = std::make_unique<asio::steady_timer>(io, settings.request_timeout);
    uint64_t gen = generation;
    st->deadline->async_wait([self = shared_from_this(), gen, id](const error_code& ec) {
      if (ec || gen != self->generation || self->dead) return;
      auto it = self->streams.find(id);
      if (it == self->streams.end()) return;
      auto timed_out = std::move(it->second);
      self->streams.erase(it);
      nghttp2_submit_rst_stream(self->session, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
      self->answer(std::move(timed_out->done),
                   transport_error("no answer from " + self->target + " within " +
                                   duration_text(self->settings.request_timeout) + " (request_timeout)"));
      self->flush();
    });
    streams.emplace(id, std::move(st));
  }

  static ssize_t read_body(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                           nghttp2_data_source* source, void*) {
    auto& st = *static_cast<Stream*>(source->ptr);
    size_t n = std::min(length, st.body.size() - st.sent);
    std::memcpy(buf, st.body.data() + st.sent, n);
    st.sent += n;
    if (st.sent == st.body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  Stream* stream(int32_t id) {
    auto it = streams.find(id);
    return it == streams.end() ? nullptr : it->second.get();
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
                       const uint8_t* value, size_t valuelen, uint8_t, void* user) {
    Stream* st = static_cast<Impl*>(user)->stream(frame->hd.stream_id);
    if (st == nullptr) return 0;
    std::string_view n(reinterpret_cast<const char*>(name), namelen);
    std::string v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":status") st->response.status = std::atoi(v.c_str());
    else st->response.headers.push_back({std::string(n), std::move(v)});  // trailers too, after the headers
    return 0;
  }

  static int on_data(nghttp2_session* session, uint8_t, int32_t id, const uint8_t* data, size_t len, void* user) {
    Stream* st = static_cast<Impl*>(user)->stream(id);
    if (st == nullptr) return 0;
    if (st->response.body.size() + len > kMaxAnswerBody) {
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
      return 0;
    }
    st->response.body.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }

  static int on_stream_close(nghttp2_session*, int32_t id, uint32_t error_code, void* user) {
    auto& self = *static_cast<Impl*>(user);
    auto it = self.streams.find(id);
    if (it == self.streams.end()) return 0;
    auto st = std::move(it->second);
    self.streams.erase(it);
    if (st->deadline) st->deadline->cancel();
    if (error_code != NGHTTP2_NO_ERROR || st->response.status == 0) {
      std::string why = error_code == NGHTTP2_REFUSED_STREAM
                            ? "the server refused the stream before processing it (REFUSED_STREAM)"
                            : std::string("the stream was reset (") + nghttp2_http2_strerror(error_code) + ")";
      self.answer(std::move(st->done), transport_error("HTTP/2 request to " + self.target + ": " + why));
      return 0;
    }
    if (const std::string* ra = st->response.header("retry-after")) st->response.retry_after = parse_retry_after(*ra);
    self.answer(std::move(st->done), std::move(st->response));
    return 0;
  }

  asio::io_context& io;
  ClientSettings settings;
  std::string authority, target;
  std::shared_ptr<ssl::context> ssl_ctx;
  std::string setup_error;  // TLS files that can't be used: every request fails with it
  tcp::resolver resolver;
  asio::steady_timer connect_timer;
  std::unique_ptr<tcp::socket> socket;
  std::unique_ptr<ssl::stream<tcp::socket>> tls_stream;
  std::vector<std::unique_ptr<ssl::stream<tcp::socket>>> old_tls;
  nghttp2_session* session = nullptr;
  uint64_t generation = 0;  // a new one per connection: handlers of an older one return
  bool connecting = false;
  bool closing = false;
  bool dead = false;
  bool writing = false;
  std::deque<Waiting> waiting;  // until the connection is open
  std::unordered_map<int32_t, std::unique_ptr<Stream>> streams;
  std::array<char, kReadBuffer> in{};
  std::string out;
};

Http2Client::Http2Client(asio::io_context& io, ClientSettings settings)
    : impl_(std::make_shared<Impl>(io, std::move(settings))) {}

Http2Client::~Http2Client() { impl_->destroy(); }

void Http2Client::send(Request request, ResponseHandler done) { impl_->send(std::move(request), std::move(done)); }

void Http2Client::close() { impl_->close(); }

}  // namespace sluice::http
