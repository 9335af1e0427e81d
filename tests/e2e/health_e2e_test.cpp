// End to end: health that sees a stuck pipeline, through the real binary.
// A backend that answers 503 forever makes /api/v1/health 503 once the
// output has delivered nothing for health.max_output_stall, naming the
// backend's error; it is 200 again once the backend is back. An input paused
// (a full buffer) longer than health.max_paused makes it 503 too. Liveness
// stays 200 throughout; readiness follows health.
#include <catch2/catch.hpp>

#include <signal.h>

#include <simdjson.h>

#include "tests/e2e/status_http.hpp"
#include "tests/outputs/http_test_peers.hpp"
#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

// Lines the sink accepted (answered 200).
size_t delivered_lines(const std::string& requests_file) {
  size_t n = 0;
  for (const auto& r : sink_requests(requests_file))
    if (r.path == "/controlled" && r.status == 200)
      for (char c : r.body) n += c == '\n';
  return n;
}

}  // namespace

TEST_CASE("health: an output stalled by a backend answering 503 makes health 503 with the backend's text, "
          "then 200 once it is back",
          "[e2e][health]") {
  TempDir dir;
  write_file(dir.file("control"), "503");
  PythonPeer sink("http_sink.py", {"--out", dir.file("requests.jsonl"), "--control", dir.file("control")});
  std::string lines;
  for (int i = 0; i < 20; ++i) lines += "{\"n\":" + std::to_string(i) + "}\n";
  write_file(dir.file("app.log"), lines);
  uint16_t port = free_tcp_port();
  write_file(dir.file("p.yaml"),
             "service:\n  flush: 50ms\n  grace: 1s\n  log_level: warn\n  http_server: on\n  http_port: " +
                 std::to_string(port) +
                 "\n  health:\n    max_output_stall: 2s\n    max_paused: 1h\n"
                 "pipeline:\n  inputs:\n    - name: tail\n      tag: app\n      path: " + dir.file("app.log") +
                 "\n      read_from_head: on\n  outputs:\n    - name: http\n      match: app\n      uri: /controlled\n"
                 "      port: " + std::to_string(sink.port()) +
                 "\n      format: json_lines\n      retry_base: 100ms\n      retry_cap: 300ms\n");
  Process sluice({SLUICE_BINARY, "-c", dir.file("p.yaml")});

  HttpGet health;
  REQUIRE(wait_until([&] {
    health = http_get(port, "/api/v1/health");
    return health.status == 503;
  }, 30s));
  INFO(health.body);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(health.body);
  CHECK(std::string_view(doc["status"]) == "unhealthy");
  std::string reason(std::string_view(doc["reasons"].at(0)));
  CHECK_THAT(reason, Catch::StartsWith("output http.0: nothing delivered for ") &&
                         Catch::Contains("while 20 records wait (health.max_output_stall 2s); last error: "
                                         "HTTP 503 Service Unavailable: status 503"));
  simdjson::dom::element out = doc["outputs"]["http.0"];
  CHECK(std::string_view(out["status"]) == "stalled");
  CHECK(std::string_view(out["last_error"]) == "HTTP 503 Service Unavailable: status 503");
  CHECK(out["last_success"].is_null());
  CHECK(int64_t(out["undelivered_records"]) == 20);
  CHECK(double(out["oldest_undelivered_age_sec"]) >= 2.0);
  CHECK(std::string_view(doc["inputs"]["tail.0"]["state"]) == "running");

  HttpGet ready = http_get(port, "/api/v1/health/ready");
  CHECK(ready.status == 503);
  CHECK_THAT(ready.body, Catch::Contains("output http.0: nothing delivered"));
  CHECK(http_get(port, "/api/v1/health/live").status == 200);
  HttpGet metrics = http_get(port, "/api/v1/metrics");
  CHECK(parse_prometheus(metrics.body)[R"(sluice_output_stalled{output="http.0"})"] == 1);

  // The backend is back: everything is delivered and health is ok again.
  write_file(dir.file("control"), "200");
  REQUIRE(wait_until([&] {
    health = http_get(port, "/api/v1/health");
    return health.status == 200 && delivered_lines(dir.file("requests.jsonl")) == 20 &&
           health.body.find("\"status\":\"ok\"") != std::string::npos;
  }, 30s));
  doc = parser.parse(health.body);
  out = doc["outputs"]["http.0"];
  CHECK(std::string_view(out["status"]) == "ok");
  CHECK(std::string_view(out["last_success"]).size() == 30);
  CHECK(std::string_view(out["last_error"]) == "HTTP 503 Service Unavailable: status 503");  // kept, with its time
  CHECK(int64_t(out["undelivered_records"]) == 0);
  CHECK(http_get(port, "/api/v1/health/ready").status == 200);
  CHECK(parse_prometheus(http_get(port, "/api/v1/metrics").body)[R"(sluice_output_stalled{output="http.0"})"] == 0);

  sluice.signal(SIGTERM);
  CHECK(sluice.wait(20s) == 0);
}

