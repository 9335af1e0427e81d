// End to end: the built-in HTTP server (service.http_server) of the real
// binary: /api/v1/metrics in Prometheus text whose counters match what was
// delivered, /api/v1/health per output, /api/v1/uptime, 404 elsewhere.
#include <catch2/catch.hpp>

#include <signal.h>

#include <simdjson.h>

#include "tests/e2e/status_http.hpp"
#include "tests/outputs/http_test_peers.hpp"
#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

using namespace sluice::test;
using namespace std::chrono_literals;

TEST_CASE("status server: metrics count what was delivered, health and uptime answer", "[e2e][status]") {
  TempDir dir;
  PythonPeer sink("http_sink.py", {"--out", dir.file("requests.jsonl")});
  std::string lines;
  for (int i = 0; i < 500; ++i) lines += "{\"n\":" + std::to_string(i) + "}\n";
  write_file(dir.file("app.log"), lines + "not json\n");
  uint16_t port = free_tcp_port();
  write_file(dir.file("p.yaml"),
             "service:\n  flush: 50ms\n  log_level: warn\n  http_server: on\n  http_port: " + std::to_string(port) +
                 "\npipeline:\n  inputs:\n    - name: tail\n      tag: app\n      path: " + dir.file("app.log") +
                 "\n      read_from_head: on\n"
                 "  filters:\n    - name: parser\n      match: app\n      key_name: log\n      parser: json\n"
                 "    - name: grep\n      match: app\n      exclude: log ^not\n"
                 "  outputs:\n    - name: http\n      match: app\n      port: " + std::to_string(sink.port()) +
                 "\n      format: json_lines\n");
  Process sluice({SLUICE_BINARY, "-c", dir.file("p.yaml")});
  auto delivered = [&] {
    size_t n = 0;
    for (const auto& r : sink_requests(dir.file("requests.jsonl")))
      for (char c : r.body) n += c == '\n';
    return n;
  };
  REQUIRE(wait_until([&] { return delivered() == 500; }, 30s));

  // The counters settle once the last answer is processed.
  std::map<std::string, double> m;
  REQUIRE(wait_until([&] {
    HttpGet got = http_get(port, "/api/v1/metrics");
    if (got.status != 200) return false;
    m = parse_prometheus(got.body);
    return m[R"(sluice_output_records_delivered_total{output="http.0"})"] == 500;
  }, 10s));
  CHECK(m[R"(sluice_input_lines_read_total{input="tail.0"})"] == 501);
  CHECK(m[R"(sluice_filter_records_dropped_total{filter="grep.1"})"] == 1);
  CHECK(m[R"(sluice_output_records_total{output="http.0"})"] == 500);
  CHECK(m[R"(sluice_output_records_dead_lettered_total{output="http.0"})"] == 0);
  CHECK(m[R"(sluice_output_records_retried_total{output="http.0"})"] == 0);
  CHECK(m.count(R"(sluice_output_buffer_bytes{output="http.0"})") == 1);

  HttpGet health = http_get(port, "/api/v1/health");
  REQUIRE(health.status == 200);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(health.body);
  CHECK(std::string_view(doc["status"]) == "ok");
  simdjson::dom::element http0 = doc["outputs"]["http.0"];
  CHECK(int64_t(http0["dead_lettered"]) == 0);
  CHECK(int64_t(http0["retrying_batches"]) == 0);
  CHECK(bool(http0["buffer_full"]) == false);

  HttpGet uptime = http_get(port, "/api/v1/uptime");
  REQUIRE(uptime.status == 200);
  int64_t first = int64_t(parser.parse(uptime.body)["uptime_sec"]);
  CHECK(first >= 0);
  CHECK(wait_until([&] { return int64_t(parser.parse(http_get(port, "/api/v1/uptime").body)["uptime_sec"]) > first; },
                   5s));

  HttpGet missing = http_get(port, "/api/v2/nothing");
  CHECK(missing.status == 404);
  CHECK(missing.body == R"({"error":"not found"})");

  sluice.signal(SIGTERM);
  CHECK(sluice.wait(20s) == 0);
}

TEST_CASE("status server: health names the failing output with the backend's answer, the other keeps delivering",
          "[e2e][status]") {
  TempDir dir;
  PythonPeer sink("http_sink.py", {"--out", dir.file("requests.jsonl")});
  std::string lines;
  for (int i = 0; i < 20; ++i) lines += "{\"n\":" + std::to_string(i) + "}\n";
  write_file(dir.file("app.log"), lines);
  uint16_t port = free_tcp_port();
  std::string out = "      port: " + std::to_string(sink.port()) + "\n      format: json_lines\n      retry_base: 100ms\n"
                    "      retry_cap: 200ms\n";
  write_file(dir.file("p.yaml"),
             "service:\n  flush: 50ms\n  grace: 1s\n  log_level: warn\n  http_server: on\n  http_port: " +
                 std::to_string(port) + "\npipeline:\n  inputs:\n    - name: tail\n      tag: app\n      path: " +
                 dir.file("app.log") + "\n      read_from_head: on\n  outputs:\n"
                 "    - name: http\n      alias: healthy\n      match: app\n      uri: /ok\n" + out +
                 "    - name: http\n      alias: broken\n      match: app\n      uri: /status/503\n" + out);
  Process sluice({SLUICE_BINARY, "-c", dir.file("p.yaml")});
  simdjson::dom::parser parser;
  simdjson::dom::element health;
  std::string body;
  auto delivered = [&] {
    size_t n = 0;
    for (const auto& r : sink_requests(dir.file("requests.jsonl")))
      if (r.path == "/ok")
        for (char c : r.body) n += c == '\n';
    return n;
  };
  // The healthy output delivers everything while the other fails.
  REQUIRE(wait_until([&] {
    HttpGet got = http_get(port, "/api/v1/health");
    body = got.body;
    return got.status == 200 && body.find("\"degraded\"") != std::string::npos && delivered() == 20;
  }, 20s));
  INFO(body);
  health = parser.parse(body);
  CHECK(std::string_view(health["status"]) == "degraded");
  CHECK(bool(health["outputs"]["broken"]["failing"]) == true);
  CHECK(std::string_view(health["outputs"]["broken"]["last_error"]) == "HTTP 503 Service Unavailable: status 503");
  CHECK(std::string_view(health["outputs"]["broken"]["failing_since"]).size() == 30);
  CHECK(bool(health["outputs"]["healthy"]["failing"]) == false);
  sluice.signal(SIGTERM);
  CHECK(sluice.wait(20s).has_value());
}
