// The opentelemetry output end to end: the official OpenTelemetry JS SDK
// exports to sluice's opentelemetry input, sluice sends on with its
// opentelemetry output to an OTLP/HTTP receiver (tests/peers/otlp_receiver.js,
// a stand-in for the Collector's, answering 503 first), and protobufjs with
// the official .proto definitions (tests/peers/otlp_decode.js) reads what
// arrived: every log once, with its body, time, severity, attributes, trace
// and span ids, resource and scope. A file's lines go out with Fluent Bit's
// fallback keys. With grpc: on, the receiver is a real gRPC server
// (@grpc/grpc-js, tests/peers/otlp_grpc_receiver.js), with and without TLS.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

std::string peer(const std::string& script) { return std::string(SLUICE_SOURCE_DIR) + "/tests/peers/" + script; }

// An OTLP endpoint stand-in saving what it accepts under dir/name:
// otlp_receiver.js (OTLP/HTTP) by default, or otlp_grpc_receiver.js.
class Receiver {
 public:
  // The first fail_first requests are answered `status` (503 comes with Retry-After: 1).
  Receiver(const TempDir& dir, int fail_first, int status = 503, const std::string& name = "received")
      : Receiver(dir, name, "otlp_receiver.js",
                 {"--fail-first", std::to_string(fail_first), "--status", std::to_string(status)}) {}
  Receiver(const TempDir& dir, const std::string& name, const std::string& script, std::vector<std::string> args)
      : dir_(dir.file(name)) {
    std::filesystem::create_directories(dir_);
    std::vector<std::string> argv = {"/usr/bin/env", "node", peer(script), dir_};
    argv.insert(argv.end(), args.begin(), args.end());
    process_ = std::make_unique<Process>(argv);
    static const std::regex listening("listening (\\d+)");
    std::smatch m;
    bool up = wait_until([&] {
      std::string out = process_->out();
      if (!std::regex_search(out, m, listening)) return !process_->running();
      port = static_cast<uint16_t>(std::stoi(m[1]));
      return true;
    }, 30s);
    INFO(process_->err());
    REQUIRE(up);
    REQUIRE(port != 0);
  }
  // Every log record received so far, decoded by otlp_decode.js (one JSON line each).
  std::vector<std::string> logs() const {
    std::vector<std::string> all;
    for (const auto& f : std::filesystem::directory_iterator(dir_)) {
      Process decode({"/usr/bin/env", "node", peer("otlp_decode.js"), f.path().string()});
      auto status = decode.wait(30s);
      INFO(decode.err());
      CHECK(status == 0);
      std::string out = decode.out();
      size_t at = 0, nl;
      while ((nl = out.find('\n', at)) != std::string::npos) {
        all.push_back(out.substr(at, nl - at));
        at = nl + 1;
      }
    }
    return all;
  }
  size_t bodies() const {
    return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir_), {}));
  }
  std::string out() const { return process_->out(); }
  uint16_t port = 0;

 private:
  std::string dir_;
  std::unique_ptr<Process> process_;
};

// sluice on dir/p.yaml, once its opentelemetry input listens.
std::unique_ptr<Process> start_sluice(const TempDir& dir) {
  auto p = std::make_unique<Process>(std::vector<std::string>{SLUICE_BINARY, "-c", dir.file("p.yaml")});
  bool up = wait_until([&] { return p->err().find("OTLP/HTTP logs at") != std::string::npos || !p->running(); }, 10s);
  INFO(p->err());
  REQUIRE(up);
  REQUIRE(p->running());
  return p;
}

// The official SDK exports `count` logs to the input on in_port; extra: --service NAME, --body-map.
void sdk_export(uint16_t in_port, int count, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {"/usr/bin/env", "node", peer("otlp_log_sender.js"), "--url",
                                   "http://127.0.0.1:" + std::to_string(in_port) + "/v1/logs", "--count",
                                   std::to_string(count)};
  argv.insert(argv.end(), extra.begin(), extra.end());
  Process sdk(argv);
  auto status = sdk.wait(60s);
  INFO(sdk.err());
  CHECK(status == 0);
}

// Each "seq" 0..n-1 among the decoded logs exactly once.
void check_each_seq_once(const std::vector<std::string>& logs, int n) {
  std::map<int, int> seen;
  for (const auto& l : logs) {
    auto at = l.find(R"("seq":)");
    if (at != std::string::npos) ++seen[std::stoi(l.substr(at + 6))];
  }
  CHECK(seen.size() == static_cast<size_t>(n));
  CHECK(std::all_of(seen.begin(), seen.end(), [](const auto& kv) { return kv.second == 1; }));
}

size_t count_with(const std::vector<std::string>& lines, const std::string& text) {
  return static_cast<size_t>(
      std::count_if(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(text) != std::string::npos; }));
}

}  // namespace

