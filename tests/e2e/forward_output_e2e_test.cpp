// End to end for the forward output, with the real binary: tail → parser →
// forward, to
// - tests/peers/forward_receiver.js, a Forward server written from Fluentd's
//   protocol specification (a stand-in: no Fluentd runs here) that decodes
//   with npm's msgpack-lite, acks, runs the shared-key handshake, and
//   plays a server that doesn't ack, crashes before or after storing, or is
//   down;
// - npm fluent-logger's own mock Fluentd server (forward_mock_fluentd.js),
//   an independent implementation of the handshake and of acks;
// - sluice's own forward input (a sidecar forwarding to an aggregator).
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <thread>

#include "agent/parse/json_format.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/e2e/node_standin.hpp"
#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

int64_t num(const Value* v) { return v != nullptr && v->is_int() ? v->as_int() : -1; }

// The receiver's store: how often each seq arrived.
std::map<int, int> stored_seqs(const std::vector<std::string>& store) { return seq_counts(store); }

bool all_arrived(const std::vector<std::string>& store, int n) {
  auto counts = stored_seqs(store);
  for (int i = 0; i < n; ++i)
    if (!counts.count(i)) return false;
  return true;
}

std::string forward_keys(uint16_t port, const std::string& more = "") {
  return "      host: 127.0.0.1\n      port: " + std::to_string(port) + "\n" + more;
}

}  // namespace

TEST_CASE("e2e forward output: every record arrives once, with its tag and time, in each form", "[e2e][forward_out]") {
  struct Form {
    const char* name;
    const char* keys;
    const char* mode;
  };
  for (const Form& form : {Form{"plain", "", "forward"}, Form{"acks", "      require_ack_response: on\n", "forward"},
                           Form{"gzip and acks", "      compress: gzip\n      require_ack_response: on\n", "compressed"},
                           Form{"integer times", "      time_as_integer: on\n", "forward"}}) {
    DYNAMIC_SECTION(form.name) {
      TempDir dir;
      NodeStandIn rx(dir, "forward_receiver.js", {});
      int64_t written_at = now_seconds();
      write_app_log(dir, 500);
      auto sluice = start_sluice_with(dir, tail_to_output_yaml(dir, "forward", forward_keys(rx.port(), form.keys)));
      bool all = wait_until([&] { return all_arrived(rx.store(), 500); }, 20s);
      stop_sluice(*sluice);
      INFO(sluice->err() << rx.err());
      REQUIRE(all);
      CHECK(stored_seqs(rx.store()) == once_each(0, 500));
      JsonLines got(rx.store());
      for (const Value& line : got.values) {
        CHECK(str(line.find("tag")) == "app");
        CHECK(str(line.find("mode")) == form.mode);
        const Value* time = line.find("time");
        REQUIRE(time != nullptr);
        // The parser took the time from "ts" (whole seconds).
        int64_t sec = std::string(form.name) == "integer times" ? num(time) : num(time->find("sec"));
        CHECK(sec >= written_at - 1);
        CHECK(sec <= now_seconds());
        if (time->is_map()) CHECK(num(time->find("nsec")) == 0);
        CHECK(str(line.find("record")->find("traceId")) == "4bf92f3577b34da6a3ce929d0e0e4736");
      }
      // With acks every message the server got was acknowledged.
      if (std::string(form.keys).find("ack") != std::string::npos)
        CHECK(count_with(rx.log(), "\"acked\":false") == 0);
    }
  }
}

