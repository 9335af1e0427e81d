// Scripts written for Fluent Bit's lua filter, run unchanged: record rewrite,
// split, drop by level, a field from the tag, timestamp changes. Plus a
// hidden micro-benchmark of the record ↔ table conversion ([.bench]).
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>

#include "tests/filters/lua_harness.hpp"
#include "tests/support/thread_cpu.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::test;
using Strings = std::vector<std::string>;

TEST_CASE("Fluent Bit scripts: rewrite a record", "[filters][lua_scripts]") {
  LuaHarness h(script_config("rewrite", R"lua(
function rewrite(tag, timestamp, record)
  local new_record = record
  new_record["user"] = string.upper(record["user"])
  new_record["password"] = nil
  new_record["latency_s"] = record["latency_ms"] / 1000
  return 2, timestamp, new_record
end)lua"));
  CHECK(h.run({R"({"user":"ann","password":"secret","latency_ms":250})"}) ==
        Strings{R"({"user":"ANN","latency_ms":250,"latency_s":0.25})"});
}

TEST_CASE("Fluent Bit scripts: split a record", "[filters][lua_scripts]") {
  LuaHarness h(script_config("split", R"lua(
function split(tag, timestamp, record)
  if record["events"] == nil then return 0, timestamp, record end
  local records = {}
  for i, event in ipairs(record["events"]) do
    records[i] = {host = record["host"], event = event}
  end
  return 2, timestamp, records
end)lua"));
  CHECK(h.run({R"({"host":"h1","events":["login","logout"]})", R"({"host":"h2"})"}) ==
        Strings{R"({"host":"h1","event":"login"})", R"({"host":"h1","event":"logout"})", R"({"host":"h2"})"});
}

TEST_CASE("Fluent Bit scripts: drop by level", "[filters][lua_scripts]") {
  LuaHarness h(script_config("drop_debug", R"lua(
function drop_debug(tag, timestamp, record)
  if record["level"] == "debug" or record["level"] == "trace" then
    return -1, 0, 0
  end
  return 0, 0, 0
end)lua"));
  CHECK(h.run({R"({"level":"debug","m":1})", R"({"level":"info","m":2})", R"({"level":"trace"})",
               R"({"m":3})"}) == Strings{R"({"level":"info","m":2})", R"({"m":3})"});
  CHECK(h.ctx.counter("sluice_filter_records_dropped_total") == 2);
}

TEST_CASE("Fluent Bit scripts: a field from the tag", "[filters][lua_scripts]") {
  LuaHarness h(script_config("add_service", R"lua(
function add_service(tag, timestamp, record)
  local service = string.match(tag, "^kube%.([^.]+)")
  if service == nil then return 0, timestamp, record end
  record["service"] = service
  record["tag"] = tag
  return 1, timestamp, record
end)lua"));
  CHECK(h.run({R"({"log":"x"})"}, "kube.checkout.v2") ==
        Strings{R"({"log":"x","service":"checkout","tag":"kube.checkout.v2"})"});
  CHECK(h.run({R"({"log":"x"})"}, "host.syslog") == Strings{R"({"log":"x"})"});
}

TEST_CASE("Fluent Bit scripts: timestamp changes", "[filters][lua_scripts]") {
  SECTION("take the time from a field (seconds as a number)") {
    LuaHarness h(script_config("use_event_time", R"lua(
function use_event_time(tag, timestamp, record)
  local t = tonumber(record["epoch"])
  if t == nil then return 0, timestamp, record end
  record["epoch"] = nil
  return 1, t, record
end)lua"));
    auto c = h.chunk({R"({"epoch":1795256430.25,"m":1})", R"({"m":2})"});
    h.filter->filter(*c);
    CHECK(LuaHarness::json_of(*c) == Strings{R"({"m":1})", R"({"m":2})"});
    CHECK(c->events[0].time_ns == 1795256430 * kSec + 250'000'000);
    CHECK(c->events[1].time_ns == 2 * kSec);
  }
  SECTION("shift by an hour, with time_as_table for full precision") {
    std::string yaml = script_config("shift", R"lua(
function shift(tag, timestamp, record)
  return 1, {sec = timestamp.sec - 3600, nsec = timestamp.nsec}, record
end)lua") + "time_as_table: true\n";
    LuaHarness h(yaml);
    auto c = h.chunk({R"({"m":1})"});
    c->events[0].time_ns = 1795256430 * kSec + 987654321;
    h.filter->filter(*c);
    CHECK(c->events[0].time_ns == (1795256430 - 3600) * kSec + 987654321);
  }
}

// Conversion alone: push a record as a table and read it back, through a
// callback that returns its record (code 2). Prints CPU ns per record; run with
//   sluice_unit_tests "[.bench][lua_conversion]"
TEST_CASE("lua conversion micro-benchmark", "[.bench][lua_conversion]") {
  LuaHarness keep(script_config("cb", "function cb(t, ts, r) return 0, ts, r end"));
  LuaHarness back(script_config("cb", "function cb(t, ts, r) return 2, ts, r end"));
  const std::string line =
      R"({"ts":"2026-11-21T00:00:00.000118604Z","level":"debug","message":"db query: SELECT id, name, email FROM )"
      R"(users WHERE id = $1","traceId":"3b5f3d86268ecc45dc6bf1e1a399f82a","method":"DELETE",)"
      R"("path":"/api/v1/orders","status":0,"latencyMs":0.119})";
  constexpr int kRecords = 200'000, kPerChunk = 500;
  for (auto* h : {&keep, &back}) h->run(Strings(kPerChunk, line));  // warm up the JIT and the scratch
  // Measure only the filter call: build the chunks first.
  for (auto [name, h] : {std::pair{"record → table, code 0", &keep}, std::pair{"record → table → record, code 2", &back}}) {
    std::vector<ChunkPtr> chunks;
    for (int done = 0; done < kRecords; done += kPerChunk) chunks.push_back(h->chunk(Strings(kPerChunk, line)));
    double t0 = thread_cpu_ns();
    for (auto& c : chunks) h->filter->filter(*c);
    double ns = (thread_cpu_ns() - t0) / kRecords;
    std::printf("lua conversion (%s): %.0f ns per record = %.2f CPU-s per million records\n", name, ns, ns / 1000);
  }
  SUCCEED();
}

}  // namespace SLUICE_UNITY_ID
