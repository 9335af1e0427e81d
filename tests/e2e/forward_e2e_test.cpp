// End to end with the real binary and a real Forward client: npm's
// fluent-logger (tests/peers/forward_sender.js) in each of its modes, with
// and without acknowledgements; and raw sockets for what a client library
// won't send (bytes that aren't MessagePack, a message split across writes,
// records still in the kernel's buffer at shutdown).
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <map>
#include <set>
#include <thread>

#include "agent/parse/json_format.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

// sluice: forward on port → file output, one file per tag under dir/out.
std::unique_ptr<Process> start_forward(const TempDir& dir, uint16_t port, const std::string& input_keys = "") {
  auto p = start_sluice_with(dir, "service:\n  flush: 100ms\n  log_level: info\npipeline:\n  inputs:\n"
                                  "    - name: forward\n      listen: 127.0.0.1\n      port: " +
                                      std::to_string(port) + "\n" + input_keys +
                                      "  outputs:\n    - name: file\n      match: '*'\n      path: " +
                                      dir.file("out") + "\n      mkdir: on\n      json_date_format: epoch_ms\n");
  bool up = wait_until([&] { return p->err().find("listening for Forward") != std::string::npos || !p->running(); },
                       10s);
  INFO(p->err());
  REQUIRE(up);
  REQUIRE(p->running());
  return p;
}

// seq → (date in ms, the record's line), from every file under dir/out named by tag.
std::map<std::string, std::vector<std::string>> lines_by_tag(const TempDir& dir, const std::vector<std::string>& tags) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& t : tags) out[t] = read_lines(dir.file("out/" + t));
  return out;
}

// Waits (15 s at most) until the app.web and app.db files hold n lines between them.
bool wait_for_app_lines(const TempDir& dir, size_t n) {
  return wait_until([&] {
    auto lines = lines_by_tag(dir, {"app.web", "app.db"});
    return lines["app.web"].size() + lines["app.db"].size() >= n;
  }, 15s);
}

int seq_of(const std::string& line) {
  auto at = line.find("\"seq\":");
  return at == std::string::npos ? -1 : std::stoi(line.substr(at + 6));
}

int64_t date_ms_of(const std::string& line) {
  auto at = line.find("\"date\":");
  return at == std::string::npos ? -1 : std::stoll(line.substr(at + 7));
}

std::vector<std::string> sender_argv(uint16_t port, const std::string& mode, int count, bool ack,
                                     const std::string& prefix, const std::vector<std::string>& more) {
  std::vector<std::string> argv = {"/usr/bin/env", "node", std::string(SLUICE_SOURCE_DIR) + "/tests/peers/forward_sender.js",
                                   "--port", std::to_string(port), "--mode", mode, "--count", std::to_string(count),
                                   "--prefix", prefix};
  if (ack) argv.push_back("--ack");
  argv.insert(argv.end(), more.begin(), more.end());
  return argv;
}

std::string run_sender(uint16_t port, const std::string& mode, int count, bool ack, const std::string& prefix = "app",
                       const std::vector<std::string>& more = {}) {
  Process sender(sender_argv(port, mode, count, ack, prefix, more));
  auto status = sender.wait(60s);
  INFO(sender.out() << sender.err());
  CHECK(status == 0);
  return sender.out();
}

int connect_to(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  return fd;
}

void send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    REQUIRE(n > 0);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

// [tag, 1700000000, {"seq": seq}] in Message mode, with a chunk option when chunk isn't empty.
std::string message(const std::string& tag, int seq, const std::string& chunk = "") {
  std::string b;
  b += static_cast<char>(chunk.empty() ? 0x93 : 0x94);
  b += static_cast<char>(0xa0 | tag.size());
  b += tag;
  b += std::string("\xce\x65\x53\xf1\x00", 5);  // 1700000000
  b += "\x81\xa3seq\xcd";
  b += static_cast<char>((seq >> 8) & 0xff);
  b += static_cast<char>(seq & 0xff);
  if (!chunk.empty()) {
    b += "\x81\xa5" "chunk";
    b += static_cast<char>(0xa0 | chunk.size());
    b += chunk;
  }
  return b;
}

}  // namespace