TEST_CASE("e2e forward output: messages not acked or lost in a crash are sent again, none lost", "[e2e][forward_out]") {
  TempDir dir;
  NodeStandIn rx(dir, "forward_receiver.js", {});
  // The first message is stored but never acked; the next two are lost as
  // the server "crashes" on reading them; the fourth is stored, then the
  // connection dies before the ack.
  rx.control(R"({"faults":[{"type":"no_ack"},{"type":"drop","count":2},{"type":"drop_after_store"}]})");
  constexpr int kLines = 300;
  std::string lines;
  for (int i = 0; i < kLines; ++i) lines += json_log_line(i);
  auto sluice = start_sluice_with(
      dir, tail_to_output_yaml(dir, "forward", forward_keys(rx.port(), "      require_ack_response: on\n"
                                                                          "      request_timeout: 1s\n")));
  // Written in four steps, so that there are several messages to fault.
  for (int part = 0; part < 4; ++part) {
    std::string chunk;
    for (int i = part * kLines / 4; i < (part + 1) * kLines / 4; ++i) chunk += json_log_line(i);
    append_file(dir.file("app.log"), chunk);
    std::this_thread::sleep_for(300ms);
  }
  bool all = wait_until([&] { return all_arrived(rx.store(), kLines); }, 30s);
  stop_sluice(*sluice);
  std::string err = sluice->err();
  INFO(err << rx.err());
  REQUIRE(all);
  // At least once: the faulted messages' records arrived again, nothing is missing.
  auto counts = stored_seqs(rx.store());
  for (int i = 0; i < kLines; ++i) CHECK(counts[i] >= 1);
  CHECK(err.find("no ack from 127.0.0.1:" + std::to_string(rx.port()) + " within request_timeout") != std::string::npos);
  CHECK(err.find(" 0 dead-lettered") != std::string::npos);
  CHECK(read_lines(dir.file("dead.jsonl")).empty());
  // Each fault was played (the server saw those messages).
  std::vector<std::string> log = rx.log();
  CHECK(count_with(log, R"("fault":"no_ack")") == 1);
  CHECK(count_with(log, R"("fault":"drop")") == 2);
  CHECK(count_with(log, R"("fault":"drop_after_store")") == 1);
}

TEST_CASE("e2e forward output: a server down at start gets everything once it is up", "[e2e][forward_out]") {
  TempDir dir;
  uint16_t port = free_tcp_port();
  write_app_log(dir, 200);
  auto sluice = start_sluice_with(
      dir, tail_to_output_yaml(dir, "forward", forward_keys(port, "      require_ack_response: on\n")));
  REQUIRE(wait_until([&] { return sluice->err().find("cannot connect to 127.0.0.1:" + std::to_string(port)) !=
                                  std::string::npos; }, 20s));
  NodeStandIn rx(dir, "forward_receiver.js", {"--port", std::to_string(port)});
  bool all = wait_until([&] { return all_arrived(rx.store(), 200); }, 30s);
  stop_sluice(*sluice);
  INFO(sluice->err());
  REQUIRE(all);
  CHECK(stored_seqs(rx.store()) == once_each(0, 200));
}

