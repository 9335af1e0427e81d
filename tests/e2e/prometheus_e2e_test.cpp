// End to end: /api/v1/metrics of the real binary read by Prometheus's own
// tools (Debian's `prometheus` package: scripts/install-deps.sh). promtool
// checks the text of a pipeline with many kinds of components (HELP and
// TYPE lines, counter names, label escaping of an alias with a quote and a
// backslash); a real Prometheus scrapes sluice and its query API sees the
// delivered counter equal the records sent. Skipped, with a message, only
// where prometheus is not installed.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <simdjson.h>

#include "tests/e2e/status_http.hpp"
#include "tests/outputs/http_test_peers.hpp"
#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

bool installed(const char* path, const char* what) {
  if (::access(path, X_OK) == 0) return true;
  WARN(std::string("skipped: ") + what + " is not installed (" + path +
       "; Debian's prometheus package, scripts/install-deps.sh)");
  return false;
}

size_t sink_lines(const std::string& requests_file) {
  size_t n = 0;
  for (const auto& r : sink_requests(requests_file))
    for (char c : r.body) n += c == '\n';
  return n;
}

}  // namespace

TEST_CASE("prometheus: promtool check metrics passes sluice's metrics text", "[e2e][prometheus]") {
  if (!installed("/usr/bin/promtool", "promtool")) return;
  TempDir dir;
  PythonPeer sink("http_sink.py", {"--out", dir.file("requests.jsonl")});
  std::string lines;
  for (int i = 0; i < 100; ++i) lines += "{\"n\":" + std::to_string(i) + "}\n";
  write_file(dir.file("app.log"), lines + "not json\n");
  uint16_t port = free_tcp_port();
  uint16_t http_in = free_tcp_port();
  uint16_t closed = free_tcp_port();  // nothing listens: the es output retries
  write_file(dir.file("p.yaml"),
             "service:\n  flush: 50ms\n  grace: 1s\n  log_level: error\n  http_server: on\n  http_port: " +
                 std::to_string(port) +
                 "\npipeline:\n  inputs:\n    - name: tail\n      alias: 'web \"front\\end'\n      tag: app\n"
                 "      path: " + dir.file("app.log") + "\n      read_from_head: on\n"
                 "    - name: http\n      listen: 127.0.0.1\n      port: " + std::to_string(http_in) + "\n"
                 "    - name: dummy\n      tag: dummy\n      samples: 3\n"
                 "  filters:\n    - name: parser\n      match: app\n      key_name: log\n      parser: json\n"
                 "    - name: grep\n      match: app\n      exclude: log ^not\n"
                 "    - name: lua\n      match: dummy\n      call: cb\n"
                 "      code: 'function cb(tag, ts, record) return 1, ts, record end'\n"
                 "  outputs:\n    - name: http\n      match: app\n      port: " + std::to_string(sink.port()) +
                 "\n      format: json_lines\n"
                 "    - name: es\n      match: dummy\n      port: " + std::to_string(closed) +
                 "\n      retry_base: 100ms\n      retry_cap: 200ms\n"
                 "    - name: null\n      match: '*'\n");
  Process sluice({SLUICE_BINARY, "-c", dir.file("p.yaml")});
  REQUIRE(wait_until([&] { return sink_lines(dir.file("requests.jsonl")) == 100; }, 30s));
  HttpGet metrics;
  REQUIRE(wait_until([&] {
    metrics = http_get(port, "/api/v1/metrics");
    return metrics.status == 200 && metrics.body.find("sluice_output_records_retried_total{output=\"es.1\"} 0") ==
                                        std::string::npos;  // es has failed once at least
  }, 30s));
  write_file(dir.file("metrics.txt"), metrics.body);
  INFO(metrics.body);
  // The alias's quote and backslash, escaped (101 lines read: the grep filter drops one later).
  CHECK_THAT(metrics.body, Catch::Contains(R"(sluice_input_records_total{input="web \"front\\end"} 101)"));
  Process promtool({"/bin/sh", "-c", "exec /usr/bin/promtool check metrics < " + dir.file("metrics.txt")});
  auto status = promtool.wait(30s);
  INFO("promtool: " << promtool.out() << promtool.err());
  CHECK(status == 0);
  CHECK(promtool.out() + promtool.err() == "");
  sluice.signal(SIGTERM);
  CHECK(sluice.wait(20s).has_value());
}

