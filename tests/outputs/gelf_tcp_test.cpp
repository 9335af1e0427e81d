// The gelf output over TCP: NUL-framed messages on one kept connection,
// reconnecting after the server hangs up, refused connections and write
// timeouts retried. (TLS is exercised end to end in tests/e2e/gelf_e2e_test.cpp.)
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>

#include "tests/outputs/gelf_test_harness.hpp"
#include "tests/support/net.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::gelf_test;
using boost::asio::ip::tcp;

namespace {

// A GELF TCP input stand-in on the test's io_context: accepts connections
// and collects every byte; can hang up, or stop reading.
class Server {
 public:
  Server(boost::asio::io_context& io, uint16_t port)
      : acceptor_(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port)) {
    accept();
  }

  void hang_up() {
    for (auto& c : conns_) c->close();
  }
  void stop_reading() { reading_ = false; }

  std::string received;
  int accepted = 0;

 private:
  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket s) {
      if (ec) return;
      ++accepted;
      auto sock = std::make_shared<tcp::socket>(std::move(s));
      conns_.push_back(sock);
      if (reading_) read(sock);
      accept();
    });
  }
  void read(const std::shared_ptr<tcp::socket>& sock) {
    sock->async_read_some(boost::asio::buffer(buf_), [this, sock](boost::system::error_code ec, size_t n) {
      if (ec) return;
      received.append(buf_, n);
      read(sock);
    });
  }

  tcp::acceptor acceptor_;
  std::vector<std::shared_ptr<tcp::socket>> conns_;
  char buf_[65536];
  bool reading_ = true;
};

std::string tcp_config(uint16_t port, const std::string& extra = "") {
  return "mode: tcp\nhost: 127.0.0.1\nport: " + std::to_string(port) + "\n" + extra;
}

size_t count_nul(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\0')); }

}  // namespace

TEST_CASE("gelf tcp: uncompressed JSON, each message ended by a NUL byte, one connection", "[gelf][gelf_tcp]") {
  uint16_t port = test::free_tcp_port();
  Harness h(tcp_config(port));
  Server server(h.io(), port);  // on the output's io_context, driven by the harness
  CHECK(h.flush(batch_of({R"({"log":"one"})", R"({"log":"two","app":{"name":"web"}})"})).outcome ==
        Outcome::Delivered);
  CHECK(h.flush(batch_of({R"({"log":"three"})"})).outcome == Outcome::Delivered);
  h.run_until([&] { return count_nul(server.received) == 3; }, std::chrono::seconds(10));
  std::vector<std::string> frames;
  std::string rest = server.received;
  for (size_t at; (at = rest.find('\0')) != std::string::npos; rest.erase(0, at + 1)) frames.push_back(rest.substr(0, at));
  REQUIRE(frames.size() == 3);
  CHECK(rest.empty());
  CHECK(frames[0].rfind(R"({"version":"1.1","host":")", 0) == 0);
  CHECK(frames[0].find(R"("short_message":"one","timestamp":1763719200.123,"level":6})") != std::string::npos);
  CHECK(frames[1].find(R"("short_message":"two","timestamp":1763719200.123,"level":6,"_app_name":"web"})") !=
        std::string::npos);
  CHECK(frames[2].find(R"("short_message":"three")") != std::string::npos);
  CHECK(server.accepted == 1);
  CHECK(h.counter("sluice_output_gelf_connections_total") == 1);
}

TEST_CASE("gelf tcp: a server that hung up gets a new connection, nothing is lost", "[gelf][gelf_tcp]") {
  uint16_t port = test::free_tcp_port();
  Harness h(tcp_config(port));
  Server server(h.io(), port);
  CHECK(h.flush(batch_of({R"({"log":"first"})"})).outcome == Outcome::Delivered);
  h.run_until([&] { return count_nul(server.received) == 1; }, std::chrono::seconds(10));
  server.hang_up();  // Graylog restarting, or an idle timeout on a load balancer
  FlushResult r = h.flush(batch_of({R"({"log":"second"})"}));
  for (int i = 0; i < 5 && r.outcome == Outcome::Retry; ++i) r = h.flush(batch_of({R"({"log":"second"})"}));
  CHECK(r.outcome == Outcome::Delivered);
  h.run_until([&] { return server.received.find("second") != std::string::npos; }, std::chrono::seconds(10));
  CHECK(server.received.find(R"("short_message":"second")") != std::string::npos);
  CHECK(server.accepted == 2);
}

TEST_CASE("gelf tcp: refused connections and stalled writes are retried", "[gelf][gelf_tcp]") {
  SECTION("nothing listening") {
    uint16_t port = test::free_tcp_port();
    Harness h(tcp_config(port));
    FlushResult r = h.flush(batch_of({R"({"log":"x"})", R"({"log":"y"})"}));
    CHECK(r.outcome == Outcome::Retry);
    CHECK(r.per_record.empty());
    CHECK(r.reason == "cannot connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
  }
  SECTION("a server that stops reading: the write times out") {
    uint16_t port = test::free_tcp_port();
    Harness h(tcp_config(port, "request_timeout: 300ms\n"));
    Server server(h.io(), port);
    server.stop_reading();
    // More than the socket buffers on both sides can hold.
    std::string big(4 << 20, 'x');
    std::vector<std::string> records(8, R"({"log":")" + big + "\"}");
    FlushResult r = h.flush(batch_of(records));
    CHECK(r.outcome == Outcome::Retry);
    CHECK(r.reason == "write to 127.0.0.1:" + std::to_string(port) + " failed: timed out");
  }
}

}  // namespace SLUICE_UNITY_ID
