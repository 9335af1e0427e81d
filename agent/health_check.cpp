// `sluice --health-check URL`; see health_check.hpp.
#include "agent/health_check.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>

#include "agent/asio.hpp"

namespace sluice {

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// The start of a non-2xx answer's body shown in the message.
constexpr size_t kBodyShown = 300;

struct Url {
  std::string host;    // without IPv6 brackets
  std::string port;    // "80" by default
  std::string target;  // "/path?query", "/" by default
  std::string authority;
};

// http://host[:port][/path][?query]; nullopt with `why` for anything else.
std::optional<Url> parse_url(const std::string& url, std::string& why) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind("https://", 0) == 0) {
    why = "https is not supported (the status server speaks plain http)";
    return std::nullopt;
  }
  if (url.compare(0, kScheme.size(), kScheme) != 0) {
    why = "expected http://host[:port]/path";
    return std::nullopt;
  }
  std::string rest = url.substr(kScheme.size());
  size_t end = rest.find_first_of("/?#");
  Url u;
  u.authority = rest.substr(0, end);
  u.target = end == std::string::npos ? "/" : rest.substr(end);
  if (size_t hash = u.target.find('#'); hash != std::string::npos) u.target.erase(hash);
  if (u.target.empty() || u.target[0] != '/') u.target.insert(0, "/");
  for (char c : u.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      why = "the path holds a space or a control character";
      return std::nullopt;
    }
  }
  const std::string& a = u.authority;
  size_t colon = std::string::npos;
  if (!a.empty() && a[0] == '[') {  // [IPv6]:port
    size_t close = a.find(']');
    if (close == std::string::npos) {
      why = "unclosed '[' in the host";
      return std::nullopt;
    }
    u.host = a.substr(1, close - 1);
    if (close + 1 < a.size()) {
      if (a[close + 1] != ':') {
        why = "expected ':port' after ']'";
        return std::nullopt;
      }
      colon = close + 1;
    }
  } else {
    colon = a.find(':');
    u.host = a.substr(0, colon);
  }
  if (u.host.empty() || a.find('@') != std::string::npos) {
    why = "expected a host (no user name) after http://";
    return std::nullopt;
  }
  u.port = colon == std::string::npos ? "80" : a.substr(colon + 1);
  bool digits = !u.port.empty() && u.port.size() <= 5 && u.port.find_first_not_of("0123456789") == std::string::npos;
  if (!digits || std::stoi(u.port) < 1 || std::stoi(u.port) > 65535) {
    why = "the port must be a number from 1 to 65535";
    return std::nullopt;
  }
  return u;
}

// Text on one line: control characters become spaces, at most kBodyShown bytes.
std::string one_line(std::string_view text) {
  std::string s(text.substr(0, kBodyShown));
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  if (text.size() > kBodyShown) s += "...";
  return s;
}

// The value of Content-Length in an answer's head, if it has one.
std::optional<size_t> content_length(std::string_view head) {
  constexpr std::string_view kName = "content-length:";
  size_t pos = 0;
  while ((pos = head.find("\r\n", pos)) != std::string_view::npos) {
    pos += 2;
    std::string_view line = head.substr(pos, head.find("\r\n", pos) - pos);
    if (line.size() <= kName.size()) continue;
    bool match = true;
    for (size_t i = 0; i < kName.size() && match; ++i)
      match = std::tolower(static_cast<unsigned char>(line[i])) == kName[i];
    if (!match) continue;
    std::string value(line.substr(kName.size()));
    try {
      return static_cast<size_t>(std::stoul(value));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

// One exchange; fills `result` step by step, so that whatever the deadline
// interrupts, result says how far it got.
// `answered` turns true once the status line was read.
asio::awaitable<void> exchange(const Url& url, const std::string& text, HealthCheckResult& result, bool& answered) {
  auto ex = co_await asio::this_coro::executor;
  boost::system::error_code ec;
  tcp::resolver resolver(ex);
  auto endpoints = co_await resolver.async_resolve(url.host, url.port, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    result.message = "can't resolve " + url.host + ": " + ec.message();
    co_return;
  }
  tcp::socket socket(ex);
  result.message = "no connection to " + url.authority;
  co_await asio::async_connect(socket, endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    result.message = "can't connect to " + url.authority + ": " + ec.message();
    co_return;
  }
  std::string request = "GET " + url.target + " HTTP/1.1\r\nHost: " + url.authority +
                        "\r\nUser-Agent: sluice-health-check\r\nAccept: */*\r\nConnection: close\r\n\r\n";
  co_await asio::async_write(socket, asio::buffer(request), asio::redirect_error(asio::use_awaitable, ec));
  result.message = "no answer from " + text;
  std::string buf;
  size_t head_size = co_await asio::async_read_until(socket, asio::dynamic_buffer(buf, 16384), "\r\n\r\n",
                                                     asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    result.message = (ec == asio::error::eof ? std::string("connection closed without an answer")
                                              : "no answer: " + ec.message()) +
                     " from " + text + (buf.empty() ? "" : " (got '" + one_line(buf) + "')");
    co_return;
  }
  std::string_view head(buf.data(), head_size);
  std::string_view status_line = head.substr(0, head.find("\r\n"));
  // "HTTP/1.1 200 OK"
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12 || status_line[8] != ' ' ||
      status_line.substr(9, 3).find_first_not_of("0123456789") != std::string_view::npos) {
    result.message = "not an HTTP answer from " + text + ": '" + one_line(status_line) + "'";
    co_return;
  }
  int status = std::stoi(std::string(status_line.substr(9, 3)));
  answered = true;
  result.healthy = status >= 200 && status < 300;
  result.message = "HTTP " + std::string(status_line.substr(9)) + " from " + text;
  if (result.healthy) co_return;

  // Unhealthy: show the start of the body (best effort, within the same deadline).
  size_t want = std::min(content_length(head).value_or(kBodyShown + 1), kBodyShown + 1);
  std::string body = buf.substr(head_size);
  char chunk[1024];
  while (body.size() < want) {
    size_t n = co_await socket.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
    body.append(chunk, n);
    if (ec) break;
  }
  if (!body.empty()) result.message = "HTTP " + std::string(status_line.substr(9)) + " from " + text + ": " + one_line(body);
}

}  // namespace

HealthCheckResult health_check(const std::string& url, std::chrono::milliseconds timeout) {
  std::string why;
  std::optional<Url> parsed = parse_url(url, why);
  if (!parsed) return {false, "not a URL sluice can check: '" + one_line(url) + "': " + why};
  HealthCheckResult result{false, "can't resolve " + parsed->host};
  asio::io_context io;
  bool answered = false;
  asio::co_spawn(io, exchange(*parsed, url, result, answered), asio::detached);
  // Whatever is still pending at the deadline is abandoned with the
  // io_context (its destructor closes the socket); result tells how far it got.
  io.run_for(timeout);
  if (!io.stopped() && !answered) result.message += " within " + std::to_string(timeout.count()) + " ms";
  return result;
}

}  // namespace sluice
