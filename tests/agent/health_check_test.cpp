// sluice::health_check (`sluice --health-check URL`) against a scripted
// one-connection HTTP peer: 2xx is healthy; other statuses, no server, a
// silent server, a non-HTTP answer and URLs it can't check are unhealthy,
// each with a one-line reason. The real status server: tests/e2e/health_check_e2e_test.cpp.
#include <catch2/catch.hpp>

#include <future>
#include <string>
#include <thread>

#include "agent/asio.hpp"
#include "agent/health_check.hpp"
#include "tests/support/net.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace std::chrono_literals;

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Accepts one connection on 127.0.0.1, reads the request head, then answers
// `answer` and closes (Mode::Answer), closes at once (Mode::Close) or says
// nothing until the test is over (Mode::Silent). Runs on its own thread.
class ScriptedPeer {
 public:
  enum class Mode { Answer, Close, Silent };
  explicit ScriptedPeer(std::string answer, Mode mode = Mode::Answer)
      : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this, answer = std::move(answer), mode] {
      boost::system::error_code ec;
      tcp::socket s(io_);
      acceptor_.accept(s, ec);
      if (ec) return;
      asio::read_until(s, asio::dynamic_buffer(request_), "\r\n\r\n", ec);
      if (mode == Mode::Answer) asio::write(s, asio::buffer(answer), ec);
      if (mode == Mode::Silent) released_.get_future().wait_for(30s);
      s.shutdown(tcp::socket::shutdown_both, ec);
    });
  }
  ~ScriptedPeer() { finish(); }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port()) + path; }

  // Ends the peer (unblocking an accept nobody made) and returns the request head it read.
  std::string finish() {
    if (thread_.joinable()) {
      released_.set_value();
      boost::system::error_code ec;
      tcp::socket poke(io_);
      poke.connect(acceptor_.local_endpoint(), ec);
      thread_.join();
    }
    return request_;
  }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::string request_;
  std::promise<void> released_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("health check: a 2xx answer is healthy, any other is unhealthy with its reason", "[health_check]") {
  SECTION("200 with a body: healthy; one GET with Host and Connection: close") {
    ScriptedPeer peer("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}");
    HealthCheckResult r = health_check(peer.url("/api/v1/health/ready?verbose=1"), 10s);
    CHECK(r.healthy);
    CHECK(r.message == "HTTP 200 OK from " + peer.url("/api/v1/health/ready?verbose=1"));
    std::string request = peer.finish();
    CHECK(request.rfind("GET /api/v1/health/ready?verbose=1 HTTP/1.1\r\n", 0) == 0);
    CHECK(request.find("\r\nHost: 127.0.0.1:" + std::to_string(peer.port()) + "\r\n") != std::string::npos);
    CHECK(request.find("\r\nConnection: close\r\n") != std::string::npos);
  }
  SECTION("204 without a body, over HTTP/1.0: healthy") {
    ScriptedPeer peer("HTTP/1.0 204 No Content\r\n\r\n");
    CHECK(health_check(peer.url("/"), 10s).healthy);
  }
  SECTION("no path asks for /") {
    ScriptedPeer peer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    CHECK(health_check("http://127.0.0.1:" + std::to_string(peer.port()), 10s).healthy);
    CHECK(peer.finish().rfind("GET / HTTP/1.1\r\n", 0) == 0);
  }
  SECTION("503: unhealthy, the body's start on the same line") {
    std::string body = "{\"status\":\"stalled\",\n\"outputs\":{\"es.0\":{\"last_error\":\"connection refused\"}}}";
    ScriptedPeer peer("HTTP/1.1 503 Service Unavailable\r\nContent-Length: " + std::to_string(body.size()) +
                      "\r\n\r\n" + body);
    HealthCheckResult r = health_check(peer.url("/api/v1/health"), 10s);
    CHECK_FALSE(r.healthy);
    CHECK(r.message.rfind("HTTP 503 Service Unavailable from " + peer.url("/api/v1/health") + ": {\"status\":\"stalled\", ", 0) ==
          0);
    CHECK(r.message.find("connection refused") != std::string::npos);
    CHECK(r.message.find('\n') == std::string::npos);
  }
  SECTION("a long body without Content-Length is cut short") {
    ScriptedPeer peer("HTTP/1.1 500 Internal Server Error\r\n\r\n" + std::string(5000, 'x'));
    HealthCheckResult r = health_check(peer.url("/"), 10s);
    CHECK_FALSE(r.healthy);
    CHECK(r.message.size() < 500);
    CHECK(r.message.substr(r.message.size() - 3) == "...");
  }
  SECTION("404, 301 and 100-range statuses are unhealthy") {
    for (std::string status : {"404 Not Found", "301 Moved Permanently", "199 Odd"}) {
      ScriptedPeer peer("HTTP/1.1 " + status + "\r\nContent-Length: 0\r\n\r\n");
      HealthCheckResult r = health_check(peer.url("/x"), 10s);
      CHECK_FALSE(r.healthy);
      CHECK(r.message == "HTTP " + status + " from " + peer.url("/x"));
    }
  }
  SECTION("an answer that isn't HTTP") {
    ScriptedPeer peer("SSH-2.0-OpenSSH_9.2\r\n\r\n");
    HealthCheckResult r = health_check(peer.url("/"), 10s);
    CHECK_FALSE(r.healthy);
    CHECK(r.message == "not an HTTP answer from " + peer.url("/") + ": 'SSH-2.0-OpenSSH_9.2'");
  }
  SECTION("a connection closed without an answer") {
    ScriptedPeer peer("", ScriptedPeer::Mode::Close);
    HealthCheckResult r = health_check(peer.url("/"), 10s);
    CHECK_FALSE(r.healthy);
    CHECK(r.message == "connection closed without an answer from " + peer.url("/"));
  }
}