TEST_CASE("health: an input paused by a full buffer longer than max_paused makes health 503, then 200",
          "[e2e][health]") {
  TempDir dir;
  write_file(dir.file("control"), "503");
  PythonPeer sink("http_sink.py", {"--out", dir.file("requests.jsonl"), "--control", dir.file("control")});
  std::string lines;
  const std::string pad(200, 'x');
  for (int i = 0; i < 5000; ++i) lines += "{\"n\":" + std::to_string(i) + ",\"pad\":\"" + pad + "\"}\n";
  write_file(dir.file("app.log"), lines);
  uint16_t port = free_tcp_port();
  // The output's buffer (block) fills with what the backend refuses: the
  // tail input pauses and stays paused. The stall limit is out of reach, so
  // only the pause can make health 503.
  write_file(dir.file("p.yaml"),
             "service:\n  flush: 50ms\n  grace: 1s\n  log_level: warn\n  http_server: on\n  http_port: " +
                 std::to_string(port) +
                 "\n  health.max_output_stall: 1h\n  health.max_paused: 2s\n"
                 "pipeline:\n  inputs:\n    - name: tail\n      tag: app\n      path: " + dir.file("app.log") +
                 "\n      read_from_head: on\n  outputs:\n    - name: http\n      match: app\n      uri: /controlled\n"
                 "      port: " + std::to_string(sink.port()) +
                 "\n      format: json_lines\n      retry_base: 100ms\n      retry_cap: 300ms\n"
                 "      mem_buf_limit: 256k\n      batch_max_bytes: 256k\n      buffer.when_full: block\n");
  Process sluice({SLUICE_BINARY, "-c", dir.file("p.yaml")});

  HttpGet health;
  REQUIRE(wait_until([&] {
    health = http_get(port, "/api/v1/health");
    return health.status == 503;
  }, 30s));
  INFO(health.body);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(health.body);
  CHECK(std::string_view(doc["status"]) == "unhealthy");
  CHECK_THAT(std::string(std::string_view(doc["reasons"].at(0))),
             Catch::StartsWith("input tail.0: paused for ") &&
                 Catch::EndsWith("(health.max_paused 2s): output http.0 buffer is full (mem_buf_limit)"));
  simdjson::dom::element in = doc["inputs"]["tail.0"];
  CHECK(std::string_view(in["state"]) == "paused");
  CHECK(double(in["paused_for_sec"]) >= 2.0);
  CHECK(std::string_view(in["paused_since"]).size() == 30);
  CHECK(int64_t(in["bytes_behind"]) > 0);  // the file is not read to its end
  simdjson::dom::element out = doc["outputs"]["http.0"];
  CHECK(std::string_view(out["status"]) == "retrying");
  CHECK(bool(out["buffer_full"]) == true);
  // Separate requests: each may land just after the input was let read one
  // more chunk (a retry frees the buffer for a moment, which restarts its
  // paused time), so each is given a few seconds to show the paused state.
  CHECK(wait_until([&] { return http_get(port, "/api/v1/health/ready").status == 503; }, 10s));
  CHECK(http_get(port, "/api/v1/health/live").status == 200);
  CHECK(wait_until([&] {
    return parse_prometheus(http_get(port, "/api/v1/metrics").body)[R"(sluice_input_paused_seconds{input="tail.0"})"] >=
           2.0;
  }, 10s));

  // The sink writes a batch's lines before it answers, so the last lines can
  // be on disk while the output still holds that batch (and the input is
  // still paused behind it): wait for the whole recovery, not the first sign.
  write_file(dir.file("control"), "200");
  std::string last_body;
  bool recovered = wait_until([&] {
    health = http_get(port, "/api/v1/health");
    last_body = health.body;
    if (health.status != 200 || delivered_lines(dir.file("requests.jsonl")) != 5000) return false;
    simdjson::dom::element now = parser.parse(health.body);
    return std::string_view(now["status"]) == "ok" &&
           std::string_view(now["inputs"]["tail.0"]["state"]) == "running" &&
           int64_t(now["inputs"]["tail.0"]["bytes_behind"]) == 0;
  }, 60s);
  INFO("last health answer: " << last_body);
  CHECK(recovered);

  sluice.signal(SIGTERM);
  CHECK(sluice.wait(20s) == 0);
}

}  // namespace SLUICE_UNITY_ID
