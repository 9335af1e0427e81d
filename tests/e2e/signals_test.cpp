// End to end: stdin piping, shutdown on SIGTERM/SIGINT with a drain that
// delivers what was queued, a second signal exiting at once, and the memory
// budget pausing a file input.
#include <catch2/catch.hpp>

#include <signal.h>

#include <filesystem>
#include <map>
#include <regex>
#include <sstream>

#include "tests/e2e/es_standin.hpp"
#include "tests/e2e/status_http.hpp"
#include "tests/outputs/http_test_peers.hpp"
#include "tests/support/net.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

TEST_CASE("app | sluice: every stdin line is delivered and EOF exits 0", "[e2e][stdin]") {
  TempDir dir;
  std::string lines;
  for (int i = 0; i < 1000; ++i) lines += "{\"n\":" + std::to_string(i) + ",\"msg\":\"hello\"}\n";
  lines += "last line without newline";
  write_file(dir.file("in.txt"), lines);
  write_file(dir.file("p.yaml"),
             "service:\n  log_level: warn\npipeline:\n  inputs:\n    - name: stdin\n      tag: app\n"
             "  filters:\n    - name: parser\n      match: '*'\n      key_name: log\n      parser: json\n"
             "  outputs:\n    - name: stdout\n      format: json_lines\n      json_date_key: false\n");
  write_file(dir.file("run.sh"), "#!/bin/sh\nexec \"$1\" -c \"$2\" < \"$3\"\n");
  Process p({"/bin/sh", dir.file("run.sh"), SLUICE_BINARY, dir.file("p.yaml"), dir.file("in.txt")});
  auto status = p.wait(30s);
  INFO(p.err());
  REQUIRE(status == 0);
  std::string out = p.out();
  CHECK(out.find("{\"n\":0,\"msg\":\"hello\"}\n") == 0);
  CHECK(out.find("{\"n\":999,\"msg\":\"hello\"}\n") != std::string::npos);
  CHECK(out.find("{\"log\":\"last line without newline\"}\n") != std::string::npos);
  size_t count = 0;
  for (char c : out) count += c == '\n';
  CHECK(count == 1001);
}

TEST_CASE("SIGINT drains and exits 0, a second signal exits at once", "[e2e][signals]") {
  TempDir dir;
  write_file(dir.file("p.yaml"),
             "service:\n  grace: 30s\npipeline:\n  inputs:\n    - name: dummy\n      rate: 100\n"
             "  outputs:\n    - name: stdout\n      format: json_lines\n");
  {
    Process p({SLUICE_BINARY, "-c", dir.file("p.yaml")});
    REQUIRE(wait_until([&] { return p.out().size() > 100; }, 10s));
    p.signal(SIGINT);
    REQUIRE(p.wait(10s) == 0);
    CHECK(p.err().find("stopping") != std::string::npos);
    CHECK(p.err().find("output stdout.0:") != std::string::npos);
  }
  // An output that can't deliver holds the drain for `grace`; the second
  // signal cuts it short.
  write_file(dir.file("stuck.yaml"),
             "service:\n  grace: 60s\npipeline:\n  inputs:\n    - name: dummy\n      rate: 100\n"
             "  outputs:\n    - name: file\n      path: " + dir.file("missing/dir") + "\n      retry_base: 10s\n");
  {
    Process p({SLUICE_BINARY, "-c", dir.file("stuck.yaml")});
    REQUIRE(wait_until([&] { return p.err().find("will be retried") != std::string::npos; }, 10s));
    p.signal(SIGTERM);
    CHECK_FALSE(p.wait(500ms).has_value());
    p.signal(SIGTERM);
    CHECK(p.wait(5s) == 1);
    CHECK(p.err().find("second signal") != std::string::npos);
  }
}

namespace {



// The tail db's committed offset of path (-1 if none).
long committed_offset(const std::string& db, const std::string& path) {
  for (const auto& line : read_lines(db)) {
    if (line.empty() || line[0] == '#' || line.find(path) == std::string::npos) continue;
    std::istringstream in(line);
    long dev = 0, ino = 0, offset = -1;
    in >> dev >> ino >> offset;
    return offset;
  }
  return -1;
}

}  // namespace

