// HTTP/1.1 connections with Beast: connect (direct or through a proxy with
// CONNECT), TLS handshake, one request/answer exchange with a deadline. The
// only translation unit that includes Beast (compile time).
#include "outputs/common/http_connection.hpp"

#include <poll.h>

#include <array>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "agent/zlib_codec.hpp"
#include "outputs/common/http_output_config.hpp"
#include "outputs/common/http_tls.hpp"

namespace sluice::http::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

constexpr uint64_t kMaxAnswerBody = 256ull << 20;  // ES answers for big bulks can be large
constexpr uint32_t kMaxAnswerHeader = 64u << 10;

// host:port with brackets around an IPv6 address.
std::string authority(const std::string& host, uint16_t port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Response to_response(bhttp::response<bhttp::string_body>&& msg) {
  Response r;
  r.status = static_cast<int>(msg.result_int());
  for (const auto& f : msg) r.headers.push_back({std::string(f.name_string()), std::string(f.value())});
  r.body = std::move(msg.body());
  if (const std::string* enc = r.header("Content-Encoding"); enc && (*enc == "gzip" || *enc == "deflate")) {
    // An answer that isn't valid gzip/zlib stays as it came: it is only read for its error text.
    std::string plain;
    if (!zlib::inflate(r.body, zlib::Wrapper::Auto, kMaxAnswerBody, plain)) r.body = std::move(plain);
  }
  if (const std::string* ra = r.header("Retry-After")) r.retry_after = parse_retry_after(*ra);
  return r;
}

// Sends request and reads its answer on stream (plain or TLS) whose lowest
// layer is tcp; the deadline covers both.
template <class Stream>
net::awaitable<ExchangeResult> exchange_on(Stream& stream, beast::tcp_stream& tcp, beast::flat_buffer& buffer,
                                           const WireRequest& request, std::chrono::milliseconds timeout,
                                           const std::string& peer, SSL* ssl) {
  ExchangeResult x;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  tcp.expires_at(deadline);
  error_code ec;
  if (ssl == nullptr) {
    std::array<net::const_buffer, 2> out{net::buffer(request.head), net::buffer(request.body)};
    co_await net::async_write(stream, out, net::redirect_error(net::use_awaitable, ec));
  } else {
    // Over TLS, head and body are written one after the other: with Boost
    // 1.74 a composed write of the two buffers on Beast's ssl_stream sent the
    // head and never the body once the body passed ~16 KB (one TLS record).
    co_await net::async_write(stream, net::buffer(request.head), net::redirect_error(net::use_awaitable, ec));
    if (!ec && !request.body.empty())
      co_await net::async_write(stream, net::buffer(request.body), net::redirect_error(net::use_awaitable, ec));
  }
  std::optional<bhttp::response_parser<bhttp::string_body>> parser;
  while (!ec) {
    parser.emplace();
    parser->body_limit(kMaxAnswerBody);
    parser->header_limit(kMaxAnswerHeader);
    if (request.head_method) parser->skip(true);
    co_await bhttp::async_read(stream, buffer, *parser, net::redirect_error(net::use_awaitable, ec));
    if (ec) x.got_bytes = x.got_bytes || parser->got_some() || buffer.size() > 0;
    // An interim 1xx answer (e.g. an unasked-for 100 Continue) precedes the real one.
    if (ec || parser->get().result_int() >= 200 || parser->get().result_int() == 101) break;
    x.got_bytes = true;
  }
  tcp.expires_never();
  if (ec == net::error::connection_reset && parser && parser->is_header_done() && parser->need_eof()) {
    // A close-delimited answer ended by a reset instead of a FIN: a server
    // (or proxy) that answers before reading the whole request body and then
    // closes with it unread makes the kernel send RST. The answer is all
    // there; a 407 or 413 must not turn into "connection reset".
    x.ok = true;
    x.reusable = false;
    x.response = to_response(parser->release());
    co_return x;
  }
  if (ec) {
    x.timed_out = ec == beast::error::timeout || std::chrono::steady_clock::now() >= deadline;
    if (x.timed_out) {
      x.error = "no complete answer from " + peer + " within " + duration_text(timeout) + " (request_timeout)";
    } else if (ec == bhttp::error::body_limit) {
      x.error = "the answer from " + peer + " is larger than the 256 MiB limit";
    } else if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || ec == net::error::eof) {
      x.error = "connection to " + peer + " closed before a complete answer";
    } else if (ec.category() == bhttp::make_error_code(bhttp::error::partial_message).category()) {
      x.error = "invalid answer from " + peer + ": " + ec.message();
    } else {
      x.error = "connection to " + peer + " failed: " + tls::error_text(ssl, ec);
    }
    co_return x;
  }
  x.ok = true;
  x.reusable = parser->get().keep_alive() && !parser->need_eof() && buffer.size() == 0;
  x.response = to_response(parser->release());
  co_return x;
}

