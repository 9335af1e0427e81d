// The syslog input over real sockets on 127.0.0.1 and unix sockets, with an
// in-memory pipeline: every message arrives with its fields, batching into
// chunks, truncation, parse errors, many connections, a stalled client,
// backpressure (TCP stops reading; UDP drops are counted), stop.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/time.h>
#include <sys/stat.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <netinet/in.h>
#include <sys/socket.h>
#include <set>
#include <thread>

#include "agent/parse/time_format.hpp"
#include "tests/inputs/syslog_harness.hpp"
#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::syslog_test;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

std::string msg5424(int i) {
  return "<134>1 2026-11-21T10:00:00.000001Z web01 shop 4711 ORDER [o@32473 id=\"" + std::to_string(i) + "\"] order " +
         std::to_string(i) + " placed";
}

std::string port_yaml(const char* mode, uint16_t port) {
  return std::string("mode: ") + mode + "\nlisten: 127.0.0.1\nport: " + std::to_string(port) + "\n";
}

// A TLS client with OpenSSL on a blocking socket. The handshake runs on its
// own thread, because the input's side of it runs on the test's io_context.
// Every blocking call is bounded: the socket's receive and send timeouts
// make SSL_connect and SSL_write give up after kIoTimeout; the
// destructor shuts the socket's reading side first, so a test that fails while the
// handshake is stuck does not wait on it (an input that never answers must
// fail the test, not hang it until ctest's timeout).
class TlsClient {
 public:
  // Below run_until's 10 s, so that a stuck handshake ends (with its reason)
  // before the test stops waiting for it.
  static constexpr std::chrono::seconds kIoTimeout{5};

  TlsClient(uint16_t port, const std::string& ca_file)
      : ctx_(SSL_CTX_new(TLS_client_method())), conn_(tcp_connect(port)) {
    timeval tv{static_cast<time_t>(kIoTimeout.count()), 0};
    ::setsockopt(conn_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(conn_.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, conn_.get());
    handshake_ = std::thread([this] {
      int r = SSL_connect(ssl_);
      if (r == 1) {
        connected_ = true;
      } else {
        error_ = failure("SSL_connect", r);
      }
      done_ = true;
    });
  }
  ~TlsClient() {
    // Wakes a handshake still waiting for the input (its read sees EOF). Not
    // SHUT_WR: a ClientHello written after it would raise SIGPIPE.
    ::shutdown(conn_.get(), SHUT_RD);
    if (handshake_.joinable()) handshake_.join();
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }
  bool handshake_done() const { return done_; }
  bool connected() {
    if (handshake_.joinable()) handshake_.join();
    return connected_;
  }
  // Waits for the handshake to end; why it failed, or "" if it did not.
  std::string error() {
    if (handshake_.joinable()) handshake_.join();
    return error_;
  }
  bool send(const std::string& data) { return SSL_write(ssl_, data.data(), static_cast<int>(data.size())) > 0; }

 private:
  std::string failure(const char* call, int r) {
    int saved_errno = errno;
    int code = SSL_get_error(ssl_, r);
    // The socket's timeout reads as a retry (WANT_READ) to OpenSSL's socket BIO.
    if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE ||
        (code == SSL_ERROR_SYSCALL && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK)))
      return std::string(call) + ": no answer within " + std::to_string(kIoTimeout.count()) + " s";
    char text[256] = {};
    ERR_error_string_n(ERR_get_error(), text, sizeof text);
    return std::string(call) + " failed: SSL error " + std::to_string(code) + " " + text +
           (saved_errno != 0 ? std::string(" (") + std::strerror(saved_errno) + ")" : "");
  }

  SSL_CTX* ctx_;
  Fd conn_;
  SSL* ssl_ = nullptr;
  std::thread handshake_;
  std::atomic<bool> done_{false};
  bool connected_ = false;
  std::string error_;
};

}  // namespace