TEST_CASE("SIGTERM delivers what the outputs hold queued within grace, then commits it", "[e2e][signals]") {
  // flush: 1h keeps every record queued: nothing is sent until the drain.
  TempDir dir;
  PythonPeer sink("http_sink.py", {"--out", dir.file("requests.jsonl")});
  std::string lines;
  for (int i = 0; i < 1000; ++i) lines += "{\"seq\":" + std::to_string(i) + "}\n";
  write_file(dir.file("app.log"), lines);
  uint16_t status_port = free_tcp_port();
  write_file(dir.file("p.yaml"),
             "service:\n  flush: 1h\n  grace: 20s\n  http_server: on\n  http_port: " + std::to_string(status_port) +
                 "\npipeline:\n  inputs:\n    - name: tail\n      tag: app\n      path: " + dir.file("app.log") +
                 "\n      db: " + dir.file("tail.db") + "\n      read_from_head: on\n"
                 "  filters:\n    - name: parser\n      match: app\n      key_name: log\n      parser: json\n"
                 "  outputs:\n    - name: http\n      match: app\n      port: " + std::to_string(sink.port()) +
                 "\n      format: json_lines\n");
  Process sluice({SLUICE_BINARY, "-c", dir.file("p.yaml")});
  REQUIRE(wait_until([&] {
    HttpGet got = http_get(status_port, "/api/v1/metrics");
    return got.status == 200 && parse_prometheus(got.body)[R"(sluice_output_records_total{output="http.0"})"] == 1000;
  }, 20s));
  CHECK(sink_requests(dir.file("requests.jsonl")).empty());
  CHECK(committed_offset(dir.file("tail.db"), dir.file("app.log")) <= 0);

  sluice.signal(SIGTERM);
  auto status = sluice.wait(30s);
  INFO(sluice.err());
  REQUIRE(status == 0);
  std::vector<std::string> bodies;
  for (const auto& r : sink_requests(dir.file("requests.jsonl"))) bodies.push_back(r.body);
  std::vector<std::string> records;
  for (const auto& b : bodies) {
    std::istringstream in(b);
    for (std::string l; std::getline(in, l);) records.push_back(l);
  }
  CHECK(seq_counts(records) == once_each(0, 1000));
  CHECK_THAT(sluice.err(), Catch::Contains("output http.0: 1000 records delivered, 0 retried, 0 dead-lettered"));
  // Delivered, so committed: a restart would not read them again.
  CHECK(committed_offset(dir.file("tail.db"), dir.file("app.log")) ==
        static_cast<long>(std::filesystem::file_size(dir.file("app.log"))));
}

TEST_CASE("service.mem_limit pauses a file input while an output is slow, logged and counted, losing nothing",
          "[e2e][signals][backpressure]") {
  // The Elasticsearch stand-in answers its first requests a second late, so
  // what the tail input reads piles up in memory until the budget is full.
  TempDir dir;
  write_file(dir.file("control.json"), R"({"faults":[{"type":"slow","delay":1,"count":3}]})");
  EsStandIn es(dir);
  std::string lines;
  const std::string pad(200, 'x');
  for (int i = 0; i < 20000; ++i) lines += "{\"seq\":" + std::to_string(i) + ",\"pad\":\"" + pad + "\"}\n";
  write_file(dir.file("app.log"), lines);
  uint16_t status_port = free_tcp_port();
  write_file(dir.file("p.yaml"),
             "service:\n  flush: 100ms\n  grace: 20s\n  mem_limit: 1M\n  http_server: on\n  http_port: " +
                 std::to_string(status_port) +
                 "\npipeline:\n  inputs:\n    - name: tail\n      tag: app\n      path: " + dir.file("app.log") +
                 "\n      read_from_head: on\n"
                 "  filters:\n    - name: parser\n      match: app\n      key_name: log\n      parser: json\n"
                 "  outputs:\n    - name: es\n      match: app\n      port: " + std::to_string(es.port()) +
                 "\n      batch_max_records: 1000\n      batch_max_bytes: 512k\n");
  Process sluice({SLUICE_BINARY, "-c", dir.file("p.yaml")});
  // Paused while the first answers are late: seen in the metrics while it happens.
  REQUIRE(wait_until([&] {
    HttpGet got = http_get(status_port, "/api/v1/metrics");
    return got.status == 200 && parse_prometheus(got.body)[R"(sluice_input_pauses_total{service="pipeline"})"] >= 1;
  }, 20s));
  REQUIRE(wait_until([&] { return es.stored().size() >= 20000; }, 60s));
  sluice.signal(SIGTERM);
  auto status = sluice.wait(30s);
  INFO(sluice.err());
  REQUIRE(status == 0);
  CHECK(seq_counts(es.stored()) == once_each(0, 20000));
  CHECK_THAT(sluice.err(), Catch::Contains("inputs paused: service.mem_limit reached"));
  CHECK_THAT(sluice.err(), Catch::Contains("inputs resumed"));
  std::smatch m;
  std::string err = sluice.err();
  REQUIRE(std::regex_search(err, m, std::regex("inputs paused (\\d+) times")));
  CHECK(std::stoi(m[1]) >= 1);
}

}  // namespace SLUICE_UNITY_ID