TEST_CASE("opentelemetry output: the SDK's logs reach an OTLP receiver through sluice, every field intact",
          "[e2e][opentelemetry]") {
  TempDir dir;
  const std::string compress = GENERATE(std::string("gzip"), std::string("zstd"));
  Receiver receiver(dir, 2);  // the first two requests are answered 503 + Retry-After: 1
  uint16_t in_port = free_tcp_port();
  write_file(dir.file("app.log"), "{\"msg\":\"from a file\",\"SeverityText\":\"WARN\",\"SeverityNumber\":13,"
                                  "\"TraceId\":\"4bf92f3577b34da6a3ce929d0e0e4736\"}\n");
  write_file(dir.file("p.yaml"),
             "service:\n  flush: 100ms\n  log_level: info\npipeline:\n  inputs:\n"
             "    - name: opentelemetry\n      listen: 127.0.0.1\n      port: " + std::to_string(in_port) + "\n"
             "    - name: tail\n      path: " + dir.file("app.log") + "\n      read_from_head: on\n      tag: file\n"
             "      parser: json\n"
             "  outputs:\n    - name: opentelemetry\n      match: '*'\n      host: 127.0.0.1\n      port: " +
                 std::to_string(receiver.port) +
                 "\n      compress: " + compress + "\n      batch_size: 40\n      retry_base: 100ms\n"
                 "      retry_cap: 1s\n");
  auto sluice = start_sluice(dir);

  sdk_export(in_port, 100, {"--service", "checkout", "--body-map"});
  std::vector<std::string> logs;
  wait_until([&] { return (logs = receiver.logs()).size() >= 101; }, 20s);
  INFO(sluice->err());
  REQUIRE(logs.size() == 101);
  // batch_size 40: the SDK's 100 and the file's line came in at least 3 requests.
  CHECK(receiver.bodies() >= 3);

  check_each_seq_once(logs, 100);
  auto first = std::find_if(logs.begin(), logs.end(), [](const std::string& l) {
    return l.find(R"("body":{"msg":"request 3",)") != std::string::npos;
  });
  REQUIRE(first != logs.end());
  for (const char* part : {R"("resource":{"service.name":"checkout"})",
                           R"("scope":{"name":"sluice-test","version":"1.2.3","attributes":{}})",
                           R"("time_unix_nano":"1700000000003000000")", R"("severity_number":9,"severity_text":"INFO")",
                           R"("body":{"msg":"request 3","i":3,"ok":true,"nested":{"a":[1,"two",3.5]}})",
                           R"("attributes":{"http.method":"GET","http.status_code":200,"seq":3})",
                           R"("trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331","flags":1)"})
    CHECK_THAT(*first, Catch::Contains(part));
  // The file's line has no OTLP metadata: Fluent Bit's fallback keys in the record give its severity and trace.
  CHECK(count_with(logs, R"("severity_number":13,"severity_text":"WARN")") == 1);
  CHECK(count_with(logs, R"("trace_id":"4bf92f3577b34da6a3ce929d0e0e4736")") == 1);
  CHECK(count_with(logs, R"("body":{"msg":"from a file")") == 1);
  CHECK_THAT(receiver.out(), Catch::Contains("encoding " + compress + "\n"));
  CHECK_THAT(sluice->err(), Catch::Contains("503"));
  sluice->signal(SIGTERM);
  CHECK(sluice->wait(15s) == 0);
}

TEST_CASE("opentelemetry output: logs refused for good are dead-lettered with their OTLP fields, and replayed whole",
          "[e2e][opentelemetry]") {
  TempDir dir;
  Receiver refusing(dir, 1000, 400, "refused");  // answers every request 400: a permanent refusal
  uint16_t in_port = free_tcp_port();
  auto pipeline = [&](uint16_t out_port) {
    return "service:\n  flush: 100ms\n  log_level: info\n  dead_letter_file: " + dir.file("dead.jsonl") +
           "\npipeline:\n  inputs:\n    - name: opentelemetry\n      listen: 127.0.0.1\n      port: " +
           std::to_string(in_port) + "\n  outputs:\n    - name: opentelemetry\n      match: '*'\n      host: 127.0.0.1\n"
           "      port: " + std::to_string(out_port) + "\n";
  };
  write_file(dir.file("p.yaml"), pipeline(refusing.port));
  auto sluice = start_sluice(dir);
  sdk_export(in_port, 5, {"--service", "billing"});
  bool dead = wait_until([&] { return read_lines(dir.file("dead.jsonl")).size() == 5; }, 20s);
  sluice->signal(SIGTERM);
  CHECK(sluice->wait(15s) == 0);
  INFO(sluice->err());
  REQUIRE(dead);
  for (const auto& line : read_lines(dir.file("dead.jsonl"))) {
    CHECK_THAT(line, Catch::Contains(R"("metadata":{"otlp":{)"));
    CHECK_THAT(line, Catch::Contains(R"("severity_text":"INFO")"));
    CHECK_THAT(line, Catch::Contains(R"("trace_id":"0af7651916cd43dd8448eb211c80319c")"));
  }
  // The receiver is fixed: the replay sends each log as it came, its OTLP fields included.
  Receiver fixed(dir, 0, 503, "fixed");
  write_file(dir.file("fixed.yaml"), pipeline(fixed.port));
  Process replay({SLUICE_BINARY, "dead-letter", "replay", "-c", dir.file("fixed.yaml")});
  CHECK(replay.wait(60s) == 0);
  INFO(replay.out() << replay.err());
  std::vector<std::string> logs;
  wait_until([&] { return (logs = fixed.logs()).size() >= 5; }, 20s);
  REQUIRE(logs.size() == 5);
  for (const auto& l : logs) {
    CHECK_THAT(l, Catch::Contains(R"("resource":{"service.name":"billing"})"));
    CHECK_THAT(l, Catch::Contains(R"("severity_number":9,"severity_text":"INFO")"));
    CHECK_THAT(l, Catch::Contains(R"("trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331")"));
  }
}