// Runs on the client's io_context; owned by one request at a time or idle in the pool.
class BeastConnection final : public Connection {
 public:
  BeastConnection(beast::tcp_stream tcp, std::string peer) : plain_(std::move(tcp)), peer_(std::move(peer)) {}
  BeastConnection(beast::ssl_stream<beast::tcp_stream> tls, std::string peer)
      : tls_(std::move(tls)), peer_(std::move(peer)) {}

  net::awaitable<ExchangeResult> exchange(const WireRequest& request, std::chrono::milliseconds timeout) override {
    if (tls_) co_return co_await exchange_on(*tls_, lowest(), buffer_, request, timeout, peer_, tls_->native_handle());
    co_return co_await exchange_on(*plain_, lowest(), buffer_, request, timeout, peer_, nullptr);
  }

  bool stale() override {
    auto& socket = lowest().socket();
    if (!socket.is_open() || buffer_.size() > 0) return true;
    // An idle connection has nothing to read: readable means the peer closed
    // it (EOF) or sent something unasked (a TLS alert, a 408).
    error_code ec;
    size_t n = socket.available(ec);
    if (ec || n > 0) return true;
    pollfd p{socket.native_handle(), POLLIN, 0};
    return ::poll(&p, 1, 0) != 0;
  }

  void close() override {
    error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().socket().close(ec);
  }

 private:
  beast::tcp_stream& lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }

  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
  std::string peer_;
};

}  // namespace

struct Dialer::State {
  net::io_context& io;
  ClientSettings settings;
  std::optional<ProxyUrl> proxy;
  std::shared_ptr<net::ssl::context> ssl;
  std::optional<tcp::resolver::results_type> addresses;
  std::string setup_error;
  std::string proxy_authorization;
  std::string target;  // host:port of the endpoint
};

Dialer::Dialer(net::io_context& io, const ClientSettings& settings)
    : state_(std::make_shared<State>(State{io, settings, {}, {}, {}, {}, {}, authority(settings.host, settings.port)})) {
  State& s = *state_;
  if (!settings.proxy.empty()) {
    s.proxy = parse_proxy_url(settings.proxy);
    if (!s.proxy) {
      s.setup_error = "invalid proxy URL \"" + settings.proxy + "\" (expected http://[user:pass@]host:port)";
    } else if (!s.proxy->user.empty() || !s.proxy->password.empty()) {
      s.proxy_authorization = basic_auth(s.proxy->user, s.proxy->password);
    }
  }
  if (settings.tls.enabled && s.setup_error.empty()) s.ssl = tls::make_context(settings.tls, s.setup_error);
}

Dialer::~Dialer() = default;

const std::string& Dialer::setup_error() const { return state_->setup_error; }
void Dialer::forget_addresses() { state_->addresses.reset(); }
bool Dialer::absolute_form() const { return state_->proxy && !state_->settings.tls.enabled; }
const std::string& Dialer::proxy_authorization() const { return state_->proxy_authorization; }

