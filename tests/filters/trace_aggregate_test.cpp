// lua/trace_aggregate.lua through the lua filter: the canonical request, many
// interleaved requests from the benchmark's generator, eviction at capacity,
// stale flush by the timer with no traffic, the shutdown flush, its settings
// and edge cases (unknown or duplicate completions, odd keys).
#include <catch2/catch.hpp>

#include <chrono>
#include <map>

#include "agent/record.hpp"
#include "tests/filters/lua_harness.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;
using Strings = std::vector<std::string>;

namespace {

std::string aggregator(std::string_view params = "", std::string_view extra = "") {
  std::string yaml =
      "script: lua/trace_aggregate.lua\ncall: aggregate\ntimer_call: aggregate_timer\n"
      "flush_call: aggregate_flush\n" + std::string(extra);
  if (!params.empty()) yaml += "param:\n" + std::string(params);
  return yaml;
}

std::string line(std::string_view trace, std::string_view message, int status = 0, double latency = 0) {
  std::string s = R"({"traceId":")" + std::string(trace) + R"(","message":")" + std::string(message) +
                  R"(","status":)" + std::to_string(status) + R"(,"latencyMs":)";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", latency);
  return s + buf + "}";
}

std::string field(const Value& record, std::string_view key) {
  const Value* v = record.find(key);
  if (v == nullptr) return "<absent>";
  return v->is_string() ? std::string(v->as_string()) : json::to_string(*v);
}

}  // namespace

TEST_CASE("trace_aggregate: a request's lines become one record", "[filters][trace_aggregate]") {
  LuaHarness h(aggregator());
  auto out = h.run({R"({"traceId":"abc","message":"handler finished","level":"debug","status":200,"latencyMs":0})",
                    R"({"traceId":"abc","message":"request completed","level":"info","status":200,"latencyMs":52})"});
  CHECK(out == Strings{R"({"traceId":"abc","message":"handler finished\nrequest completed","level":"info",)"
                       R"("status":200,"latencyMs":52})"});
  // The request's time is its first line's.
  CHECK(h.last->events[0].time_ns == 1 * kSec);
  CHECK(h.ctx.counter("sluice_filter_lua_errors_total") == 0);
  SECTION("intermediate lines are held, across chunks, and other fields keep their latest value") {
    CHECK(h.run({R"({"traceId":"t2","message":"handler started","user":"ann","status":0})",
                 R"({"traceId":"t3","message":"handler started","status":0})"}).empty());
    CHECK(h.run({R"({"traceId":"t2","message":"request completed","status":404})"}) ==
          Strings{R"({"traceId":"t2","message":"handler started\nrequest completed","status":404,"user":"ann"})"});
  }
}

TEST_CASE("trace_aggregate: thousands of interleaved requests each come out once, in order",
          "[filters][trace_aggregate]") {
  TempDir dir;
  Process gen({"/usr/bin/env", "python3", std::string(SLUICE_SOURCE_DIR) + "/bench/gen_traces.py", "30000",
               dir.file("app.log"), "--seed", "7"});
  REQUIRE(gen.wait(60s) == 0);
  size_t requests = std::stoul(gen.err().substr(gen.err().find("requests=") + 9));
  REQUIRE(requests > 5000);

  LuaHarness h(aggregator());
  // What each request must become: its messages in file order.
  std::map<std::string, std::string> expected;
  std::map<std::string, int> seen;
  Strings lines = read_lines(dir.file("app.log"));
  Arena scratch;
  for (const auto& l : lines) {
    auto parsed = h.parsers.find("json")->parse(l, scratch);
    REQUIRE(parsed);
    std::string& m = expected[field(parsed->record, "traceId")];
    m += (m.empty() ? "" : "\n") + field(parsed->record, "message");
  }
  REQUIRE(expected.size() == requests);
  size_t emitted = 0, wrong = 0;
  for (size_t i = 0; i < lines.size(); i += 300) {
    Strings batch(lines.begin() + static_cast<ptrdiff_t>(i),
                  lines.begin() + static_cast<ptrdiff_t>(std::min(lines.size(), i + 300)));
    h.run(batch);
    for (const auto& e : h.last->events) {
      ++emitted;
      std::string trace = field(e.record, "traceId");
      ++seen[trace];
      if (field(e.record, "message") != expected[trace] || e.record.find("aggregate_incomplete") != nullptr) ++wrong;
    }
  }
  h.filter->flush();
  CHECK(h.ctx.emitted_records() == 0);  // every request completed in the file
  CHECK(emitted == requests);
  CHECK(seen.size() == requests);
  CHECK(wrong == 0);
  size_t twice = 0;
  for (const auto& [trace, n] : seen) twice += n != 1;
  CHECK(twice == 0);
}

