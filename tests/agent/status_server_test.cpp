// The status server's HTTP handling, in process with raw sockets: routing
// (404, 405 + Allow, HEAD), answers given later or from another thread,
// keep-alive, the request size limits, a slow client that neither blocks
// others nor stays forever, and stop() with an answer still pending.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <thread>

#include "agent/asio.hpp"
#include "agent/status_server.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace std::chrono_literals;

namespace {

// A connected client socket with a receive timeout (so a test can't hang).
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }
  void send(const std::string& data) {
    for (size_t at = 0; at < data.size();) {
      ssize_t n = ::send(fd_, data.data() + at, data.size() - at, MSG_NOSIGNAL);
      if (n <= 0) return;
      at += static_cast<size_t>(n);
    }
  }
  // Everything until the server closes (or 10 s pass).
  std::string read_all() {
    std::string out;
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  // Reads until `marker` has arrived (or close, or 10 s).
  std::string read_until(const std::string& marker) {
    std::string out;
    char buf[4096];
    while (out.find(marker) == std::string::npos) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  int fd_;
  bool connected_ = false;
};

std::string get(const std::string& method, const std::string& path, const std::string& extra = "") {
  return method + " " + path + " HTTP/1.1\r\nHost: x\r\n" + extra + "Connection: close\r\n\r\n";
}

int status_of(const std::string& response) {
  if (response.size() < 12) return 0;
  return std::stoi(response.substr(9, 3));
}

std::string body_of(const std::string& response) {
  size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

// A server on 127.0.0.1 (a free port) with its io_context on its own thread.
struct Fixture {
  explicit Fixture(StatusServerLimits limits = {}) : server(io, "127.0.0.1", 0, limits) {}
  void start() {
    server.start();
    thread = std::thread([this] {
      auto guard = boost::asio::make_work_guard(io);
      io.run();
    });
  }
  // Runs fn on the io thread and waits for it.
  void on_io(std::function<void()> fn) {
    std::promise<void> done;
    boost::asio::post(io, [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }
  ~Fixture() {
    on_io([this] { server.stop(); });
    io.stop();
    thread.join();
  }
  boost::asio::io_context io;
  StatusServer server;
  std::thread thread;
};

StatusHandler answer_with(std::string body) {
  return [body](const StatusRequest&, StatusReply reply) {
    StatusResponse r;
    r.body = body;
    reply(std::move(r));
  };
}

}  // namespace

TEST_CASE("status server: routes by path and method: 404, 405 with Allow, HEAD as GET", "[status_server]") {
  Fixture f;
  StatusRequest seen;
  f.server.route("GET", "/a", [&](const StatusRequest& req, StatusReply reply) {
    seen = req;
    StatusResponse r;
    r.body = "{\"a\":1}";
    r.headers.emplace_back("X-Extra", "yes");
    reply(std::move(r));
  });
  f.server.route("POST", "/a", answer_with("{\"posted\":true}"));
  f.server.route("POST", "/only-post", answer_with("{}"));
  CHECK(f.server.routes() == std::vector<std::string>{"GET /a", "POST /a", "POST /only-post"});
  f.start();
  uint16_t port = f.server.port();

  Client c1(port);
  c1.send(get("GET", "/a?x=1&y=2"));
  std::string r1 = c1.read_all();
  CHECK(status_of(r1) == 200);
  CHECK(body_of(r1) == "{\"a\":1}");
  CHECK(r1.find("Content-Type: application/json\r\n") != std::string::npos);
  CHECK(r1.find("X-Extra: yes\r\n") != std::string::npos);
  CHECK(seen.method == "GET");
  CHECK(seen.path == "/a");
  CHECK(seen.query == "x=1&y=2");
  CHECK(seen.target == "/a?x=1&y=2");

  Client c2(port);
  c2.send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbody");
  CHECK(body_of(c2.read_all()) == "{\"posted\":true}");

  Client c3(port);
  c3.send(get("GET", "/nothing"));
  std::string r3 = c3.read_all();
  CHECK(status_of(r3) == 404);
  CHECK(body_of(r3) == "{\"error\":\"not found\"}\n");

  Client c4(port);
  c4.send(get("DELETE", "/a"));
  std::string r4 = c4.read_all();
  CHECK(status_of(r4) == 405);
  CHECK(r4.find("Allow: GET, HEAD, POST\r\n") != std::string::npos);

  Client c5(port);
  c5.send(get("GET", "/only-post"));
  std::string r5 = c5.read_all();
  CHECK(status_of(r5) == 405);
  CHECK(r5.find("Allow: POST\r\n") != std::string::npos);

  Client c6(port);
  c6.send(get("HEAD", "/a"));
  std::string r6 = c6.read_all();
  CHECK(status_of(r6) == 200);
  CHECK(r6.find("Content-Length: 7\r\n") != std::string::npos);
  CHECK(body_of(r6).empty());
}

TEST_CASE("status server: an answer may come later, from another thread, none at all is a 500", "[status_server]") {
  Fixture f;
  std::promise<StatusReply> stored;
  f.server.route("POST", "/later", [&](const StatusRequest&, StatusReply reply) { stored.set_value(reply); });
  f.server.route("GET", "/never", [](const StatusRequest&, StatusReply) {});
  f.server.route("GET", "/twice", [](const StatusRequest&, StatusReply reply) {
    StatusResponse first;
    first.body = "{\"n\":1}";
    reply(first);
    StatusResponse second;
    second.body = "{\"n\":2}";
    reply(second);
  });
  f.start();

  Client c(f.server.port());
  c.send("POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  auto reply = stored.get_future();
  REQUIRE(reply.wait_for(10s) == std::future_status::ready);
  std::thread other([r = reply.get()] {
    StatusResponse resp;
    resp.status = 202;
    resp.body = "{\"done\":true}";
    r(resp);
  });
  other.join();
  std::string got = c.read_all();
  CHECK(status_of(got) == 202);
  CHECK(body_of(got) == "{\"done\":true}");

  Client never(f.server.port());
  never.send(get("GET", "/never"));
  std::string n = never.read_all();
  CHECK(status_of(n) == 500);
  CHECK(body_of(n) == "{\"error\":\"the handler gave no answer\"}\n");

  Client twice(f.server.port());
  twice.send(get("GET", "/twice"));
  CHECK(body_of(twice.read_all()) == "{\"n\":1}");
}

TEST_CASE("status server: keep-alive serves several requests on one connection", "[status_server]") {
  Fixture f;
  f.server.route("GET", "/a", answer_with("{\"a\":1}"));
  f.server.route("GET", "/b", answer_with("{\"b\":2}"));
  f.start();
  Client c(f.server.port());
  c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string first = c.read_until("{\"a\":1}");
  CHECK(status_of(first) == 200);
  CHECK(first.find("Connection: close") == std::string::npos);
  // Then two more, pipelined; the last one closes.
  c.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string rest = c.read_all();
  size_t b = rest.find("{\"b\":2}");
  CHECK(b != std::string::npos);
  CHECK(rest.find("{\"a\":1}", b) != std::string::npos);
}

TEST_CASE("status server: oversized requests are refused, malformed ones answered 400", "[status_server]") {
  StatusServerLimits limits;
  limits.max_body = 100;
  limits.max_header = 1024;
  Fixture f(limits);
  f.server.route("POST", "/p", answer_with("{}"));
  f.start();

  Client big_body(f.server.port());
  big_body.send("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n" + std::string(101, 'x'));
  CHECK(status_of(big_body.read_all()) == 413);

  Client big_head(f.server.port());
  big_head.send("GET /p HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(2000, 'x') + "\r\n\r\n");
  CHECK(status_of(big_head.read_all()) == 431);

  Client garbage(f.server.port());
  garbage.send("NOT HTTP AT ALL\r\n\r\n");
  CHECK(status_of(garbage.read_all()) == 400);
}

TEST_CASE("status server: a slow client neither blocks others nor holds its connection past read_timeout",
          "[status_server]") {
  StatusServerLimits limits;
  limits.read_timeout = 300ms;
  Fixture f(limits);
  f.server.route("GET", "/a", answer_with("{\"a\":1}"));
  f.start();
  Client slow(f.server.port());
  slow.send("GET /a HTTP/1.1\r\nHost: x\r\n");  // the head never ends
  Client quick(f.server.port());
  quick.send(get("GET", "/a"));
  CHECK(body_of(quick.read_all()) == "{\"a\":1}");
  // The slow one is closed without an answer once its time is up.
  CHECK(slow.read_all().empty());
  CHECK(test::wait_until([&] {
    size_t n = 0;
    f.on_io([&] { n = f.server.connections(); });
    return n == 0;
  }, 10s));
}

TEST_CASE("status server: at most max_connections at once, the next waits for a free one", "[status_server]") {
  StatusServerLimits limits;
  limits.max_connections = 1;
  Fixture f(limits);
  f.server.route("GET", "/a", answer_with("{\"a\":1}"));
  f.start();
  auto first = std::make_unique<Client>(f.server.port());
  first->send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(first->read_until("{\"a\":1}").find("{\"a\":1}") != std::string::npos);  // kept alive, holding the slot
  Client second(f.server.port());  // connects (the backlog), served once the first goes
  second.send(get("GET", "/a"));
  first.reset();
  CHECK(body_of(second.read_all()) == "{\"a\":1}");
}

TEST_CASE("status server: stop() closes connections, an answer given after it is dropped", "[status_server]") {
  auto f = std::make_unique<Fixture>();
  std::promise<StatusReply> stored;
  f->server.route("GET", "/later", [&](const StatusRequest&, StatusReply reply) { stored.set_value(reply); });
  f->start();
  Client c(f->server.port());
  c.send(get("GET", "/later"));
  auto reply = stored.get_future();
  REQUIRE(reply.wait_for(10s) == std::future_status::ready);
  StatusReply late = reply.get();
  f->on_io([&] { f->server.stop(); });
  CHECK(c.read_all().empty());
  late(StatusResponse{});  // nothing to answer any more
  f.reset();
  late(StatusResponse{});  // nor once the server is gone
}

TEST_CASE("status server: an address that is no IP, or a port taken, is a configuration error", "[status_server]") {
  boost::asio::io_context io;
  CHECK_THROWS_WITH(StatusServer(io, "localhost", 0), Catch::Contains("not an IP address"));
  StatusServer taken(io, "127.0.0.1", 0);
  CHECK_THROWS_WITH(StatusServer(io, "127.0.0.1", taken.port()), Catch::Contains("cannot listen on"));
}

}  // namespace SLUICE_UNITY_ID