TEST_CASE("e2e forward output: the shared-key handshake, with users", "[e2e][forward_out]") {
  TempDir dir;
  write_app_log(dir, 100);
  const std::string secure = "      shared_key: s3cret\n      self_hostname: sidecar-1\n      username: bob\n"
                             "      password: pw\n      require_ack_response: on\n";

  SECTION("npm fluent-logger's mock Fluentd server accepts us and acks every message") {
    // Its mock reads PackedForward (a bin of entries) and Message mode only, so the entries go gzipped.
    NodeStandIn rx(dir, "forward_mock_fluentd.js", {"--shared-key", "s3cret", "--user", "bob", "--password", "pw"});
    auto sluice = start_sluice_with(
        dir, tail_to_output_yaml(dir, "forward", forward_keys(rx.port(), secure + "      compress: gzip\n")));
    bool all = wait_until([&] { return all_arrived(rx.store(), 100); }, 20s);
    stop_sluice(*sluice);
    INFO(sluice->err() << rx.err());
    REQUIRE(all);
    CHECK(stored_seqs(rx.store()) == once_each(0, 100));
  }
  SECTION("our stand-in: accepted, with the host name and user sent") {
    NodeStandIn rx(dir, "forward_receiver.js", {"--shared-key", "s3cret", "--user", "bob", "--password", "pw"});
    auto sluice = start_sluice_with(dir, tail_to_output_yaml(dir, "forward", forward_keys(rx.port(), secure)));
    bool all = wait_until([&] { return all_arrived(rx.store(), 100); }, 20s);
    stop_sluice(*sluice);
    REQUIRE(all);
    CHECK(count_with(rx.log(), R"("event":"handshake","ok":true,"hostname":"sidecar-1","user":"bob")") >= 1);
  }
  SECTION("a server whose HELO says keepalive: false gets a new connection for each flush") {
    NodeStandIn rx(dir, "forward_receiver.js",
                   {"--shared-key", "s3cret", "--user", "bob", "--password", "pw", "--no-keepalive"});
    // Written in five steps, so that there are several flushes.
    write_file(dir.file("app.log"), "");
    auto sluice = start_sluice_with(dir, tail_to_output_yaml(dir, "forward", forward_keys(rx.port(), secure)));
    for (int part = 0; part < 5; ++part) {
      std::string chunk;
      for (int i = part * 20; i < (part + 1) * 20; ++i) chunk += json_log_line(i);
      append_file(dir.file("app.log"), chunk);
      std::this_thread::sleep_for(250ms);
    }
    bool all = wait_until([&] { return all_arrived(rx.store(), 100); }, 20s);
    stop_sluice(*sluice);
    INFO(sluice->err());
    REQUIRE(all);
    CHECK(stored_seqs(rx.store()) == once_each(0, 100));
    std::vector<std::string> log = rx.log();
    // One message per connection, each after its own handshake.
    CHECK(count_with(log, R"("event":"handshake","ok":true)") == count_with(log, R"("event":"message")"));
    CHECK(count_with(log, R"("event":"message")") >= 2);
  }
  SECTION("a wrong key: nothing is sent, the server's reason is in sluice's log, the records wait") {
    NodeStandIn rx(dir, "forward_mock_fluentd.js", {"--shared-key", "other", "--user", "bob", "--password", "pw"});
    auto sluice = start_sluice_with(
        dir, tail_to_output_yaml(dir, "forward", forward_keys(rx.port(), secure + "      compress: gzip\n")));
    bool refused = wait_until([&] {
      return sluice->err().find("the server refused the handshake: shared key mismatch") != std::string::npos;
    }, 20s);
    INFO(sluice->err());
    CHECK(refused);
    sluice->signal(SIGKILL);
    sluice->wait(10s);
    CHECK(rx.store().empty());
  }
  SECTION("shared_key set, but the server asks for none: a clear error after connect_timeout") {
    NodeStandIn rx(dir, "forward_receiver.js", {});
    auto sluice = start_sluice_with(
        dir, tail_to_output_yaml(dir, "forward", forward_keys(rx.port(), "      shared_key: s3cret\n"
                                                                            "      connect_timeout: 1s\n")));
    bool said = wait_until([&] {
      return sluice->err().find("no HELO from 127.0.0.1:" + std::to_string(rx.port()) +
                                " within connect_timeout: shared_key is set; does the server ask for one?") !=
             std::string::npos;
    }, 20s);
    INFO(sluice->err());
    CHECK(said);
    sluice->signal(SIGKILL);
    sluice->wait(10s);
    CHECK(rx.store().empty());
  }
}

TEST_CASE("e2e forward output: TLS with a test CA", "[e2e][forward_out]") {
  TempDir dir;
  TestPki pki = make_test_pki(dir.path());
  NodeStandIn rx(dir, "forward_receiver.js", {"--tls", "--cert", pki.server_crt, "--key", pki.server_key});
  write_app_log(dir, 50);
  std::string tls = "      tls: on\n      tls.vhost: localhost\n      require_ack_response: on\n";
  SECTION("the right CA: delivered") {
    auto sluice = start_sluice_with(
        dir, tail_to_output_yaml(dir, "forward", forward_keys(rx.port(), tls + "      tls.ca_file: " + pki.ca_crt + "\n")));
    bool all = wait_until([&] { return all_arrived(rx.store(), 50); }, 20s);
    stop_sluice(*sluice);
    INFO(sluice->err() << rx.err());
    REQUIRE(all);
    CHECK(stored_seqs(rx.store()) == once_each(0, 50));
  }
  SECTION("a CA that didn't sign the server: nothing sent, the reason in sluice's log") {
    auto sluice = start_sluice_with(
        dir, tail_to_output_yaml(dir, "forward",
                                 forward_keys(rx.port(), tls + "      tls.ca_file: " + pki.other_ca_crt + "\n")));
    bool said = wait_until([&] { return sluice->err().find("certificate verify failed (") != std::string::npos; }, 20s);
    INFO(sluice->err());
    CHECK(said);
    sluice->signal(SIGKILL);
    sluice->wait(10s);
    CHECK(rx.store().empty());
  }
}