namespace {

// Asks the proxy on tcp for a tunnel to target (RFC 9110 9.3.6).
net::awaitable<std::string> open_tunnel(beast::tcp_stream& tcp, const std::string& target,
                                        const std::string& proxy_name, const std::string& authorization) {
  std::string head = "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n";
  if (!authorization.empty()) head += "Proxy-Authorization: " + authorization + "\r\n";
  head += "\r\n";
  error_code ec;
  co_await net::async_write(tcp, net::buffer(head), net::redirect_error(net::use_awaitable, ec));
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::empty_body> parser;
  parser.skip(true);  // a 2xx answer to CONNECT has no body: the tunnel starts right after it
  if (!ec) co_await bhttp::async_read_header(tcp, buffer, parser, net::redirect_error(net::use_awaitable, ec));
  if (ec == beast::error::timeout) co_return "proxy " + proxy_name + " did not open a tunnel in time";
  if (ec) co_return "proxy " + proxy_name + " failed: " + ec.message();
  unsigned status = parser.get().result_int();
  if (status < 200 || status > 299) {
    co_return "proxy " + proxy_name + " refused CONNECT to " + target + ": " + std::to_string(status) + " " +
        std::string(parser.get().reason());
  }
  co_return std::string();
}

}  // namespace

net::awaitable<std::unique_ptr<Connection>> Dialer::connect(std::string& error) {
  auto keep = state_;  // the Dialer may go while this runs
  State& s = *keep;
  const std::string& host = s.proxy ? s.proxy->host : s.settings.host;
  uint16_t port = s.proxy ? s.proxy->port : s.settings.port;
  std::string dialed = authority(host, port);
  std::string via = s.proxy ? " (proxy for " + s.target + ")" : "";
  error_code ec;
  if (!s.addresses) {
    tcp::resolver resolver(s.io);
    auto results = co_await resolver.async_resolve(host, std::to_string(port),
                                                   net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      error = "cannot resolve " + host + via + ": " + ec.message();
      co_return nullptr;
    }
    s.addresses = std::move(results);
  }
  beast::tcp_stream tcp(s.io);
  tcp.expires_after(s.settings.connect_timeout);
  co_await tcp.async_connect(*s.addresses, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    if (ec == beast::error::timeout) {
      error = "connect to " + dialed + via + " timed out after " + duration_text(s.settings.connect_timeout) +
              " (connect_timeout)";
    } else {
      error = "cannot connect to " + dialed + via + ": " + ec.message();
    }
    co_return nullptr;
  }
  tcp.socket().set_option(tcp::no_delay(true), ec);
  if (s.proxy && s.settings.tls.enabled) {
    error = co_await open_tunnel(tcp, s.target, dialed, s.proxy_authorization);
    if (!error.empty()) co_return nullptr;
  }
  if (!s.settings.tls.enabled) {
    tcp.expires_never();
    co_return std::make_unique<BeastConnection>(std::move(tcp), s.target);
  }
  beast::ssl_stream<beast::tcp_stream> tls(std::move(tcp), *s.ssl);
  const std::string& name = s.settings.tls.vhost.empty() ? s.settings.host : s.settings.tls.vhost;
  if (!tls::prepare(tls.native_handle(), name, s.settings.tls.verify, error)) co_return nullptr;
  co_await tls.async_handshake(net::ssl::stream_base::client, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    if (ec == beast::error::timeout) {
      error = "TLS handshake with " + s.target + " timed out after " + duration_text(s.settings.connect_timeout) +
              " (connect_timeout)";
    } else {
      error = "TLS handshake with " + s.target + " failed: " + tls::error_text(tls.native_handle(), ec);
    }
    co_return nullptr;
  }
  beast::get_lowest_layer(tls).expires_never();
  co_return std::make_unique<BeastConnection>(std::move(tls), s.target);
}

}  // namespace sluice::http::detail