TEST_CASE("syslog udp: one message per datagram, with every field", "[syslog][syslog_input]") {
  TestContext ctx;
  uint16_t port = test::free_udp_port();
  auto input = make_syslog(port_yaml("udp", port) + "source_address_key: src\nraw_message_key: raw\ntag: net");
  input->start(ctx);
  uint16_t from = udp_send(port, msg5424(1) + "\n");
  udp_send(port, std::string("<14>python says hi\0", 19));
  udp_send(port, "garbage without priority");
  REQUIRE(ctx.run_until([&] { return ctx.records() == 3; }));
  auto json = ctx.json();
  CHECK(json[0] == R"({"pri":134,"facility":16,"facility_name":"local0","severity":6,"severity_name":"info",)"
                   R"("time":"2026-11-21T10:00:00.000001Z","host":"web01","ident":"shop","pid":"4711",)"
                   R"("msgid":"ORDER","extradata":{"o@32473":{"id":"1"}},"message":"order 1 placed",)"
                   R"("src":"udp://127.0.0.1:)" +
                       std::to_string(from) + R"(","raw":)" + json::to_string(Value::string(msg5424(1))) + "}");
  CHECK(ctx.chunks[0]->events[0].time_ns == *timefmt::parse_rfc3339("2026-11-21T10:00:00.000001Z"));
  CHECK_THAT(json[1], Contains(R"("severity_name":"info","message":"python says hi")"));
  CHECK_THAT(json[2], Contains(R"({"message":"garbage without priority","parse_error":true,"src":"udp://)"));
  CHECK(ctx.chunks[0]->tag == "net");
  CHECK(ctx.metric("sluice_input_parse_failures_total") == 1);
  input->stop();
}

TEST_CASE("syslog udp: a datagram over buffer_max_size is cut and flagged", "[syslog][syslog_input]") {
  TestContext ctx;
  uint16_t port = test::free_udp_port();
  auto input = make_syslog(port_yaml("udp", port) + "buffer_max_size: 64");
  input->start(ctx);
  std::string big = "<13>" + std::string(500, 'x');
  udp_send(port, big);
  udp_send(port, "<13>small");
  REQUIRE(ctx.run_until([&] { return ctx.records() == 2; }));
  CHECK(ctx.json()[0] == R"({"pri":13,"facility":1,"facility_name":"user","severity":5,"severity_name":"notice",)"
                         R"("message":")" +
                             std::string(60, 'x') + R"(","truncated":true})");
  CHECK(ctx.values("message")[1] == "small");
  CHECK(ctx.metric("sluice_input_truncated_total") == 1);
}

namespace {

uint16_t local_port(int fd) {
  sockaddr_in a{};
  socklen_t n = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n) == 0);
  return ntohs(a.sin_port);
}

// The timer kind /proc/net/tcp shows for the socket bound to local_port whose
// peer is at remote_port (0 none, 1 retransmit, 2 keepalive), -1 if none such.
int server_timer_kind(uint16_t local, uint16_t remote) {
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);  // the header
  char want_local[8], want_remote[8];
  std::snprintf(want_local, sizeof want_local, ":%04X", local);
  std::snprintf(want_remote, sizeof want_remote, ":%04X", remote);
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local_addr, remote_addr, state, queues, timer;
    fields >> slot >> local_addr >> remote_addr >> state >> queues >> timer;
    if (local_addr.size() < 5 || remote_addr.size() < 5) continue;
    if (local_addr.substr(local_addr.size() - 5) == want_local &&
        remote_addr.substr(remote_addr.size() - 5) == want_remote)
      return std::stoi(timer.substr(0, 2), nullptr, 16);
  }
  return -1;
}

}  // namespace