TEST_CASE("e2e forward: fluent-logger's three modes arrive with their tags, times and acks", "[e2e][forward]") {
  for (std::string mode : {"Message", "PackedForward", "CompressedPackedForward"}) {
    for (bool ack : {true, false}) {
      DYNAMIC_SECTION(mode << (ack ? " with acks" : " without acks")) {
        TempDir dir;
        uint16_t port = free_tcp_port();
        auto sluice = start_forward(dir, port, "      tag_prefix: fwd.\n");
        constexpr int kCount = 600;
        std::string summary = run_sender(port, mode, kCount, ack);
        CHECK(summary.find("\"done\":600,\"failed\":0") != std::string::npos);
        std::map<std::string, std::vector<std::string>> lines;
        bool all = wait_until([&] {
          lines = lines_by_tag(dir, {"fwd.app.web", "fwd.app.db"});
          return lines["fwd.app.web"].size() + lines["fwd.app.db"].size() >= kCount;
        }, 15s);
        stop_sluice(*sluice);
        REQUIRE(all);
        std::set<int> seen;
        for (const auto& [tag, tag_lines] : lines)
          for (const auto& line : tag_lines) {
            int seq = seq_of(line);
            INFO(tag << ": " << line);
            CHECK(seen.insert(seq).second);  // once each
            CHECK(tag == (seq % 3 == 0 ? "fwd.app.web" : "fwd.app.db"));
            CHECK(line.find(R"("nested":{"codes":[200,2.5,null,true],"who":"ann"})") != std::string::npos);
            // EventTime: the sender's seconds and nanoseconds (to the millisecond here).
            if (seq % 2) CHECK(date_ms_of(line) == (1700000000LL + seq) * 1000 + 123);
            else CHECK(std::abs(date_ms_of(line) / 1000 - now_seconds()) < 120);
          }
        CHECK(seen.size() == static_cast<size_t>(kCount));
      }
    }
  }
}

TEST_CASE("e2e forward: raw senders: acks, split messages, bytes that aren't MessagePack, shutdown", "[e2e][forward]") {
  TempDir dir;
  uint16_t port = free_tcp_port();
  auto sluice = start_forward(dir, port, "      tag: raw\n");

  // A message in three writes, apart, then its ack.
  int fd = connect_to(port);
  std::string m = message("ignored.by.tag", 1, "chunk-1");
  send_all(fd, m.substr(0, 3));
  std::this_thread::sleep_for(100ms);
  send_all(fd, m.substr(3, 7));
  std::this_thread::sleep_for(100ms);
  send_all(fd, m.substr(10));
  std::string ack = "\x81\xa3" "ack\xa7" "chunk-1";
  std::string got(ack.size(), '\0');
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  REQUIRE(::recv(fd, got.data(), got.size(), MSG_WAITALL) == static_cast<ssize_t>(ack.size()));
  CHECK(got == ack);

  // A message of the wrong shape (a time that is `true`) is dropped, and
  // acknowledged all the same: sent again, it would be refused again.
  std::string bad_time = std::string("\x94\xa1t\xc3\x80\x81\xa5" "chunk\xa5" "bad-1");
  send_all(fd, bad_time);
  std::string bad_ack = "\x81\xa3" "ack\xa5" "bad-1";
  std::string got_bad(bad_ack.size(), '\0');
  REQUIRE(::recv(fd, got_bad.data(), got_bad.size(), MSG_WAITALL) == static_cast<ssize_t>(bad_ack.size()));
  CHECK(got_bad == bad_ack);

  // Bytes that aren't MessagePack: that connection is closed, others go on.
  int bad = connect_to(port);
  send_all(bad, std::string("\x93\xc1junk", 6));
  ::setsockopt(bad, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char c;
  CHECK(::recv(bad, &c, 1, 0) == 0);  // EOF from sluice
  ::close(bad);
  send_all(fd, message("t", 2));
  // Records sent just before sluice stops are delivered.
  for (int seq = 3; seq < 50; ++seq) send_all(fd, message("t", seq));
  std::this_thread::sleep_for(200ms);
  stop_sluice(*sluice);
  ::close(fd);

  std::set<int> seen;
  for (const auto& line : read_lines(dir.file("out/raw"))) seen.insert(seq_of(line));
  CHECK(seen.size() == 49);
  CHECK(*seen.begin() == 1);
  CHECK(*seen.rbegin() == 49);
  // The first of these is logged (the rest of a burst only every 100th).
  CHECK(sluice->err().find("a message's time is not seconds or an EventTime; the message is dropped") !=
        std::string::npos);
}

TEST_CASE("e2e forward: the shared-key handshake with npm fluent-logger's client", "[e2e][forward]") {
  TempDir dir;
  uint16_t port = free_tcp_port();
  auto sluice = start_forward(dir, port,
                              "      shared_key: s3cret\n      self_hostname: aggregator\n"
                              "      security.users: [\"bob pw\", \"ann other\"]\n");
  SECTION("the right key and user: every record arrives") {
    std::string summary = run_sender(port, "PackedForward", 90, true, "app",
                                     {"--shared-key", "s3cret", "--hostname", "web-1", "--user", "bob", "--password", "pw"});
    CHECK(summary.find("\"done\":90,\"failed\":0") != std::string::npos);
    bool all = wait_for_app_lines(dir, 90);
    stop_sluice(*sluice);
    CHECK(all);
  }
  for (auto [what, flags] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"shared_key mismatch", {"--shared-key", "wrong", "--hostname", "web-1", "--user", "bob", "--password", "pw"}},
           {"username/password mismatch",
            {"--shared-key", "s3cret", "--hostname", "web-1", "--user", "bob", "--password", "nope"}}}) {
    DYNAMIC_SECTION("refused: " << what) {
      // fluent-logger retries its handshake forever: it is stopped once sluice has refused it.
      Process sender(sender_argv(port, "Message", 5, true, "app", flags));
      const std::string expected = "handshake refused: " + what;  // a structured binding can't be captured (clang 14)
      bool refused = wait_until([&] { return sluice->err().find(expected) != std::string::npos; }, 20s);
      sender.signal(SIGKILL);
      sender.wait(10s);
      INFO(sluice->err() << sender.out() << sender.err());
      CHECK(refused);
      stop_sluice(*sluice);
      CHECK(read_lines(dir.file("out/app.web")).empty());
      CHECK(read_lines(dir.file("out/app.db")).empty());
    }
  }
  SECTION("a sender without the handshake is refused: its message is not read") {
    int fd = connect_to(port);
    send_all(fd, message("app.web", 7));
    bool refused = wait_until([&] {
      return sluice->err().find("handshake refused: expected PING") != std::string::npos;
    }, 10s);
    ::close(fd);
    stop_sluice(*sluice);
    CHECK(refused);
    CHECK(read_lines(dir.file("out/app.web")).empty());
  }
}