TEST_CASE("e2e forward output: sluice to sluice (a sidecar forwarding to an aggregator)", "[e2e][forward_out]") {
  // sidecar: tail → forward (gzip, acks, shared key and user) → aggregator: forward input → forward → the
  // stand-in, which shows each value and the time to the nanosecond as msgpack-lite decoded them.
  TempDir agg_dir, side_dir;
  NodeStandIn rx(agg_dir, "forward_receiver.js", {});
  uint16_t port = free_tcp_port();
  auto aggregator = start_sluice_with(
      agg_dir, "service:\n  flush: 100ms\n  log_level: info\npipeline:\n  inputs:\n    - name: forward\n"
               "      listen: 127.0.0.1\n      port: " + std::to_string(port) + "\n"
               "      shared_key: s3cret\n      security.users: bob pw\n"
               "  outputs:\n    - name: forward\n      match: '*'\n      port: " + std::to_string(rx.port()) +
               "\n      require_ack_response: on\n");
  REQUIRE(wait_until([&] { return aggregator->err().find("listening for Forward") != std::string::npos; }, 10s));
  write_file(side_dir.file("app.log"),
             R"({"seq":0,"t":"2024-05-06T07:08:09.123456789Z","i":-42,"big":9007199254740993,"d":0.1,"b":true,)"
             R"("n":null,"a":[1,"x",{"k":[]}],"u":"héllo ☃ \u0001"})" "\n");
  auto sidecar = start_sluice_with(
      side_dir,
      "service:\n  flush: 100ms\n  log_level: info\npipeline:\n  inputs:\n    - name: tail\n      tag: web.app\n"
      "      path: " + side_dir.file("app.log") + "\n      read_from_head: on\n"
      "  filters:\n    - name: parser\n      match: '*'\n      key_name: log\n      parser: j\n"
      "  outputs:\n    - name: forward\n      match: '*'\n      port: " + std::to_string(port) +
      "\n      require_ack_response: on\n      compress: gzip\n"
      "      shared_key: s3cret\n      username: bob\n      password: pw\n"
      "parsers:\n  - name: j\n    format: json\n    time_key: t\n    time_format: '%Y-%m-%dT%H:%M:%S.%LZ'\n"
      "    time_keep: on\n");
  bool arrived = wait_until([&] { return !rx.store().empty(); }, 20s);
  stop_sluice(*sidecar);
  stop_sluice(*aggregator);
  INFO(sidecar->err() << aggregator->err());
  REQUIRE(arrived);
  std::vector<std::string> got = rx.store();
  REQUIRE(got.size() == 1);
  // 9007199254740993 is 2^53 + 1: msgpack-lite reads a uint64 as a JS number, so it shows as ...992; the
  // bytes on the wire held the integer (the unit tests read it back exactly).
  CHECK(got[0].find(R"("tag":"web.app","mode":"forward","time":{"sec":1714979289,"nsec":123456789},)"
                    R"("record":{"seq":0,"t":"2024-05-06T07:08:09.123456789Z","i":-42,"big":9007199254740992,)"
                    R"("d":0.1,"b":true,"n":null,"a":[1,"x",{"k":[]}],"u":"héllo ☃ \u0001"})") != std::string::npos);
}