TEST_CASE("syslog tcp: octet counting, LF and NUL framing on concurrent connections", "[syslog][syslog_input]") {
  TestContext ctx;
  uint16_t port = test::free_tcp_port();
  auto input = make_syslog(port_yaml("tcp", port) + "source_address_key: src");
  input->start(ctx);
  Fd counted_conn = tcp_connect(port);
  Fd lf_conn = tcp_connect(port);
  Fd nul_conn = tcp_connect(port);
  // Frames split mid-count and mid-message across writes (and reads).
  std::string c = counted(msg5424(1)) + counted(msg5424(2));
  send_all(counted_conn, c.substr(0, 1));
  send_all(lf_conn, "<13>Nov 21 10:00:00 h app[1]: lf one\n<13>Nov 21 10:00:00 h app[1]: lf ");
  send_all(nul_conn, std::string("<14>nul one\0<14>nul", 19));
  ctx.run_for(50ms);
  send_all(counted_conn, c.substr(1, 40));
  send_all(lf_conn, "two\r\n");
  send_all(nul_conn, std::string(" two\0", 5));
  send_all(counted_conn, c.substr(41));
  REQUIRE(ctx.run_until([&] { return ctx.records() == 6; }));
  std::multiset<std::string> got;
  for (const auto& m : ctx.values("message")) got.insert(m);
  CHECK(got ==
        std::multiset<std::string>{"order 1 placed", "order 2 placed", "lf one", "lf two", "nul one", "nul two"});
  // Each record names its own connection's peer (taken from accept, not getpeername).
  std::multiset<std::string> sources;
  for (const auto& src : ctx.values("src")) sources.insert(src);
  std::multiset<std::string> peers;
  for (const Fd* fd : {&counted_conn, &lf_conn, &nul_conn}) {
    std::string peer = "tcp://127.0.0.1:" + std::to_string(local_port(fd->get()));
    peers.insert(peer);
    peers.insert(peer);
  }
  CHECK(sources == peers);
  // The server's side of every connection has keepalive on (inherited from
  // the listening socket): the kernel shows its keepalive timer (2).
  for (const Fd* fd : {&counted_conn, &lf_conn, &nul_conn})
    CHECK(server_timer_kind(port, local_port(fd->get())) == 2);
  CHECK(ctx.metric("sluice_input_connections") == 3);
  CHECK(ctx.metric("sluice_input_connections_total") == 3);
  SECTION("a peer's close ends its connection; its last unterminated message counts") {
    send_all(lf_conn, "<13>last words");
    lf_conn.reset();
    REQUIRE(ctx.run_until([&] { return ctx.metric("sluice_input_connections") == 2; }));
    CHECK(ctx.values("message").back() == "last words");
  }
  SECTION("bad octet counts are kept as parse errors and counted; the connection goes on") {
    send_all(counted_conn, "12x <13>junk\n" + counted("<13>after"));
    REQUIRE(ctx.run_until([&] { return ctx.records() == 8; }));
    CHECK_THAT(ctx.json()[6], Contains(R"({"message":"12x <13>junk","parse_error":true,)"));
    CHECK(ctx.values("message")[7] == "after");
    CHECK(ctx.metric("sluice_input_framing_errors_total") == 1);
  }
  input->stop();
  CHECK(ctx.metric("sluice_input_connections") == 0);
}

TEST_CASE("syslog tcp: messages read together travel in one chunk", "[syslog][syslog_input]") {
  TestContext ctx;
  uint16_t port = test::free_tcp_port();
  auto input = make_syslog(port_yaml("tcp", port));
  input->start(ctx);
  Fd conn = tcp_connect(port);
  std::string batch;
  for (int i = 0; i < 50; ++i) batch += counted(msg5424(i));
  send_all(conn, batch);
  REQUIRE(ctx.run_until([&] { return ctx.records() == 50; }));
  CHECK(ctx.chunks.size() == 1);
  CHECK(ctx.values("message")[49] == "order 49 placed");
}