TEST_CASE("prometheus: a real Prometheus scrapes sluice and sees every record delivered", "[e2e][prometheus]") {
  if (!installed("/usr/bin/prometheus", "prometheus")) return;
  TempDir dir;
  PythonPeer sink("http_sink.py", {"--out", dir.file("requests.jsonl")});
  std::string lines;
  for (int i = 0; i < 250; ++i) lines += "{\"n\":" + std::to_string(i) + "}\n";
  write_file(dir.file("app.log"), lines);
  uint16_t port = free_tcp_port();
  write_file(dir.file("p.yaml"),
             "service:\n  flush: 50ms\n  log_level: warn\n  http_server: on\n  http_port: " + std::to_string(port) +
                 "\npipeline:\n  inputs:\n    - name: tail\n      tag: app\n      path: " + dir.file("app.log") +
                 "\n      read_from_head: on\n"
                 "  outputs:\n    - name: http\n      match: app\n      port: " + std::to_string(sink.port()) +
                 "\n      format: json_lines\n");
  Process sluice({SLUICE_BINARY, "-c", dir.file("p.yaml")});

  uint16_t prom_port = free_tcp_port();
  write_file(dir.file("prometheus.yml"),
             "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
             "scrape_configs:\n  - job_name: sluice\n    metrics_path: /api/v1/metrics\n"
             "    static_configs:\n      - targets: ['127.0.0.1:" + std::to_string(port) + "']\n");
  Process prometheus({"/usr/bin/prometheus", "--config.file=" + dir.file("prometheus.yml"),
                      "--storage.tsdb.path=" + dir.file("tsdb"),
                      "--web.listen-address=127.0.0.1:" + std::to_string(prom_port), "--log.level=warn"});
  std::string base = "http://127.0.0.1:" + std::to_string(prom_port);
  auto query = [&](const std::string& promql) {
    Process curl({"/usr/bin/curl", "-s", "-m", "5", "-G", base + "/api/v1/query", "--data-urlencode",
                  "query=" + promql});
    return curl.wait(10s) == 0 ? curl.out() : std::string();
  };
  // The value of a query's first sample, or -1.
  auto value = [&](const std::string& promql) {
    std::string body = query(promql);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(body).get(doc) != simdjson::SUCCESS) return -1.0;
    simdjson::dom::array result;
    if (doc["data"]["result"].get(result) != simdjson::SUCCESS || result.size() == 0) return -1.0;
    std::string_view v;
    if (result.at(0)["value"].at(1).get(v) != simdjson::SUCCESS) return -1.0;
    return std::stod(std::string(v));
  };
  INFO(prometheus.err());
  REQUIRE(wait_until([&] { return !prometheus.running() || value("up{job=\"sluice\"}") == 1; }, 60s));
  REQUIRE(prometheus.running());
  REQUIRE(wait_until([&] { return sink_lines(dir.file("requests.jsonl")) == 250; }, 30s));
  double delivered = -1;
  CHECK(wait_until([&] {
    delivered = value("sluice_output_records_delivered_total{job=\"sluice\",output=\"http.0\"}");
    return delivered == 250;
  }, 30s));
  CHECK(delivered == 250);
  CHECK(value("sluice_input_records_total{input=\"tail.0\"}") == 250);
  CHECK(value("sluice_output_stalled{output=\"http.0\"}") == 0);
  // Prometheus found nothing wrong with what it scraped.
  CHECK(value("scrape_samples_post_metric_relabeling{job=\"sluice\"}") > 10);
  prometheus.signal(SIGTERM);
  CHECK(prometheus.wait(30s).has_value());
  sluice.signal(SIGTERM);
  CHECK(sluice.wait(20s) == 0);
}

}  // namespace SLUICE_UNITY_ID