TEST_CASE("e2e forward: TLS, with Python's ssl client verifying the certificate, acks, a plain client refused",
          "[e2e][forward]") {
  TempDir dir;
  auto pki = make_test_pki(dir.path());
  uint16_t port = free_tcp_port();
  auto sluice = start_forward(dir, port,
                              "      tls: on\n      tls.crt_file: " + pki.server_crt + "\n      tls.key_file: " +
                                  pki.server_key + "\n");
  CHECK_THAT(sluice->err(), Catch::Contains("listening for Forward messages on tcp 127.0.0.1:" +
                                            std::to_string(port) + " (TLS)"));
  // Each message waits for its ack before the next (tests/peers/forward_tls_sender.py).
  const std::string sender = std::string(SLUICE_SOURCE_DIR) + "/tests/peers/forward_tls_sender.py";
  Process python({"/usr/bin/python3", sender, "--port", std::to_string(port), "--ca", pki.ca_crt, "--count", "150"});
  auto status = python.wait(60s);
  INFO(python.out());
  CHECK(status == 0);
  CHECK(python.out() == "acked 150\n");
  // Plain Forward bytes to the TLS port: the handshake fails, nothing is read.
  int fd = connect_to(port);
  send_all(fd, message("app.plain", 1));
  bool failed = wait_until(
      [&] { return sluice->err().find("TLS handshake with tcp://127.0.0.1:") != std::string::npos; }, 15s);
  ::close(fd);
  bool all = wait_until([&] { return read_lines(dir.file("out/app.tls")).size() >= 150; }, 15s);
  stop_sluice(*sluice);
  INFO(sluice->err());
  CHECK(failed);
  CHECK(all);
  std::set<int> seqs;
  for (const auto& l : read_lines(dir.file("out/app.tls"))) seqs.insert(seq_of(l));
  CHECK(seqs.size() == 150);
  CHECK(read_lines(dir.file("out/app.plain")).empty());
}

TEST_CASE("e2e forward: a unix socket (unix_path), fluent-logger connecting by path", "[e2e][forward]") {
  TempDir dir;
  std::string sock = dir.file("fwd.sock");
  // A stale socket file from an earlier run is replaced.
  {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", sock.c_str());
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    ::close(fd);
  }
  auto sluice = start_sluice_with(dir, "service:\n  flush: 100ms\n  log_level: info\npipeline:\n  inputs:\n"
                                       "    - name: forward\n      unix_path: " + sock + "\n      unix_perm: '0660'\n"
                                       "  outputs:\n    - name: file\n      match: '*'\n      path: " +
                                       dir.file("out") + "\n      mkdir: on\n");
  bool up = wait_until([&] { return sluice->err().find("listening for Forward messages on unix socket") !=
                                    std::string::npos || !sluice->running(); }, 10s);
  INFO(sluice->err());
  REQUIRE(up);
  struct stat st {};
  REQUIRE(::stat(sock.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0660);
  std::string summary = run_sender(0, "PackedForward", 60, true, "app", {"--path", sock});
  CHECK(summary.find("\"done\":60,\"failed\":0") != std::string::npos);
  bool all = wait_for_app_lines(dir, 60);
  stop_sluice(*sluice);
  CHECK(all);
  // The socket file goes with the input.
  CHECK(::stat(sock.c_str(), &st) != 0);
}

}  // namespace SLUICE_UNITY_ID