TEST_CASE("syslog tcp: many connections, a stalled or idle client holds up no one", "[syslog][syslog_input]") {
  TestContext ctx;
  uint16_t port = test::free_tcp_port();
  auto input = make_syslog(port_yaml("tcp", port));
  input->start(ctx);
  // Half-open in effect: a frame announced and never completed, and a client
  // that connects and says nothing.
  Fd stalled = tcp_connect(port);
  send_all(stalled, "200 <13>1 - - - - - - this frame never ends");
  Fd idle = tcp_connect(port);
  constexpr int kClients = 200;
  constexpr int kEach = 5;
  std::vector<Fd> clients;
  for (int c = 0; c < kClients; ++c) clients.push_back(tcp_connect(port));
  for (int c = 0; c < kClients; ++c) {
    std::string data;
    for (int i = 0; i < kEach; ++i) data += counted(msg5424(c * kEach + i));
    send_all(clients[c], data);
  }
  REQUIRE(ctx.run_until([&] { return ctx.records() == kClients * kEach; }));
  std::set<std::string> ids;
  for (const auto& c : ctx.chunks) {
    for (const auto& e : c->events)
      ids.insert(std::string(e.record.find("extradata")->find("o@32473")->find("id")->as_string()));
  }
  CHECK(ids.size() == kClients * kEach);
  CHECK(ctx.metric("sluice_input_connections") == kClients + 2);
  input->stop();
}

