// The lua filter's fast path (filters/lua/record_table.hpp, begin_call):
// once records of one shape (the same keys in the same order) keep coming,
// their tables are built by a compiled constructor. Each test runs enough
// records of a shape to cross into it and checks every record's result,
// so the slow and the fast path must agree on Fluent Bit's contract.
#include <catch2/catch.hpp>

#include <string>
#include <variant>

#include "agent/json_writer.hpp"
#include "filters/lua/lua_script.hpp"
#include "tests/filters/lua_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::test;
using Strings = std::vector<std::string>;

namespace {

constexpr int kMany = 40;  // well past the records a shape needs before it gets a constructor

// n copies of a record in one chunk, as JSON after the filter.
Strings run_many(LuaHarness& h, const std::string& record, int n = kMany) { return h.run(Strings(n, record)); }

}  // namespace

TEST_CASE("lua fast path: modification, pairs() and new tables", "[filters][lua_fast_path]") {
  SECTION("a modified record") {
    LuaHarness h(inline_config(R"(
function cb(tag, ts, record)
  record.user = string.upper(record.user)
  record.password = nil
  record.added = record.n * 2
  return 2, ts, record
end)"));
    CHECK(run_many(h, R"({"user":"ann","password":"x","n":21})") ==
          Strings(kMany, R"({"user":"ANN","n":21,"added":42})"));
  }
  SECTION("pairs() sees every key once, nested tables included") {
    LuaHarness h(inline_config(R"(
function cb(tag, ts, record)
  local keys = {}
  for k, v in pairs(record) do keys[#keys + 1] = k end
  table.sort(keys)
  return 2, ts, {keys = table.concat(keys, ","), inner = record.m.x, first = record.a[1]}
end)"));
    CHECK(run_many(h, R"({"b":1,"a":[7,8],"c":"s","m":{"x":"y"}})") ==
          Strings(kMany, R"({"first":7,"inner":"y","keys":"a,b,c,m"})"));
  }
  SECTION("an unchanged record returned with code 2, and code 0") {
    LuaHarness back(inline_config("function cb(tag, ts, record) return 2, ts, record end"));
    std::string in = R"({"s":"text","i":42,"d":1.5,"t":true,"arr":[1,"two",[3]],"m":{"k":"v"},"e":[],"o":{}})";
    CHECK(run_many(back, in) == Strings(kMany, in));
    LuaHarness keep(inline_config("function cb(tag, ts, record) record.x = 1 return 0, ts, record end"));
    CHECK(run_many(keep, in) == Strings(kMany, in));
  }
}

// One chunk whose records switch between a shape and a shorter one that
// starts with the same keys, and back: each keeps its own keys.
TEST_CASE("lua fast path: shapes that share their first keys, in one chunk", "[filters][lua_fast_path]") {
  LuaHarness h(inline_config(R"(
function cb(tag, ts, record)
  local keys = {}
  for k in pairs(record) do keys[#keys + 1] = k end
  table.sort(keys)
  return 2, ts, {keys = table.concat(keys, ",")}
end)"));
  const std::string longer = R"({"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10})";
  const std::string shorter = R"({"a":1,"b":2,"c":3,"d":4,"e":5})";
  Strings in, expected;
  for (const std::string* r : {&longer, &shorter, &longer, &shorter}) {
    for (int i = 0; i < kMany; ++i) {
      in.push_back(*r);
      expected.push_back(r == &longer ? R"({"keys":"a,b,c,d,e,f,g,h,i,j"})" : R"({"keys":"a,b,c,d,e"})");
    }
  }
  CHECK(h.run(in) == expected);
}

TEST_CASE("lua fast path: a table the script keeps across calls stays its own", "[filters][lua_fast_path]") {
  // Returns the previous record (the table it kept), and holds the current one.
  LuaHarness h(inline_config(R"(
local previous = nil
function cb(tag, ts, record)
  local out = previous
  previous = record
  if out == nil then return -1, ts, record end
  return 2, ts, out
end)"));
  Strings in, want;
  for (int i = 0; i < kMany; ++i) {
    in.push_back(R"({"n":)" + std::to_string(i) + R"(,"s":"v)" + std::to_string(i) + R"("})");
    if (i + 1 < kMany) want.push_back(in.back());
  }
  CHECK(h.run(in) == want);
}

TEST_CASE("lua fast path: nulls and arrays as Fluent Bit passes them", "[filters][lua_fast_path]") {
  std::string in = R"({"a":1,"n":null,"arr":[1,null,"x"],"e":[]})";
  SECTION("without enable_flb_null a null is nil: the key is absent") {
    LuaHarness h(inline_config(R"(
function cb(tag, ts, record)
  record.has_n = record.n ~= nil
  return 2, ts, record
end)"));
    CHECK(run_many(h, in) == Strings(kMany, R"({"a":1,"arr":[1,null,"x"],"e":[],"has_n":false})"));
  }
  SECTION("with enable_flb_null it is flb_null and comes back null") {
    LuaHarness h(inline_config(R"(
function cb(tag, ts, record)
  record.is_null = record.n == flb_null
  return 2, ts, record
end)",
                            "enable_flb_null: on\n"));
    CHECK(run_many(h, in) == Strings(kMany, R"({"a":1,"n":null,"arr":[1,null,"x"],"e":[],"is_null":true})"));
  }
}

TEST_CASE("lua fast path: keys that need escaping in Lua source", "[filters][lua_fast_path]") {
  LuaHarness h(inline_config(R"(
function cb(tag, ts, record)
  record.got = record['q"uote'] .. record['back\\slash'] .. record['new\nline'] .. record[']] x --']
  return 2, ts, record
end)"));
  std::string in = R"({"q\"uote":"1","back\\slash":"2","new\nline":"3","]] x --":"4","ünï":"5","":"6"})";
  std::string want = R"({"q\"uote":"1","back\\slash":"2","new\nline":"3","]] x --":"4","ünï":"5","":"6","got":"1234"})";
  CHECK(run_many(h, in) == Strings(kMany, want));
}

TEST_CASE("lua fast path: shapes that change", "[filters][lua_fast_path]") {
  LuaHarness h(inline_config(R"(
function cb(tag, ts, record)
  local n = 0
  for _ in pairs(record) do n = n + 1 end
  record.count = n
  return 2, ts, record
end)"));
  SECTION("blocks of two shapes, and one record of a third between them") {
    Strings in, want;
    for (int block = 0; block < 6; ++block) {
      for (int i = 0; i < 20; ++i) {
        in.push_back(block % 2 ? R"({"x":1,"y":2})" : R"({"a":1,"b":2,"c":3})");
        want.push_back(block % 2 ? R"({"x":1,"y":2,"count":2})" : R"({"a":1,"b":2,"c":3,"count":3})");
      }
      in.push_back(R"({"z":0})");
      want.push_back(R"({"z":0,"count":1})");
    }
    CHECK(h.run(in) == want);
  }
  SECTION("more shapes than are kept, the same keys in another order") {
    Strings in, want;
    for (int shape = 0; shape < 24; ++shape) {
      std::string k = "k" + std::to_string(shape);
      for (int i = 0; i < 20; ++i) {
        in.push_back(shape % 2 ? R"({")" + k + R"(":1,"a":2})" : R"({"a":2,")" + k + R"(":1})");
        want.push_back(shape % 2 ? R"({")" + k + R"(":1,"a":2,"count":2})" : R"({"a":2,")" + k + R"(":1,"count":2})");
      }
    }
    CHECK(h.run(in) == want);
    CHECK(h.run(in) == want);  // the shapes again, some of them evicted
  }
  SECTION("a record with more keys than a constructor takes") {
    std::string in = "{", want;
    for (int i = 0; i < 210; ++i) in += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
    want = in + ",\"count\":210}";
    in += "}";
    CHECK(run_many(h, in) == Strings(kMany, want));
  }
}

TEST_CASE("lua fast path: five-argument callbacks and errors", "[filters][lua_fast_path]") {
  SECTION("the five-argument form") {
    LuaHarness h(inline_config(R"(
function cb(tag, ts, group, metadata, record)
  metadata.tag = tag
  record.kind = type(group) .. type(metadata)
  return 2, ts, metadata, record
end)"));
    auto chunk = h.chunk(Strings(kMany, R"({"a":1})"));
    h.filter->filter(*chunk);
    REQUIRE(chunk->events.size() == kMany);
    REQUIRE(chunk->metadata.size() == kMany);
    CHECK(json::to_string(chunk->events.back().record) == R"({"a":1,"kind":"tabletable"})");
    CHECK(json::to_string(chunk->metadata.back()) == R"({"tag":"app"})");
  }
  SECTION("an error names the script's line; the record is kept") {
    LuaHarness h(inline_config("function cb(tag, ts, record)\n  return 2, ts, record.missing.field\nend"));
    CHECK(run_many(h, R"({"a":1})") == Strings(kMany, R"({"a":1})"));
    CHECK(h.ctx.counter("sluice_filter_lua_errors_total") == kMany);
  }
}

// The shape check trusts key addresses only within a chunk: a new chunk's
// keys may lie where the last chunk's were (its arena freed and reused) and
// say something else. Here one buffer holds the keys of both "chunks".
TEST_CASE("lua fast path: keys at the addresses of the last chunk's are read again", "[lua][lua_fast_path]") {
  auto loaded = lua::LuaScript::load(
      {R"(
        function cb(tag, ts, r)
          local ks = {}
          for k in pairs(r) do ks[#ks + 1] = k end
          table.sort(ks)
          return 2, ts, {keys = table.concat(ks, ",")}
        end)",
       "=[code]", {}, {}},
      {});
  REQUIRE(std::holds_alternative<std::unique_ptr<lua::LuaScript>>(loaded));
  auto& script = std::get<std::unique_ptr<lua::LuaScript>>(loaded);
  int cb = script->function("cb");
  char keys[] = "abc";
  Member members[3] = {{std::string_view(keys, 1), Value::integer(1)},
                       {std::string_view(keys + 1, 1), Value::integer(2)},
                       {std::string_view(keys + 2, 1), Value::integer(3)}};
  Event event{0, Value::map(members, 3)};
  auto keys_seen = [&] {
    Arena arena;
    std::vector<Event> out;
    lua::CallResult r = script->call_record(cb, "t", event, arena, out);
    REQUIRE(r.outcome == lua::Outcome::Replaced);
    REQUIRE(out.size() == 1);
    return std::string(out[0].record.find("keys")->as_string());
  };
  script->new_chunk();
  for (int i = 0; i < kMany; ++i) REQUIRE(keys_seen() == "a,b,c");  // past the shape's compile
  keys[0] = 'x';  // the same addresses, other text: as after an arena's reuse
  script->new_chunk();
  CHECK(keys_seen() == "b,c,x");
  for (int i = 0; i < kMany; ++i) REQUIRE(keys_seen() == "b,c,x");
}

}  // namespace SLUICE_UNITY_ID