TEST_CASE("e2e forward output: unix_path, to the stand-in and to sluice's forward input on a unix socket",
          "[e2e][forward_out]") {
  TempDir dir;
  const std::string to_standin = dir.file("standin.sock");
  NodeStandIn rx(dir, "forward_receiver.js", {"--path", to_standin, "--shared-key", "s3cret"});
  // The aggregator: sluice's forward input listening on a unix socket too.
  TempDir agg_dir;
  const std::string to_sluice = agg_dir.file("fwd.sock");
  auto aggregator = start_sluice_with(
      agg_dir, "service:\n  flush: 100ms\n  log_level: info\npipeline:\n  inputs:\n    - name: forward\n"
               "      unix_path: " + to_sluice + "\n  outputs:\n    - name: file\n      match: '*'\n      path: " +
                   agg_dir.file("out") + "\n      mkdir: on\n");
  REQUIRE(wait_until([&] { return aggregator->err().find("listening for Forward") != std::string::npos; }, 10s));
  auto sidecar = start_sluice_with(
      dir, "service:\n  flush: 100ms\n  log_level: info\npipeline:\n  inputs:\n    - name: dummy\n"
           "      tag: side.app\n      dummy: '{\"msg\":\"over a unix socket\"}'\n      samples: 20\n      rate: 100\n"
           "  outputs:\n    - name: forward\n      match: '*'\n      unix_path: " + to_standin +
               "\n      require_ack_response: on\n      shared_key: s3cret\n"
               "    - name: forward\n      match: '*'\n      unix_path: " + to_sluice +
               "\n      require_ack_response: on\n      compress: gzip\n");
  bool arrived = wait_until([&] {
    return rx.store().size() >= 20 && read_lines(agg_dir.file("out/side.app")).size() >= 20;
  }, 20s);
  // The sidecar's dummy input stops after 20 records: sluice drains its outputs and exits by itself.
  CHECK(sidecar->wait(30s) == 0);
  stop_sluice(*aggregator);
  INFO(sidecar->err() << aggregator->err());
  REQUIRE(arrived);
  CHECK(rx.store().size() == 20);
  CHECK(read_lines(agg_dir.file("out/side.app")).size() == 20);
  CHECK(rx.store()[0].find(R"("tag":"side.app")") != std::string::npos);
  CHECK(rx.store()[0].find(R"("record":{"msg":"over a unix socket"})") != std::string::npos);
}

TEST_CASE("e2e forward output: kill -9 while messages wait for their acks loses nothing", "[e2e][forward_out]") {
  // tail (offsets in a db) → forward with acks. The stand-in holds its acks
  // for 30 s; sluice is killed while those records are in flight (stored by
  // the server, not acknowledged, their offsets not committed). Started
  // again, it sends them once more: every record arrives, those repeated.
  TempDir dir;
  NodeStandIn rx(dir, "forward_receiver.js", {});
  std::string yaml = "service:\n  flush: 100ms\n  grace: 5s\n  log_level: info\n"
                     "pipeline:\n  inputs:\n    - name: tail\n      tag: app\n      path: " + dir.file("app.log") +
                     "\n      db: " + dir.file("tail.db") + "\n      read_from_head: on\n"
                     "  outputs:\n    - name: forward\n      match: '*'\n      port: " + std::to_string(rx.port()) +
                     "\n      require_ack_response: on\n      request_timeout: 60s\n";
  std::string lines;
  for (int i = 0; i < 1000; ++i) lines += json_log_line(i);
  write_file(dir.file("app.log"), lines);
  auto sluice = start_sluice_with(dir, yaml);
  REQUIRE(wait_until([&] { return all_arrived(rx.store(), 1000); }, 20s));
  rx.control(R"({"faults":[{"type":"delay","ms":30000,"count":1000}]})");
  std::this_thread::sleep_for(300ms);  // the control file is read at the next message
  std::string more;
  for (int i = 1000; i < 2000; ++i) more += json_log_line(i);
  append_file(dir.file("app.log"), more);
  // The next message reached the server, which now sits on it.
  REQUIRE(wait_until([&] { return count_with(rx.log(), R"("event":"held")") >= 1; }, 20s));
  sluice->signal(SIGKILL);
  REQUIRE(sluice->wait(10s).has_value());
  rx.control(R"({"faults":[]})");
  sluice = start_sluice_with(dir, yaml);
  bool all = wait_until([&] { return all_arrived(rx.store(), 2000); }, 30s);
  stop_sluice(*sluice);
  INFO(sluice->err());
  REQUIRE(all);
  auto counts = stored_seqs(rx.store());
  for (int i = 0; i < 1000; ++i) CHECK(counts[i] == 1);  // acknowledged before the kill: not sent again
  for (int i = 1000; i < 2000; ++i) CHECK(counts[i] >= 1);
}

}  // namespace SLUICE_UNITY_ID