TEST_CASE("opentelemetry output: grpc on sends OTLP/gRPC to a gRPC server, UNAVAILABLE retried, over TLS too",
          "[e2e][opentelemetry]") {
  TempDir dir;
  auto pki = make_test_pki(dir.path());
  bool tls = GENERATE(false, true);
  // A real gRPC server (@grpc/grpc-js) answering the first two calls UNAVAILABLE.
  std::vector<std::string> args = {"--fail-first", "2"};
  if (tls) args.insert(args.end(), {"--tls", pki.server_crt, pki.server_key});
  Receiver receiver(dir, "grpc", "otlp_grpc_receiver.js", args);
  uint16_t in_port = free_tcp_port();
  write_file(dir.file("p.yaml"),
             "service:\n  flush: 100ms\n  log_level: info\npipeline:\n  inputs:\n"
             "    - name: opentelemetry\n      listen: 127.0.0.1\n      port: " + std::to_string(in_port) + "\n"
             "  outputs:\n    - name: opentelemetry\n      match: '*'\n      host: " +
                 std::string(tls ? "localhost" : "127.0.0.1") + "\n      port: " + std::to_string(receiver.port) +
                 "\n      grpc: on\n      compress: gzip\n      batch_size: 30\n      retry_base: 100ms\n"
                 "      retry_cap: 1s\n      header: authorization Bearer t0ken\n" +
                 (tls ? "      tls: on\n      tls.ca_file: " + pki.ca_crt + "\n" : std::string()));
  auto sluice = start_sluice(dir);
  sdk_export(in_port, 100, {"--service", "grpc-out", "--body-map"});
  std::vector<std::string> logs;
  wait_until([&] { return (logs = receiver.logs()).size() >= 100; }, 30s);
  INFO(sluice->err() << receiver.out());
  REQUIRE(logs.size() == 100);
  check_each_seq_once(logs, 100);
  for (const char* part : {R"("resource":{"service.name":"grpc-out"})", R"("severity_number":9,"severity_text":"INFO")",
                           R"("trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331","flags":1)"})
    CHECK(count_with(logs, part) == 100);
  CHECK_THAT(receiver.out(), Catch::Contains("authorization=Bearer t0ken"));
  CHECK_THAT(sluice->err(), Catch::Contains("gRPC UNAVAILABLE: stand-in refusing call 1"));
  sluice->signal(SIGTERM);
  CHECK(sluice->wait(15s) == 0);
}

TEST_CASE("opentelemetry output: a gRPC INVALID_ARGUMENT is permanent, its records dead-lettered with the message",
          "[e2e][opentelemetry]") {
  TempDir dir;
  Receiver receiver(dir, "grpc", "otlp_grpc_receiver.js", {"--fail-first", "1000", "--code", "3"});
  uint16_t in_port = free_tcp_port();
  write_file(dir.file("p.yaml"),
             "service:\n  flush: 100ms\n  log_level: info\n  dead_letter_file: " + dir.file("dead.jsonl") +
                 "\npipeline:\n  inputs:\n    - name: opentelemetry\n      listen: 127.0.0.1\n      port: " +
                 std::to_string(in_port) + "\n  outputs:\n    - name: opentelemetry\n      match: '*'\n"
                 "      host: 127.0.0.1\n      port: " + std::to_string(receiver.port) + "\n      grpc: on\n");
  auto sluice = start_sluice(dir);
  sdk_export(in_port, 3);
  bool dead = wait_until([&] { return read_lines(dir.file("dead.jsonl")).size() == 3; }, 20s);
  sluice->signal(SIGTERM);
  CHECK(sluice->wait(15s) == 0);
  INFO(sluice->err());
  REQUIRE(dead);
  for (const auto& line : read_lines(dir.file("dead.jsonl")))
    CHECK_THAT(line, Catch::Contains(R"("reason":"gRPC INVALID_ARGUMENT: stand-in refusing call 1")"));
  CHECK(receiver.bodies() == 0);
}

}  // namespace SLUICE_UNITY_ID