TEST_CASE("syslog tcp: while the pipeline is paused nothing is read, the sender is pushed back",
          "[syslog][syslog_input]") {
  TestContext ctx;
  uint16_t port = test::free_tcp_port();
  auto input = make_syslog(port_yaml("tcp", port) + "receive_buffer_size: 4k");
  input->start(ctx);
  Fd conn = tcp_connect(port);
  ctx.run_for(20ms);  // accepted
  ctx.paused_ = true;
  int sndbuf = 4096;
  ::setsockopt(conn.get(), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  ::fcntl(conn.get(), F_SETFL, O_NONBLOCK);
  // Write until the kernel refuses more: both socket buffers are full.
  std::string pending;
  int sent = 0;
  bool pushed_back = false;
  for (int i = 0; i < 100000 && !pushed_back; ++i) {
    std::string frame = counted(msg5424(i));
    ssize_t n = ::send(conn.get(), frame.data(), frame.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EAGAIN) {
      pushed_back = true;
      pending = frame;
    } else if (n != static_cast<ssize_t>(frame.size())) {
      pending = frame.substr(n < 0 ? 0 : static_cast<size_t>(n));
      pushed_back = true;
    }
    ++sent;
  }
  CHECK(pushed_back);
  ctx.run_for(100ms);
  CHECK(ctx.records() == 0);
  ctx.paused_ = false;
  ::fcntl(conn.get(), F_SETFL, 0);
  std::thread writer([&] { send_all(conn, pending); });
  bool all = ctx.run_until([&] { return ctx.records() == static_cast<size_t>(sent); });
  writer.join();
  REQUIRE(all);
  CHECK(ctx.values("message").back() == "order " + std::to_string(sent - 1) + " placed");
}

TEST_CASE("syslog tcp: a chunk the filesystem buffer refuses is held, reading stops, nothing is lost",
          "[syslog][syslog_input][storage]") {
  TestContext ctx;
  uint16_t port = test::free_tcp_port();
  auto input = make_syslog(port_yaml("tcp", port) + "receive_buffer_size: 4k");
  input->start(ctx);
  Fd conn = tcp_connect(port);
  ctx.run_for(20ms);  // accepted
  ctx.refuse = true;  // the disk under the buffer is full
  send_all(conn, counted(msg5424(0)));
  REQUIRE(ctx.run_until([&] { return ctx.refused > 0; }));
  // While the chunk waits, the connection isn't read: the sender is pushed back.
  int sndbuf = 4096;
  ::setsockopt(conn.get(), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  ::fcntl(conn.get(), F_SETFL, O_NONBLOCK);
  std::string pending;
  int sent = 1;
  bool pushed_back = false;
  for (int i = 1; i < 100000 && !pushed_back; ++i) {
    std::string frame = counted(msg5424(i));
    ssize_t n = ::send(conn.get(), frame.data(), frame.size(), MSG_NOSIGNAL);
    if (n != static_cast<ssize_t>(frame.size())) {
      pending = frame.substr(n < 0 ? 0 : static_cast<size_t>(n));
      pushed_back = true;
    }
    ++sent;
  }
  CHECK(pushed_back);
  ctx.run_for(100ms);
  CHECK(ctx.records() == 0);
  CHECK(ctx.refused > 1);  // offered again and again
  ctx.refuse = false;
  ::fcntl(conn.get(), F_SETFL, 0);
  std::thread writer([&] { send_all(conn, pending); });
  bool all = ctx.run_until([&] { return ctx.records() == static_cast<size_t>(sent); });
  writer.join();
  REQUIRE(all);
  // In order: the held chunk first.
  CHECK(ctx.values("message").front() == "order 0 placed");
  CHECK(ctx.values("message").back() == "order " + std::to_string(sent - 1) + " placed");
}

TEST_CASE("syslog udp: while paused datagrams wait in the socket buffer, overflow is counted",
          "[syslog][syslog_input]") {
  TestContext ctx;
  uint16_t port = test::free_udp_port();
  auto input = make_syslog(port_yaml("udp", port) + "receive_buffer_size: 1k");
  input->start(ctx);
  ctx.paused_ = true;
  ctx.run_for(10ms);
  constexpr int kSent = 300;
  for (int i = 0; i < kSent; ++i) udp_send(port, msg5424(i));
  ctx.run_for(50ms);
  CHECK(ctx.records() == 0);
  ctx.paused_ = false;
  REQUIRE(ctx.run_until([&] { return ctx.records() > 0; }));
  ctx.run_for(50ms);
  // The kernel reports its drop count with the next datagram.
  udp_send(port, "<13>after the pause");
  REQUIRE(ctx.run_until([&] {
    auto m = ctx.values("message");
    return !m.empty() && m.back() == "after the pause";
  }));
  uint64_t dropped = ctx.metric("sluice_input_records_dropped_total");
  CHECK(dropped > 0);
  CHECK(ctx.records() - 1 + dropped == kSent);
}

TEST_CASE("syslog unix sockets: stream and datagram, permissions, cleanup", "[syslog][syslog_input]") {
  TestContext ctx;
  test::TempDir dir;
  SECTION("unix_tcp") {
    std::string path = dir.file("in.sock");
    auto input = make_syslog("mode: unix_tcp\npath: " + path + "\nunix_perm: '0660'\nsource_address_key: src");
    input->start(ctx);
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0660);
    Fd conn = unix_connect(path);
    send_all(conn, "<13>Nov 21 10:00:00 root: over a unix stream\n");
    REQUIRE(ctx.run_until([&] { return ctx.records() == 1; }));
    CHECK_THAT(ctx.json()[0], Contains(R"("ident":"root","message":"over a unix stream","src":"unix://)" + path));
    input->stop();
    CHECK_FALSE(std::filesystem::exists(path));
  }
  SECTION("unix_udp replaces a stale socket file") {
    std::string path = dir.file("dgram.sock");
    {
      // A socket file left by a process that is gone (as after a crash).
      Fd stale(::socket(AF_UNIX, SOCK_DGRAM, 0));
      auto a = unix_address(path);
      REQUIRE(::bind(stale.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    }
    REQUIRE(std::filesystem::exists(path));
    auto input = make_syslog("mode: unix_udp\npath: " + path);
    input->start(ctx);
    unix_dgram_send(path, "<13>Nov 21 10:00:00 root: over a unix datagram");
    REQUIRE(ctx.run_until([&] { return ctx.records() == 1; }));
    CHECK(ctx.values("message") == std::vector<std::string>{"over a unix datagram"});
    input->stop();
  }
}

TEST_CASE("syslog: a named parser reads the whole message", "[syslog][syslog_input]") {
  TestContext ctx;
  uint16_t port = test::free_udp_port();
  auto input = make_syslog(port_yaml("udp", port) + "parser: json");
  input->start(ctx);
  udp_send(port, R"({"level":"info","msg":"from json"})");
  udp_send(port, "<13>not json");
  REQUIRE(ctx.run_until([&] { return ctx.records() == 2; }));
  CHECK(ctx.json() == std::vector<std::string>{R"({"level":"info","msg":"from json"})",
                                               R"({"pri":13,"facility":1,"facility_name":"user","severity":5,)"
                                               R"("severity_name":"notice","message":"<13>not json",)"
                                               R"("parse_error":true})"});
}

TEST_CASE("syslog: after stop nothing is accepted or emitted", "[syslog][syslog_input]") {
  TestContext ctx;
  uint16_t port = test::free_tcp_port();
  auto input = make_syslog(port_yaml("tcp", port));
  input->start(ctx);
  Fd conn = tcp_connect(port);
  send_all(conn, "<13>before stop\n");
  REQUIRE(ctx.run_until([&] { return ctx.records() == 1; }));
  input->stop();
  CHECK_THROWS(tcp_connect(port));
  ctx.run_for(50ms);
  CHECK(ctx.records() == 1);
}

TEST_CASE("syslog: stop still reads what the kernel holds, even while paused", "[syslog][syslog_input]") {
  TestContext ctx;
  SECTION("tcp: bytes TCP already acknowledged to the sender are not lost") {
    uint16_t port = test::free_tcp_port();
    auto input = make_syslog(port_yaml("tcp", port));
    input->start(ctx);
    Fd conn = tcp_connect(port);
    ctx.run_for(20ms);
    ctx.paused_ = true;
    send_all(conn, counted(msg5424(1)) + counted(msg5424(2)) + "17 <13>1 - - - - -");
    ctx.run_for(50ms);
    REQUIRE(ctx.records() == 0);
    input->stop();
    CHECK(ctx.values("message") == std::vector<std::string>{"order 1 placed", "order 2 placed"});
  }
  SECTION("tls: the same, through OpenSSL's buffers") {
    test::TempDir dir;
    auto pki = test::make_test_pki(dir.path());
    uint16_t port = test::free_tcp_port();
    auto input = make_syslog(port_yaml("tcp", port) + "tls: on\ntls.crt_file: " + pki.server_crt +
                             "\ntls.key_file: " + pki.server_key + "\n");
    input->start(ctx);
    TlsClient client(port, pki.ca_crt);
    bool done = ctx.run_until([&] { return client.handshake_done(); });
    INFO(client.error());
    REQUIRE(done);
    REQUIRE(client.connected());
    REQUIRE(client.send(counted(msg5424(1))));
    REQUIRE(ctx.run_until([&] { return ctx.records() == 1; }));
    ctx.paused_ = true;
    REQUIRE(client.send(counted(msg5424(2)) + counted(msg5424(3)) + "17 <13>1 - - - - -"));
    ctx.run_for(50ms);
    REQUIRE(ctx.records() == 1);
    input->stop();
    CHECK(ctx.values("message") == std::vector<std::string>{"order 1 placed", "order 2 placed", "order 3 placed"});
  }
  SECTION("udp: queued datagrams") {
    uint16_t port = test::free_udp_port();
    auto input = make_syslog(port_yaml("udp", port));
    input->start(ctx);
    ctx.paused_ = true;
    for (int i = 0; i < 3; ++i) udp_send(port, msg5424(i));
    ctx.run_for(50ms);
    REQUIRE(ctx.records() == 0);
    input->stop();
    CHECK(ctx.records() == 3);
  }
}

}  // namespace SLUICE_UNITY_ID
