// The lua filter: Fluent Bit's callback contract (codes, split, timestamps),
// record ↔ table conversion (integers, arrays, null, key order), errors kept
// and counted, config errors, params, timer and flush callbacks, and the
// acknowledgements it holds for stateful scripts.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <map>

#include "tests/filters/lua_harness.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;
using Strings = std::vector<std::string>;

namespace {

// A filter config with inline code (indented under `code: |`).
// Runs the io_context until cond holds or the deadline passes.
bool run_until(boost::asio::io_context& io, const std::function<bool()>& cond, std::chrono::milliseconds deadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (!cond() && std::chrono::steady_clock::now() < end) {
    io.restart();
    io.run_for(10ms);
  }
  return cond();
}

}  // namespace

TEST_CASE("lua filter: return codes follow Fluent Bit's contract", "[filters][lua_filter]") {
  LuaHarness h(inline_config(R"(
function cb(tag, ts, record)
  local op = record.op
  record.seen = true
  if op == "drop" then return -1, ts, record end
  if op == "keep" then return 0, ts + 100, record end
  if op == "both" then return 1, ts + 100, record end
  return 2, ts + 100, record
end)"));
  auto out = h.run({R"({"op":"drop"})", R"({"op":"keep"})", R"({"op":"both"})", R"({"op":"record"})"});
  CHECK(out == Strings{R"({"op":"keep"})", R"({"op":"both","seen":true})", R"({"op":"record","seen":true})"});
  // 0 keeps the event as it came; 1 takes the new time; 2 keeps the old one.
  CHECK(h.last->events[0].time_ns == 2 * kSec);
  CHECK(h.last->events[1].time_ns == 103 * kSec);
  CHECK(h.last->events[2].time_ns == 4 * kSec);
  CHECK(h.ctx.counter("sluice_filter_records_dropped_total") == 1);
  CHECK(h.ctx.counter("sluice_filter_lua_errors_total") == 0);
}

TEST_CASE("lua filter: FLB_ENV holds the configuration's env section", "[filters][lua_filter]") {
  std::map<std::string, std::string> env{{"TEAM", "web"}, {"EMPTY", ""}, {"HOSTNAME", "box1"}};
  LuaHarness h(inline_config(R"(
function cb(tag, ts, record)
  record.team = FLB_ENV["TEAM"]
  record.host = FLB_ENV["HOSTNAME"]
  record.empty = FLB_ENV["EMPTY"] == nil
  return 2, ts, record
end)"),
               SLUICE_SOURCE_DIR, &env);
  CHECK(h.run({"{}"}) == Strings{R"({"empty":true,"host":"box1","team":"web"})"});  // new keys by name
}

TEST_CASE("lua filter: Fluent Bit 4's five-argument callback", "[filters][lua_filter]") {
  LuaHarness h(inline_config(R"(
function cb(tag, ts, group, metadata, record)
  if type(group) ~= "table" or type(metadata) ~= "table" then return 2, ts, {error = "no tables"} end
  if record.op == "drop" then return -1, ts, metadata, record end
  if record.op == "split" then return 1, ts + 1, {{}, {}}, {{part = 1}, {part = 2}} end
  metadata.seen = true
  record.tag = tag
  return 1, ts + 10, metadata, record
end)"));
  auto out = h.run({R"({"op":"drop"})", R"({"op":"edit"})", R"({"op":"split"})"});
  CHECK(out == Strings{R"({"op":"edit","tag":"app"})", R"({"part":1})", R"({"part":2})"});
  CHECK(h.last->events[0].time_ns == 12 * kSec);
  CHECK(h.ctx.counter("sluice_filter_lua_errors_total") == 0);
  SECTION("metadata that isn't a table is an error, the record kept") {
    LuaHarness bad(inline_config("function cb(tag, ts, g, m, record) return 1, ts, 5, record end"));
    CHECK(bad.run({R"({"a":1})"}) == Strings{R"({"a":1})"});
    CHECK(bad.ctx.counter("sluice_filter_lua_errors_total") == 1);
  }
}

TEST_CASE("lua filter: a table of records splits one record into several", "[filters][lua_filter]") {
  LuaHarness h(inline_config(R"(
function cb(tag, ts, record)
  local out = {}
  for word in string.gmatch(record.log, "%S+") do out[#out + 1] = {word = word, n = #out + 1} end
  return 1, ts + 1, out
end)"));
  auto out = h.run({R"({"log":"a b c"})", R"({"log":"d"})"});
  CHECK(out == Strings{R"({"n":1,"word":"a"})", R"({"n":2,"word":"b"})", R"({"n":3,"word":"c"})",
                       R"({"n":1,"word":"d"})"});
  CHECK(h.last->events[2].time_ns == 2 * kSec);
  CHECK(h.last->events[3].time_ns == 3 * kSec);
}

TEST_CASE("lua filter: records survive the round trip through Lua", "[filters][lua_filter]") {
  LuaHarness h(inline_config("function cb(tag, ts, record) return 2, ts, record end"));
  SECTION("types, nesting and key order") {
    std::string in =
        R"({"s":"text","i":42,"neg":-7,"d":1.5,"t":true,"f":false,"arr":[1,"two",[3]],)"
        R"("map":{"z":1,"a":{"deep":"x"}},"empty_map":{},"e":1e300})";
    auto out = h.run({in});
    CHECK(out == Strings{R"({"s":"text","i":42,"neg":-7,"d":1.5,"t":true,"f":false,"arr":[1,"two",[3]],)"
                         R"("map":{"z":1,"a":{"deep":"x"}},"empty_map":{},"e":1e+300})"});
    const Value& r = h.last->events[0].record;
    CHECK(r.find("i")->is_int());
    CHECK(r.find("d")->is_double());
    CHECK(r.find("arr")->items()[0].is_int());
  }
  SECTION("integral doubles come back as integers, as in Fluent Bit") {
    auto out = h.run({R"({"a":2.0,"b":-0.0,"c":9007199254740992})"});
    CHECK(out == Strings{R"({"a":2,"b":0,"c":9007199254740992})"});
    CHECK(h.last->events[0].record.find("a")->is_int());
  }
  SECTION("null removes the key (Lua's nil), unless enable_flb_null") {
    CHECK(h.run({R"({"a":null,"b":1})"}) == Strings{R"({"b":1})"});
  }
  SECTION("arrays stay arrays: [] is not {}, a null inside an array is not a hole") {
    // Without enable_flb_null a null is Lua's nil: trailing ones can't be told from the end.
    CHECK(h.run({R"({"e":[],"a":[1,null,"x"],"n":[null],"m":{}})"}) ==
          Strings{R"({"e":[],"a":[1,null,"x"],"n":[],"m":{}})"});
    LuaHarness with_null(inline_config("function cb(tag, ts, record) return 2, ts, record end", "enable_flb_null: on\n"));
    CHECK(with_null.run({R"({"a":[1,null,"x"],"n":[null],"e":[]})"}) ==
          Strings{R"({"a":[1,null,"x"],"n":[null],"e":[]})"});
  }
  SECTION("an unchanged string is not copied again") {
    h.run({R"({"s":"some text"})"});
    // Parsed strings point into the same arena either way; equality is what a user sees.
    CHECK(h.last->events[0].record.find("s")->as_string() == "some text");
  }
}

// Fluent Bit reads a table of positive integer keys as an array even with
// holes (nulls there); checked against Fluent Bit 5.1.1's lua filter.
TEST_CASE("lua filter: a list a script builds with nils in it is an array with nulls", "[filters][lua_filter]") {
  LuaHarness h(inline_config(R"(
function cb(tag, ts, record)
  local missing = nil
  return 1, ts, {list = {1, missing, 3}, copied = {record.arr[1], record.arr[2], record.arr[3], record.arr[4]},
                 far = {[1000] = "x"}, mixed = {1, 2, x = "y"}, seq = {"a", "b"}}
end)"));
  auto out = h.run({R"({"arr":[1,"a",null,{"x":1}]})"});
  REQUIRE(out.size() == 1);
  CHECK_THAT(out[0], Catch::Contains(R"("list":[1,null,3])"));
  CHECK_THAT(out[0], Catch::Contains(R"("copied":[1,"a",null,{"x":1}])"));
  CHECK_THAT(out[0], Catch::Contains(R"("seq":["a","b"])"));
  // Mostly holes, or not only integer keys: a map, every key kept.
  CHECK_THAT(out[0], Catch::Contains(R"("far":{"1000":"x"})"));
  CHECK_THAT(out[0], Catch::Contains(R"("mixed":{)") && Catch::Contains(R"("x":"y")") &&
                         Catch::Contains(R"("1":1)"));
}

TEST_CASE("lua filter: the record's keys keep their order, new keys follow by name", "[filters][lua_filter]") {
  LuaHarness h(inline_config(R"(
function cb(tag, ts, record)
  record.added = tag
  record.b_added = 1
  record.removed = nil
  record.changed = "new"
  return 2, ts, record
end)"));
  CHECK(h.run({R"({"z":1,"removed":2,"changed":"old","a":3,"m":{"y":1,"x":2}})"}, "web") ==
        Strings{R"({"z":1,"changed":"new","a":3,"m":{"y":1,"x":2},"added":"web","b_added":1})"});
}

TEST_CASE("lua filter: Fluent Bit's conversion keys", "[filters][lua_filter]") {
  SECTION("type_int_key truncates numbers under those keys") {
    LuaHarness h(inline_config("function cb(t, ts, r) r.ratio = r.ratio * 10 return 2, ts, r end",
                               "type_int_key: ratio other\n"));
    CHECK(h.run({R"({"ratio":0.37,"x":0.5})"}) == Strings{R"({"ratio":3,"x":0.5})"});
  }
  SECTION("type_array_key makes an empty table an empty array") {
    LuaHarness h(inline_config("function cb(t, ts, r) r.tags = {} r.other = {} return 2, ts, r end",
                               "type_array_key: [tags]\n"));
    CHECK(h.run({R"({"a":1})"}) == Strings{R"({"a":1,"other":{},"tags":[]})"});
  }
  SECTION("enable_flb_null keeps nulls as flb_null both ways") {
    LuaHarness h(inline_config(R"(
function cb(t, ts, r)
  r.was_null = (r.a == flb_null)
  r.made_null = flb_null
  return 2, ts, r
end)",
                               "enable_flb_null: on\n"));
    CHECK(h.run({R"({"a":null})"}) == Strings{R"({"a":null,"made_null":null,"was_null":true})"});
  }
  SECTION("time_as_table passes and takes {sec=, nsec=}") {
    LuaHarness h(inline_config(R"(
function cb(t, ts, r)
  r.sec, r.nsec = ts.sec, ts.nsec
  return 1, {sec = ts.sec + 1, nsec = 5}, r
end)",
                               "time_as_table: on\n"));
    auto c = h.chunk({R"({})"});
    c->events[0].time_ns = 1795256430 * kSec + 123456789;
    h.filter->filter(*c);
    CHECK(LuaHarness::json_of(*c) == Strings{R"({"nsec":123456789,"sec":1795256430})"});
    CHECK(c->events[0].time_ns == 1795256431 * kSec + 5);
  }
  SECTION("a timestamp returned unchanged keeps its nanoseconds") {
    LuaHarness h(inline_config("function cb(t, ts, r) return 1, ts, r end"));
    auto c = h.chunk({R"({})"});
    c->events[0].time_ns = 1795256430 * kSec + 123456789;
    h.filter->filter(*c);
    CHECK(c->events[0].time_ns == 1795256430 * kSec + 123456789);
  }
}

TEST_CASE("lua filter: errors keep the record as it came and are counted", "[filters][lua_filter]") {
  LuaHarness h(inline_config(R"(
function cb(tag, ts, record)
  local k = record.kind
  if k == "error" then error("boom") end
  if k == "nil_index" then return record.missing.field end
  if k == "code_string" then return "1", ts, record end
  if k == "code_5" then return 5, ts, record end
  if k == "bad_record" then return 1, ts, "text" end
  if k == "bad_time" then return 1, "later", record end
  if k == "bad_item" then return 1, ts, {record, 5} end
  if k == "cycle" then record.self = record return 2, ts, record end
  if k == "long_key" then record[string.rep("k", 70000)] = 1 return 2, ts, record end
  record.ok = true
  return 2, ts, record
end)"));
  Strings in;
  for (const char* k : {"error", "nil_index", "code_string", "code_5", "bad_record", "bad_time", "bad_item", "cycle",
                        "long_key"})
    in.push_back(std::string(R"({"kind":")") + k + "\"}");
  in.push_back(R"({"kind":"fine"})");
  Strings expected = in;
  expected.back() = R"({"kind":"fine","ok":true})";
  CHECK(h.run(in) == expected);
  CHECK(h.ctx.counter("sluice_filter_lua_errors_total") == 9);
}

TEST_CASE("lua filter: configuration errors name the key and the script's line", "[filters][lua_filter]") {
  TempDir dir;
  write_file(dir.file("broken.lua"), "function cb(tag, ts, record)\n  return 0, ts record\nend\n");
  write_file(dir.file("fails.lua"), "local x = nil\nlocal y = x.field\n");
  write_file(dir.file("ok.lua"), "function cb(t, ts, r) return 0, ts, r end\n");

  CHECK_THAT(lua_config_error("call: cb\n"),
             Catch::Contains("key 'script': set either script (a Lua file) or code (inline Lua), one of the two"));
  CHECK_THAT(lua_config_error("call: cb\ncode: x = 1\nscript: a.lua\n"),
             Catch::Contains("set either script (a Lua file) or code (inline Lua), one of the two"));
  CHECK_THAT(lua_config_error("call: cb\nscript: missing.lua\n", dir.path()),
             Catch::Contains("cannot read the script '" + dir.file("missing.lua") + "'"));
  // A syntax error and a runtime error at load both name the file and line.
  CHECK_THAT(lua_config_error("call: cb\nscript: broken.lua\n", dir.path()),
             Catch::Contains("the Lua script failed to load: " + dir.file("broken.lua") + ":2:"));
  CHECK_THAT(lua_config_error("call: cb\nscript: fails.lua\n", dir.path()),
             Catch::Contains(dir.file("fails.lua") + ":2: attempt to index"));
  CHECK_THAT(lua_config_error("call: cb\ncode: 'x = = 1'\n"), Catch::Contains("failed to load: [code]:1:"));
  CHECK_THAT(lua_config_error("call: nope\nscript: ok.lua\n", dir.path()),
             Catch::Contains("key 'call'") && Catch::Contains("the script defines no global function 'nope'"));
  CHECK_THAT(lua_config_error("call: cb\nscript: ok.lua\ntimer_call: tick\n", dir.path()),
             Catch::Contains("no global function 'tick'"));
  CHECK_THAT(lua_config_error("call: cb\nscript: ok.lua\nparam: lonely\n", dir.path()),
             Catch::Contains("expected 'NAME VALUE' (a name, a space, the value), got 'lonely'"));
  CHECK_THAT(lua_config_error("call: cb\nscript: ok.lua\ntimer_interval: 0s\n", dir.path()),
             Catch::Contains("expected a duration above 0"));
  CHECK_THAT(lua_config_error("call: cb\nscript: ok.lua\nscirpt: x\n", dir.path()),
             Catch::Contains("did you mean 'script'?"));
  CHECK(lua_config_error("call: cb\nscript: ok.lua\n", dir.path()) == "no error");
}

TEST_CASE("lua filter: param entries reach the script as sluice_params", "[filters][lua_filter]") {
  LuaHarness h(inline_config("function cb(t, ts, r) r.key = sluice_params.key r.n = sluice_params.max return 2, ts, r end",
                             "param:\n  - key request_id\n  - max   1000 \n"));
  CHECK(h.run({R"({})"}) == Strings{R"({"key":"request_id","n":"1000"})"});
}

TEST_CASE("lua filter: timer_call emits records after the filter", "[filters][lua_filter]") {
  LuaHarness h(inline_config(R"(
local ticks = 0
function cb(tag, ts, record) return -1, ts, record end
function tick(now)
  ticks = ticks + 1
  if ticks == 1 then return nil end
  if ticks == 2 then return {{tick = ticks}, {"other.tag", 7.5, {tick = ticks}}} end
  return {}
end)",
                             "timer_call: tick\ntimer_interval: 20ms\n"));
  h.run({R"({"a":1})"}, "web");  // the default tag is the last one seen
  REQUIRE(run_until(h.ctx.io(), [&] { return h.ctx.emitted.size() >= 2; }, 5s));
  REQUIRE(h.ctx.emitted.size() == 2);
  CHECK(h.ctx.emitted[0]->tag == "web");
  CHECK(h.ctx.emitted[1]->tag == "other.tag");
  CHECK(h.ctx.emitted[1]->events[0].time_ns == 7 * kSec + kSec / 2);
  CHECK(h.ctx.emitted_json() == Strings{R"({"tick":2})", R"({"tick":2})"});
  CHECK(h.ctx.counter("sluice_filter_lua_emitted_total") == 2);
}

TEST_CASE("lua filter: flush_call runs once at shutdown and stops the timer", "[filters][lua_filter]") {
  LuaHarness h(inline_config(R"(
local held = {}
function cb(tag, ts, record) held[#held + 1] = record return -1, ts, record end
function tick() return {{from = "timer"}} end
function flush() local out = held held = {} return out end)",
                             "timer_call: tick\ntimer_interval: 10ms\nflush_call: flush\nemit_tag: agg\n"));
  h.run({R"({"n":1})", R"({"n":2})"});
  h.filter->flush();
  REQUIRE(h.ctx.emitted.size() == 1);
  CHECK(h.ctx.emitted[0]->tag == "agg");
  CHECK(h.ctx.emitted_json() == Strings{R"({"n":1})", R"({"n":2})"});
  h.filter->flush();  // once only
  h.ctx.io().run_for(50ms);
  CHECK(h.ctx.emitted.size() == 1);
}

TEST_CASE("lua filter: a failing or ill-typed emitter is counted, sluice goes on", "[filters][lua_filter]") {
  LuaHarness h(inline_config(R"(
function cb(tag, ts, record) return 0, ts, record end
function flush() return {{ok = 1}, "not a record"} end)",
                             "flush_call: flush\n"));
  h.filter->flush();
  CHECK(h.ctx.emitted_json() == Strings{R"({"ok":1})"});  // what came before the bad item
  CHECK(h.ctx.counter("sluice_filter_lua_errors_total") == 1);
}

TEST_CASE("lua filter: a stateful script holds input acks until what it held left", "[filters][lua_filter]") {
  // The script keeps every record and hands them out at flush.
  const std::string code = R"(
local held = {}
function cb(tag, ts, record) held[#held + 1] = record return -1, ts, record end
function tick() return nil end
function flush() local out = held held = {} return out end)";
  RecordingSink sink;

  SECTION("an offset is acknowledged only after the flushed chunk was delivered") {
    LuaHarness h(inline_config(code, "timer_call: tick\nflush_call: flush\nack_hold: 1h\n"));
    auto c = h.chunk({R"({"n":1})"});
    c->acks.emplace_back(&sink, 1);
    h.filter->filter(*c);
    CHECK(c->events.empty());
    c.reset();  // the pipeline releases the emptied chunk
    CHECK_FALSE(sink.acked(1));
    h.filter->flush();
    REQUIRE(h.ctx.emitted.size() == 1);
    CHECK_FALSE(sink.acked(1));
    h.ctx.emitted.clear();  // delivered
    CHECK(sink.acked(1));
  }
  SECTION("an emitted chunk that was not delivered fails the input's ack") {
    LuaHarness h(inline_config(code, "timer_call: tick\nflush_call: flush\nack_hold: 1h\n"));
    auto c = h.chunk({R"({"n":1})"});
    c->acks.emplace_back(&sink, 2);
    h.filter->filter(*c);
    c.reset();
    h.filter->flush();
    h.ctx.emitted[0]->fail_acks();
    h.ctx.emitted.clear();
    CHECK(sink.was_failed(2));
  }
  SECTION("the hold ends after ack_hold, once chunks emitted meanwhile were delivered") {
    LuaHarness h(inline_config(code, "timer_call: tick\ntimer_interval: 10ms\nflush_call: flush\nack_hold: 100ms\n"));
    auto c = h.chunk({R"({"n":1})"});
    c->acks.emplace_back(&sink, 3);
    h.filter->filter(*c);
    c.reset();
    auto passing = h.chunk({R"({"n":2})"});  // a chunk sent on while 3 is held
    h.filter->filter(*passing);
    CHECK_FALSE(run_until(h.ctx.io(), [&] { return sink.acked(3); }, 300ms));
    passing.reset();
    CHECK(run_until(h.ctx.io(), [&] { return sink.acked(3); }, 5s));
  }
  SECTION("without timer_call, the hold's timer runs only while acks are held") {
    LuaHarness h(inline_config(code, "flush_call: flush\nack_hold: 50ms\n"));
    CHECK(h.ctx.io().run_for(100ms) == 0);  // nothing held: no timer (run_for returns at once)
    auto c = h.chunk({R"({"n":1})"});
    c->acks.emplace_back(&sink, 5);
    h.filter->filter(*c);
    c.reset();
    CHECK(run_until(h.ctx.io(), [&] { return sink.acked(5); }, 5s));  // the timer aged it out
    h.ctx.io().restart();
    CHECK(h.ctx.io().run_for(100ms) == 0);  // and stopped
  }
  SECTION("a stateless script holds nothing") {
    LuaHarness h(inline_config("function cb(tag, ts, record) return -1, ts, record end"));
    auto c = h.chunk({R"({"n":1})"});
    c->acks.emplace_back(&sink, 4);
    h.filter->filter(*c);
    CHECK(c->acks.size() == 1);
    c.reset();
    CHECK(sink.acked(4));
  }
}

}  // namespace SLUICE_UNITY_ID