TEST_CASE("health check: no server, a silent one and URLs it can't check are unhealthy", "[health_check]") {
  SECTION("nothing listens") {
    uint16_t port = test::free_tcp_port();
    HealthCheckResult r = health_check("http://127.0.0.1:" + std::to_string(port) + "/api/v1/health", 10s);
    CHECK_FALSE(r.healthy);
    CHECK(r.message.rfind("can't connect to 127.0.0.1:" + std::to_string(port) + ": ", 0) == 0);
  }
  SECTION("a server that never answers: gives up at the timeout") {
    ScriptedPeer peer("", ScriptedPeer::Mode::Silent);
    HealthCheckResult r = health_check(peer.url("/api/v1/health"), 300ms);
    CHECK_FALSE(r.healthy);
    CHECK(r.message == "no answer from " + peer.url("/api/v1/health") + " within 300 ms");
  }
  SECTION("URLs it can't check, without touching the network") {
    struct Case {
      std::string url, why;
    };
    for (const auto& c : std::vector<Case>{
             {"https://127.0.0.1:2020/api/v1/health", "https is not supported"},
             {"127.0.0.1:2020/api/v1/health", "expected http://host[:port]/path"},
             {"http://", "expected a host"},
             {"http://:2020/", "expected a host"},
             {"http://user@127.0.0.1:2020/", "expected a host (no user name)"},
             {"http://127.0.0.1:0/", "the port must be a number from 1 to 65535"},
             {"http://127.0.0.1:70000/", "the port must be a number from 1 to 65535"},
             {"http://127.0.0.1:20x/", "the port must be a number from 1 to 65535"},
             {"http://[::1/", "unclosed '['"},
             {"http://127.0.0.1:2020/a b", "a space or a control character"},
             {"http://127.0.0.1:2020/a\r\nX-Injected: 1", "a space or a control character"},
         }) {
      INFO(c.url);
      HealthCheckResult r = health_check(c.url, 10s);
      CHECK_FALSE(r.healthy);
      CHECK(r.message.rfind("not a URL sluice can check: '", 0) == 0);
      CHECK(r.message.find(c.why) != std::string::npos);
      CHECK(r.message.find('\n') == std::string::npos);
    }
  }
  SECTION("IPv6 literal in brackets") {
    boost::asio::io_context io;
    boost::system::error_code ec;
    tcp::acceptor v6(io);
    v6.open(tcp::v6(), ec);
    if (!ec) v6.bind(tcp::endpoint(asio::ip::make_address("::1"), 0), ec);
    if (ec) {
      WARN("no IPv6 loopback here: " << ec.message());
      return;
    }
    uint16_t port = v6.local_endpoint().port();
    v6.close();  // nothing listens there now
    HealthCheckResult r = health_check("http://[::1]:" + std::to_string(port) + "/", 10s);
    CHECK_FALSE(r.healthy);
    CHECK(r.message.rfind("can't connect to [::1]:" + std::to_string(port) + ": ", 0) == 0);
  }
}

}  // namespace SLUICE_UNITY_ID