TEST_CASE("trace_aggregate: at max_entries the least recently active request is evicted",
          "[filters][trace_aggregate]") {
  LuaHarness h(aggregator("  - max_entries 2\n"));
  CHECK(h.run({line("a", "one"), line("b", "one"), line("a", "two")}).empty());
  // c is the third open request: b (idle longest, though older a moved since) goes.
  auto out = h.run({line("c", "one", 0, 5)});
  CHECK(out == Strings{R"({"traceId":"b","message":"one","status":0,"latencyMs":0,)"
                       R"("aggregate_incomplete":true,"aggregate_reason":"evicted"})"});
  CHECK(h.last->events[0].time_ns == 2 * kSec);  // b's first line
  CHECK(h.run({line("d", "one")}) ==
        Strings{R"({"traceId":"a","message":"one\ntwo","status":0,"latencyMs":0,)"
                R"("aggregate_incomplete":true,"aggregate_reason":"evicted"})"});
  // The rest of an evicted request passes through on its own: nothing is lost.
  CHECK(h.run({line("b", "request completed", 200, 9)}) == Strings{line("b", "request completed", 200, 9)});
  h.filter->flush();
  CHECK(h.ctx.emitted_records() == 2);  // c and d
}

TEST_CASE("trace_aggregate: the timer flushes idle requests with no traffic", "[filters][trace_aggregate]") {
  LuaHarness h(aggregator("  - stale_timeout 200ms\n", "timer_interval: 20ms\n"));
  auto start = std::chrono::steady_clock::now();
  CHECK(h.run({line("idle", "handler started"), line("idle", "db query")}, "app.web").empty());
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (h.ctx.emitted.empty() && std::chrono::steady_clock::now() < deadline) {
    h.ctx.io().restart();
    h.ctx.io().run_for(10ms);
  }
  REQUIRE(h.ctx.emitted.size() == 1);
  CHECK(std::chrono::steady_clock::now() - start >= 200ms);
  CHECK(h.ctx.emitted[0]->tag == "app.web");
  CHECK(h.ctx.emitted[0]->events[0].time_ns == 1 * kSec);
  // Records a timer makes have no original to take key order from: keys come sorted.
  CHECK(h.ctx.emitted_json() == Strings{R"({"aggregate_incomplete":true,"aggregate_reason":"stale","latencyMs":0,)"
                                        R"("message":"handler started\ndb query","status":0,"traceId":"idle"})"});
}

TEST_CASE("trace_aggregate: shutdown hands over every open request, oldest first", "[filters][trace_aggregate]") {
  LuaHarness h(aggregator());
  h.run({line("x", "started"), line("y", "started"), line("x", "step")});
  h.filter->flush();
  Strings out = h.ctx.emitted_json();
  REQUIRE(out.size() == 2);
  CHECK(out[0] == R"({"aggregate_incomplete":true,"aggregate_reason":"shutdown","latencyMs":0,)"
                  R"("message":"started","status":0,"traceId":"y"})");
  CHECK(out[1].find(R"("message":"started\nstep")") != std::string::npos);
  CHECK(out[1].find(R"("aggregate_reason":"shutdown")") != std::string::npos);
}

TEST_CASE("trace_aggregate: edge cases pass through unchanged", "[filters][trace_aggregate]") {
  LuaHarness h(aggregator());
  const Strings passing = {
      R"({"message":"no key at all","level":"info"})",
      line("", "an empty key"),
      R"({"traceId":true,"message":"a boolean key"})",
      R"({"traceId":{"id":1},"message":"a map key"})",
      line("never-seen", "request completed", 200),  // a one-line request
  };
  CHECK(h.run(passing) == passing);
  SECTION("a duplicate completion comes out on its own") {
    CHECK(h.run({line("d", "started"), line("d", "request completed", 200)}).size() == 1);
    CHECK(h.run({line("d", "request completed", 200)}) == Strings{line("d", "request completed", 200)});
  }
  SECTION("a numeric key groups like a string") {
    auto out = h.run({R"({"traceId":42,"message":"a"})", R"({"traceId":42,"message":"request completed"})"});
    CHECK(out == Strings{R"({"traceId":42,"message":"a\nrequest completed"})"});
  }
  SECTION("a line without a message still joins its request") {
    auto out = h.run({line("m", "a"), R"({"traceId":"m","extra":1})", line("m", "request completed")});
    CHECK(out == Strings{R"({"traceId":"m","message":"a\nrequest completed","status":0,"latencyMs":0,"extra":1})"});
  }
}

TEST_CASE("trace_aggregate: settings come from param", "[filters][trace_aggregate]") {
  LuaHarness h(aggregator("  - key request_id\n  - message_key msg\n  - completion_pattern ^done\n"));
  auto out = h.run({R"({"request_id":"r1","msg":"begin"})", R"({"request_id":"r1","msg":"not done"})",
                    R"({"request_id":"r1","msg":"done: 200"})"});
  CHECK(out == Strings{R"({"request_id":"r1","msg":"begin\nnot done\ndone: 200"})"});
  CHECK_THAT(lua_config_error(aggregator("  - max_entries many\n")),
             Catch::Contains("the Lua script failed to load: trace_aggregate: max_entries must be a number"));
  CHECK_THAT(lua_config_error(aggregator("  - stale_timeout soon\n")),
             Catch::Contains("stale_timeout must be a duration like 30s or 500ms, got 'soon'"));
}

}  // namespace SLUICE_UNITY_ID
