// The Prometheus text the counters render: a HELP and a TYPE line per
// family, samples grouped under it, label values escaped as the exposition
// format asks. (promtool checks the real binary's text: tests/e2e/prometheus_e2e_test.cpp.)
#include <catch2/catch.hpp>

#include "agent/metrics.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

TEST_CASE("metrics: one HELP and TYPE per family, its samples under it", "[metrics]") {
  Metrics m;
  m.counter("sluice_output_records_total", "output", "es.0", false, "Records routed to the output.").add(3);
  m.counter("sluice_output_buffer_bytes", "output", "es.0", true, "Buffered bytes.").set(10);
  m.counter("sluice_output_records_total", "output", "loki.1").add(4);  // help given once is enough
  m.counter("sluice_input_lines_read_total", "input", "tail.0").add(1);  // no help: the name stands in
  CHECK(m.prometheus_text() ==
        "# HELP sluice_input_lines_read_total sluice_input_lines_read_total\n"
        "# TYPE sluice_input_lines_read_total counter\n"
        "sluice_input_lines_read_total{input=\"tail.0\"} 1\n"
        "# HELP sluice_output_buffer_bytes Buffered bytes.\n"
        "# TYPE sluice_output_buffer_bytes gauge\n"
        "sluice_output_buffer_bytes{output=\"es.0\"} 10\n"
        "# HELP sluice_output_records_total Records routed to the output.\n"
        "# TYPE sluice_output_records_total counter\n"
        "sluice_output_records_total{output=\"es.0\"} 3\n"
        "sluice_output_records_total{output=\"loki.1\"} 4\n");
  CHECK(m.value("sluice_output_records_total", "loki.1") == 4);
  // The same counter again is the same object.
  CHECK(&m.counter("sluice_output_records_total", "output", "es.0") ==
        &m.counter("sluice_output_records_total", "output", "es.0"));
}

TEST_CASE("metrics: label values and help text are escaped", "[metrics]") {
  Metrics m;
  m.counter("x_total", "output", "a\"b\\c\nd", false, "line one\\two\nthree").add(1);
  CHECK(m.prometheus_text() ==
        "# HELP x_total line one\\\\two\\nthree\n"
        "# TYPE x_total counter\n"
        "x_total{output=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST_CASE("metrics: gauges computed when scraped are written in fixed notation", "[metrics]") {
  std::string out;
  PrometheusText text(out);
  text.family("g", "gauge", "A gauge.");
  text.sample("g", "output", "o", 1'700'000'000.25);
  text.sample("g", "output", "p", 0.0);
  text.sample("g", "output", "q", uint64_t{7});
  CHECK(out == "# HELP g A gauge.\n# TYPE g gauge\ng{output=\"o\"} 1700000000.25\ng{output=\"p\"} 0\ng{output=\"q\"} 7\n");
}

TEST_CASE("metrics: a counter kept in fractions of its unit is exported in the unit", "[metrics]") {
  Metrics m;
  // Microseconds held, seconds exported (Prometheus's base unit).
  m.counter("rtt_seconds", "broker", "b", true, "RTT.", 1'000'000).set(1'500);
  m.counter("rtt_seconds", "broker", "c", true, {}, 1'000'000).set(2'000'000);
  CHECK(m.prometheus_text() ==
        "# HELP rtt_seconds RTT.\n# TYPE rtt_seconds gauge\n"
        "rtt_seconds{broker=\"b\"} 0.0015\nrtt_seconds{broker=\"c\"} 2\n");
  CHECK(m.value("rtt_seconds", "c") == 2'000'000);  // the raw count
}

}  // namespace SLUICE_UNITY_ID
