// The HTTP client's connection pool and request queue; see http_client.hpp.
// Connections themselves (Beast, TLS, proxies) are in http_connection.cpp.
#include "outputs/common/http_client.hpp"

#include <charconv>
#include <ctime>
#include <deque>
#include <set>

#include "agent/ascii_case.hpp"
#include "agent/zlib_codec.hpp"
#include "outputs/common/http_connection.hpp"
#include "outputs/common/http_tls.hpp"

namespace sluice::http {

namespace net = boost::asio;
using detail::Connection;
using detail::ExchangeResult;
using detail::WireRequest;

namespace {

// An idle connection older than this is closed rather than reused: load
// balancers commonly drop idle connections after 60 s without telling
// either side, and a request sent on such a connection would wait for
// request_timeout.
constexpr auto kMaxIdle = std::chrono::seconds(50);

bool has_line_break(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

Response failure(std::string text) {
  Response r;
  r.error = std::move(text);
  return r;
}

// The Host field value: the port only when it isn't the scheme's default.
}  // namespace

std::string host_header(const ClientSettings& s) {
  std::string host = s.host.find(':') != std::string::npos ? "[" + s.host + "]" : s.host;
  if (s.port != (s.tls.enabled ? 443 : 80)) host += ":" + std::to_string(s.port);
  return host;
}

const std::string* Response::header(std::string_view name) const {
  for (const auto& h : headers)
    if (ascii_iequals(h.name, name)) return &h.value;
  return nullptr;
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (value.front() >= '0' && value.front() <= '9') {
    uint64_t secs = 0;
    auto r = std::from_chars(value.data(), value.data() + value.size(), secs);
    if (r.ec == std::errc::result_out_of_range) return std::chrono::hours(24 * 365);
    if (r.ec != std::errc() || r.ptr != value.data() + value.size()) return std::nullopt;
    return std::chrono::seconds(std::min<uint64_t>(secs, 86400ull * 365));
  }
  // IMF-fixdate, then the obsolete RFC 850 and asctime forms a recipient must accept.
  std::string text(value);
  for (const char* format : {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"}) {
    std::tm tm{};
    const char* end = ::strptime(text.c_str(), format, &tm);
    if (end == nullptr || *end != '\0') continue;
    auto at = std::chrono::system_clock::from_time_t(::timegm(&tm));
    auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(at - now);
    return std::max(delay, std::chrono::milliseconds(0));
  }
  return std::nullopt;
}

std::string tls_settings_error(const TlsSettings& tls) {
  std::string error;
  tls::make_context(tls, error);
  return error;
}

// Runs on the io_context it was made with. Each request runs as one
// coroutine that owns its connection until the answer is read; idle
// connections wait in idle (most recently used last).
struct Client::Impl : std::enable_shared_from_this<Impl> {
  struct Pending {
    Request request;
    ResponseHandler done;
  };

  Impl(net::io_context& io_context, ClientSettings s) : io(io_context), settings(std::move(s)), dialer(io, settings) {
    if (settings.max_connections == 0) settings.max_connections = 1;
  }

  void send(Request request, ResponseHandler done) {
    if (closed) {
      net::post(io, [self = shared_from_this(), done = std::move(done)] {
        if (!self->dropped) done(failure("the HTTP client is closed"));
      });
      return;
    }
    queue.push_back({std::move(request), std::move(done)});
    pump();
  }

  void pump() {
    while (!closed && active < settings.max_connections && !queue.empty()) {
      ++active;
      // The coroutine holds the Impl from its creation: co_spawn only posts
      // its start, and the Client may be destroyed before that runs.
      net::co_spawn(io, run(shared_from_this(), std::move(queue.front())), net::detached);
      queue.pop_front();
    }
  }

  net::awaitable<void> run([[maybe_unused]] std::shared_ptr<Impl> self, Pending p) {
    Response response;
    try {
      response = co_await perform(p.request);
    } catch (const std::exception& e) {
      response = failure(std::string("HTTP client error: ") + e.what());
    }
    --active;
    if (!dropped) p.done(std::move(response));
    pump();
  }

  net::awaitable<Response> perform(Request& request) {
    if (!dialer.setup_error().empty()) co_return failure(dialer.setup_error());
    WireRequest wire;
    if (std::string error = serialize(request, wire); !error.empty()) co_return failure(error);
    for (int attempt = 0;; ++attempt) {
      if (dropped) co_return failure("the HTTP client is closed");
      std::unique_ptr<Connection> conn = take_idle();
      bool reused = conn != nullptr;
      if (!conn) {
        std::string error;
        conn = co_await dialer.connect(error);
        if (!conn) {
          dialer.forget_addresses();
          co_return failure(std::move(error));
        }
        if (dropped) {  // the Client went while this connected
          conn->close();
          co_return failure("the HTTP client is closed");
        }
      }
      in_use.insert(conn.get());
      ExchangeResult x = co_await conn->exchange(wire, settings.request_timeout);
      in_use.erase(conn.get());
      if (x.ok) {
        if (x.reusable && settings.keepalive && !closed) {
          idle.push_back({std::move(conn), std::chrono::steady_clock::now()});
        } else {
          conn->close();
        }
        co_return std::move(x.response);
      }
      conn->close();
      // A kept-alive connection the server closed while idle fails before
      // any answer byte; nothing was processed, so sending again is safe.
      if (reused && attempt == 0 && !x.got_bytes && !x.timed_out) continue;
      dialer.forget_addresses();
      co_return failure(std::move(x.error));
    }
  }

  std::unique_ptr<Connection> take_idle() {
    auto now = std::chrono::steady_clock::now();
    // Oldest first: connections LIFO reuse left behind go once they are too old.
    while (!idle.empty() && now - idle.front().since >= kMaxIdle) {
      idle.front().conn->close();
      idle.erase(idle.begin());
    }
    while (!idle.empty()) {
      Idle last = std::move(idle.back());
      idle.pop_back();
      if (!last.conn->stale()) return std::move(last.conn);
      last.conn->close();
    }
    return nullptr;
  }

  // The request line and fields; "" or why the request can't be sent.
  std::string serialize(Request& request, WireRequest& wire) const {
    if (request.method.empty() || has_line_break(request.method) || request.method.find(' ') != std::string::npos) {
      return "invalid HTTP method \"" + request.method + "\"";
    }
    if (has_line_break(request.target) || request.target.find(' ') != std::string::npos) {
      return "invalid request target \"" + request.target + "\"";
    }
    // The fastest level: every batch is compressed on the output's thread,
    // and higher levels cost far more CPU for a little less (bench/README.md).
    if (request.gzip) wire.body = zlib::compress(request.body, zlib::Wrapper::Gzip, zlib::kFastest);
    else wire.body = std::move(request.body);
    wire.head_method = request.method == "HEAD";
    std::string& h = wire.head;
    h.reserve(256 + request.target.size());
    h += request.method;
    h += ' ';
    if (dialer.absolute_form()) h += "http://" + host_header(settings);
    h += request.target.empty() ? "/" : request.target;
    h += " HTTP/1.1\r\n";
    bool has_host = false;
    bool has_agent = false;
    for (const auto& f : request.headers) {
      if (f.name.empty() || has_line_break(f.name) || has_line_break(f.value) || f.name.find(':') != std::string::npos) {
        return "invalid HTTP header \"" + f.name + "\"";
      }
      if (ascii_iequals(f.name, "Content-Length") || ascii_iequals(f.name, "Content-Encoding") ||
          ascii_iequals(f.name, "Transfer-Encoding") || ascii_iequals(f.name, "Connection")) {
        continue;  // the client's own
      }
      has_host = has_host || ascii_iequals(f.name, "Host");
      has_agent = has_agent || ascii_iequals(f.name, "User-Agent");
      h += f.name + ": " + f.value + "\r\n";
    }
    if (!has_host) h += "Host: " + host_header(settings) + "\r\n";
    if (!has_agent) h += "User-Agent: sluice/" SLUICE_VERSION "\r\n";
    h += "Content-Length: " + std::to_string(wire.body.size()) + "\r\n";
    if (request.gzip) h += "Content-Encoding: gzip\r\n";
    else if (!request.content_encoding.empty()) h += "Content-Encoding: " + request.content_encoding + "\r\n";
    if (!settings.keepalive) h += "Connection: close\r\n";
    if (dialer.absolute_form() && !dialer.proxy_authorization().empty()) {
      h += "Proxy-Authorization: " + dialer.proxy_authorization() + "\r\n";
    }
    h += "\r\n";
    return "";
  }

  void close(bool drop_handlers) {
    closed = true;
    dropped = dropped || drop_handlers;
    for (auto& i : idle) i.conn->close();
    idle.clear();
    if (dropped) {
      for (Connection* conn : in_use) conn->close();
      queue.clear();
      return;
    }
    std::deque<Pending> failed = std::move(queue);
    queue.clear();
    for (auto& p : failed) {
      net::post(io, [self = shared_from_this(), done = std::move(p.done)] {
        if (!self->dropped) done(failure("the HTTP client was closed before the request was sent"));
      });
    }
  }

  net::io_context& io;
  ClientSettings settings;
  detail::Dialer dialer;
  std::deque<Pending> queue;
  struct Idle {
    std::unique_ptr<Connection> conn;
    std::chrono::steady_clock::time_point since;
  };
  std::vector<Idle> idle;  // most recently used last
  std::set<Connection*> in_use;
  size_t active = 0;
  bool closed = false;
  bool dropped = false;  // the Client is gone: handlers must not run
};

Client::Client(net::io_context& io, ClientSettings settings)
    : impl_(std::make_shared<Impl>(io, std::move(settings))) {}

Client::~Client() { impl_->close(true); }

void Client::send(Request request, ResponseHandler done) { impl_->send(std::move(request), std::move(done)); }

void Client::close() { impl_->close(false); }

const ClientSettings& Client::settings() const { return impl_->settings; }

}  // namespace sluice::http
