// End to end with the real binary: tail → parser json → logdna → the Mezmo
// ingest API stand-in (tests/peers/logdna_standin.js). No Mezmo service can
// be reached here, so the peer is a stand-in written from Mezmo's ingest API
// reference and checked against Mezmo's own client, @logdna/logger
// (tests/peers/check_standins.js). It checks the ingestion key, the query
// and every line, and stores the lines with the query's fields.
#include <catch2/catch.hpp>

#include <simdjson.h>

#include <chrono>

#include "tests/e2e/e2e_support.hpp"
#include "tests/e2e/node_standin.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kIngestionKey = "mezmo-e2e-ingestion-key-0123456789abcdef";

std::string logdna_keys(const NodeStandIn& m, const std::string& key) {
  return "      endpoint: " + m.url() + "/logs/ingest\n      api_key: " + key +
         "\n      hostname: web-1\n      tags: [prod, checkout]\n      app: checkout\n      file: /var/log/app.log\n";
}

}  // namespace

TEST_CASE("logdna: lines delivered through 503 and a dropped connection, with Fluent Bit's fields", "[e2e][logdna]") {
  TempDir dir;
  NodeStandIn m(dir, "logdna_standin.js", {"--ingestion-key", kIngestionKey});
  m.control(R"({"faults":[{"type":"status","status":503},{"type":"drop"}]})");
  write_app_log(dir, 30);
  auto sluice = start_sluice_with(dir, tail_to_output_yaml(dir, "logdna", logdna_keys(m, kIngestionKey)));
  bool done = wait_until([&] { return m.store().size() >= 30; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);

  auto stored = m.store();
  CHECK(seq_counts(stored) == once_each(0, 30));
  simdjson::dom::parser p;
  simdjson::dom::element first = p.parse(stored[0]);
  CHECK(std::string_view(first["hostname"]) == "web-1");
  CHECK(simdjson::minify(first["tags"]) == R"(["prod","checkout"])");
  CHECK(std::string_view(first["app"]) == "checkout");
  CHECK(std::string_view(first["level"]) == "warn");
  CHECK(std::string_view(first["file"]) == "/var/log/app.log");
  // The line is the record as JSON; the time is the record's, in ms.
  simdjson::dom::parser inner;
  simdjson::dom::element record = inner.parse(std::string(std::string_view(first["line"])));
  CHECK(std::string_view(record["msg"]) == "slow request");
  CHECK(std::abs(double(first["timestamp"]) / 1000 - double(now_seconds())) < 120);
  // now= was sent: the stand-in measured this host's clock against it.
  CHECK(first["skew_ms"].is_number());
  CHECK(count_with(m.log(), R"("auth":"basic")") >= 3);
  CHECK_THAT(sluice->err(), Catch::Contains("30 records delivered") && Catch::Contains(", 0 dead-lettered"));
  CHECK(sluice->err().find(kIngestionKey) == std::string::npos);
}

TEST_CASE("logdna: a 207 answer refuses one line and asks for another again: each sorted on its own",
          "[e2e][logdna]") {
  TempDir dir;
  NodeStandIn m(dir, "logdna_standin.js", {"--ingestion-key", kIngestionKey});
  m.control(R"({"faults":[{"type":"partial","fail":[2],"status":400},{"type":"partial","fail":[0],"status":503}]})");
  write_app_log(dir, 10);
  // The key in an apikey header this time (Mezmo takes either).
  auto sluice = start_sluice_with(
      dir, tail_to_output_yaml(dir, "logdna", logdna_keys(m, kIngestionKey) + "      auth_header: apikey\n"));
  bool done = wait_until([&] { return m.store().size() >= 9 && read_lines(dir.file("dead.jsonl")).size() >= 1; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  auto stored = seq_counts(m.store());
  auto dead = read_lines(dir.file("dead.jsonl"));
  REQUIRE(dead.size() == 1);
  CHECK(count_with(dead, "Mezmo refused the line (status 400)") == 1);
  CHECK(count_with(m.log(), R"("auth":"apikey")") == m.log().size());
  // Every line once: 9 stored (the one answered 503 after its retry), 1 dead-lettered.
  for (auto [seq, n] : seq_counts(dead)) stored[seq] += n;
  CHECK(stored == once_each(0, 10));
}

TEST_CASE("logdna: a wrong ingestion key dead-letters the lines with Mezmo's 401", "[e2e][logdna]") {
  TempDir dir;
  NodeStandIn m(dir, "logdna_standin.js", {"--ingestion-key", kIngestionKey});
  write_app_log(dir, 3);
  const std::string wrong = "wrong-ingestion-key-fedcba9876543210";
  auto sluice = start_sluice_with(dir, tail_to_output_yaml(dir, "logdna", logdna_keys(m, wrong)));
  bool done = wait_until([&] { return read_lines(dir.file("dead.jsonl")).size() >= 3; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  auto dead = read_lines(dir.file("dead.jsonl"));
  CHECK(seq_counts(dead) == once_each(0, 3));
  CHECK(count_with(dead, "Mezmo answered HTTP 401") == 3);
  CHECK(m.store().empty());
  CHECK(sluice->err().find(wrong) == std::string::npos);
  CHECK(read_file(dir.file("dead.jsonl")).find(wrong) == std::string::npos);
}

}  // namespace SLUICE_UNITY_ID
