// End to end: the built-in HTTP server (service.http_server) of the real
// binary: /api/v1/metrics in Prometheus text whose counters match what was
// delivered, /api/v1/health per input and output, /health/live and
// /health/ready, /api/v1/uptime, /api/v1/config, the endpoint list at /,
// keep-alive, 404 and 405. (Stalls and long pauses: health_e2e_test.cpp;
// promtool and a real Prometheus: prometheus_e2e_test.cpp.) And POST
// /api/v1/reload, answered when the reload is done.
#include <catch2/catch.hpp>

#include <signal.h>

#include <simdjson.h>

#include <filesystem>

#include "tests/e2e/status_http.hpp"
#include "tests/outputs/http_test_peers.hpp"
#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

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
  CHECK(m[R"(sluice_output_undelivered_records{output="http.0"})"] == 0);
  CHECK(m[R"(sluice_output_oldest_undelivered_age_seconds{output="http.0"})"] == 0);
  CHECK(m[R"(sluice_output_stalled{output="http.0"})"] == 0);
  CHECK(m[R"(sluice_output_last_success_timestamp_seconds{output="http.0"})"] > 1.7e9);

  HttpGet health = http_get(port, "/api/v1/health");
  INFO(health.body);
  REQUIRE(health.status == 200);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(health.body);
  CHECK(std::string_view(doc["status"]) == "ok");
  CHECK(doc["reasons"].get_array().size() == 0);
  CHECK(bool(doc["started"]) == true);
  CHECK(bool(doc["stopping"]) == false);
  CHECK(double(doc["limits"]["max_output_stall_sec"]) == 300);
  simdjson::dom::element http0 = doc["outputs"]["http.0"];
  CHECK(std::string_view(http0["status"]) == "ok");
  CHECK(bool(http0["failing"]) == false);
  CHECK(std::string_view(http0["last_success"]).size() == 30);
  CHECK(http0["last_error"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(int64_t(http0["undelivered_records"]) == 0);
  CHECK(int64_t(http0["dead_lettered"]) == 0);
  CHECK(int64_t(http0["retrying_batches"]) == 0);
  CHECK(bool(http0["buffer_full"]) == false);
  simdjson::dom::element tail0 = doc["inputs"]["tail.0"];
  CHECK(std::string_view(tail0["plugin"]) == "tail");
  CHECK(std::string_view(tail0["state"]) == "running");
  CHECK(int64_t(tail0["bytes_behind"]) == 0);
  simdjson::dom::element file = tail0["files"].at(0);
  CHECK(std::string_view(file["path"]) == dir.file("app.log"));
  CHECK(int64_t(file["bytes_behind"]) == 0);
  CHECK(int64_t(file["read_offset"]) == int64_t(std::filesystem::file_size(dir.file("app.log"))));

  HttpGet live = http_get(port, "/api/v1/health/live");
  CHECK(live.status == 200);
  CHECK(live.body == "{\"status\":\"live\"}\n");
  HttpGet ready = http_get(port, "/api/v1/health/ready");
  CHECK(ready.status == 200);
  CHECK(ready.body == "{\"status\":\"ready\",\"reasons\":[]}\n");

  HttpGet uptime = http_get(port, "/api/v1/uptime");
  REQUIRE(uptime.status == 200);
  int64_t first = int64_t(parser.parse(uptime.body)["uptime_sec"]);
  CHECK(first >= 0);
  CHECK(wait_until([&] { return int64_t(parser.parse(http_get(port, "/api/v1/uptime").body)["uptime_sec"]) > first; },
                   5s));

  HttpGet missing = http_get(port, "/api/v2/nothing");
  CHECK(missing.status == 404);
  CHECK(missing.body == "{\"error\":\"not found\"}\n");
  HttpGet wrong_method = http_request(port, "POST", "/api/v1/health", true);
  CHECK(wrong_method.status == 405);
  CHECK_THAT(wrong_method.headers, Catch::Contains("Allow: GET, HEAD"));
  HttpGet head = http_request(port, "HEAD", "/api/v1/metrics");
  CHECK(head.status == 200);
  CHECK_THAT(head.headers, Catch::Contains("Content-Type: text/plain; version=0.0.4"));
  CHECK(head.body.empty());

  HttpGet root = http_get(port, "/");
  CHECK(root.status == 200);
  CHECK_THAT(root.body, Catch::Contains("\"GET /api/v1/health/ready\"") && Catch::Contains(SLUICE_VERSION));

  // The effective configuration: what the file says, with defaults.
  HttpGet config = http_get(port, "/api/v1/config");
  REQUIRE(config.status == 200);
  simdjson::dom::element cfg = parser.parse(config.body);
  CHECK(std::string_view(cfg["pipeline"]["inputs"].at(0)["path"].at(0)) == dir.file("app.log"));
  CHECK(std::string_view(cfg["service"]["flush"]) == "50ms");
  CHECK(std::string_view(cfg["service"]["grace"]) == "5s");

  // Two requests on one connection: keep-alive.
  Process both({"/usr/bin/curl", "-s", "-m", "5", "-w", "%{http_code} %{num_connects}\n", "-o", "/dev/null",
                "http://127.0.0.1:" + std::to_string(port) + "/api/v1/health/live", "-o", "/dev/null",
                "http://127.0.0.1:" + std::to_string(port) + "/api/v1/uptime"});
  REQUIRE(both.wait(10s) == 0);
  CHECK(both.out() == "200 1\n200 0\n");

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
  // The healthy output delivers everything while the other fails: degraded,
  // still 200 (and ready) until the failing one stalls (health_e2e_test.cpp).
  REQUIRE(wait_until([&] {
    HttpGet got = http_get(port, "/api/v1/health");
    body = got.body;
    return got.status == 200 && body.find("\"degraded\"") != std::string::npos && delivered() == 20;
  }, 20s));
  INFO(body);
  health = parser.parse(body);
  CHECK(std::string_view(health["status"]) == "degraded");
  CHECK(std::string_view(health["reasons"].at(0)) == "output broken: retrying: HTTP 503 Service Unavailable: status 503");
  simdjson::dom::element broken = health["outputs"]["broken"];
  CHECK(std::string_view(broken["status"]) == "retrying");
  CHECK(bool(broken["failing"]) == true);
  CHECK(std::string_view(broken["last_error"]) == "HTTP 503 Service Unavailable: status 503");
  CHECK(std::string_view(broken["failing_since"]).size() == 30);
  CHECK(std::string_view(broken["last_error_at"]).size() == 30);
  CHECK(broken["last_success"].is_null());
  CHECK(int64_t(broken["undelivered_records"]) == 20);
  CHECK(double(broken["oldest_undelivered_age_sec"]) > 0);
  CHECK(bool(health["outputs"]["healthy"]["failing"]) == false);
  CHECK(std::string_view(health["outputs"]["healthy"]["status"]) == "ok");
  CHECK(http_get(port, "/api/v1/health/ready").status == 200);
  sluice.signal(SIGTERM);
  CHECK(sluice.wait(20s).has_value());
}

TEST_CASE("status server: POST /api/v1/reload answers once the reload is done, with what changed or why not",
          "[e2e][status][reload]") {
  TempDir dir;
  PythonPeer sink("http_sink.py", {"--out", dir.file("requests.jsonl")});
  write_file(dir.file("app.log"), "{\"n\":1}\n");
  uint16_t port = free_tcp_port();
  auto config = [&](const std::string& filters) {
    return "service:\n  flush: 50ms\n  grace: 1s\n  log_level: warn\n  hot_reload: on\n  http_server: on\n"
           "  http_port: " + std::to_string(port) + "\npipeline:\n  inputs:\n    - name: tail\n      tag: app\n"
           "      path: " + dir.file("app.log") + "\n      read_from_head: on\n" + filters +
           "  outputs:\n    - name: http\n      match: app\n      port: " + std::to_string(sink.port()) +
           "\n      format: json_lines\n";
  };
  write_file(dir.file("p.yaml"), config(""));
  Process sluice({SLUICE_BINARY, "-c", dir.file("p.yaml")});
  REQUIRE(wait_until([&] { return http_get(port, "/api/v1/health/ready").status == 200; }, 20s));
  simdjson::dom::parser parser;

  write_file(dir.file("p.yaml"), config("  filters:\n    - name: grep\n      match: app\n      exclude: log ^x\n"));
  HttpGet done = http_request(port, "POST", "/api/v1/reload");
  INFO(done.body);
  CHECK(done.status == 200);
  simdjson::dom::element answer = parser.parse(done.body);
  CHECK(bool(answer["reloaded"]) == true);
  CHECK_THAT(std::string(std::string_view(answer["message"])), Catch::Contains("filters: added grep.0"));
  // The effective configuration is the new one.
  CHECK_THAT(http_get(port, "/api/v1/config").body, Catch::Contains("\"name\":\"grep\""));

  write_file(dir.file("p.yaml"), config("  filters:\n    - name: grep\n      match: app\n      exclude: [\n"));
  HttpGet refused = http_request(port, "POST", "/api/v1/reload");
  INFO(refused.body);
  CHECK(refused.status == 400);
  answer = parser.parse(refused.body);
  CHECK(bool(answer["reloaded"]) == false);
  CHECK_THAT(std::string(std::string_view(answer["message"])),
             Catch::StartsWith("configuration error: " + dir.file("p.yaml") + ":"));
  CHECK(http_get(port, "/api/v1/health").status == 200);  // the running pipeline goes on
  CHECK(http_request(port, "GET", "/api/v1/reload").status == 405);
  sluice.signal(SIGTERM);
  CHECK(sluice.wait(20s) == 0);
}

TEST_CASE("status server: POST /api/v1/reload with hot_reload off is refused (400) and changes nothing",
          "[e2e][status][reload]") {
  TempDir dir;
  write_file(dir.file("app.log"), "");
  uint16_t port = free_tcp_port();
  write_file(dir.file("p.yaml"), "service:\n  log_level: warn\n  http_server: on\n  http_port: " +
                                     std::to_string(port) + "\npipeline:\n  inputs:\n    - name: tail\n      path: " +
                                     dir.file("app.log") + "\n  outputs:\n    - name: null\n");
  Process sluice({SLUICE_BINARY, "-c", dir.file("p.yaml")});
  REQUIRE(wait_until([&] { return http_get(port, "/api/v1/health/live").status == 200; }, 20s));
  HttpGet refused = http_request(port, "POST", "/api/v1/reload");
  CHECK(refused.status == 400);
  CHECK(refused.body ==
        "{\"reloaded\":false,\"message\":\"hot reload is off: set service.hot_reload: on (and restart)\"}\n");
  sluice.signal(SIGTERM);
  CHECK(sluice.wait(20s) == 0);
}

}  // namespace SLUICE_UNITY_ID
