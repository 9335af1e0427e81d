// Fluent Bit 4's per-record metadata through sluice's filter chain: what a
// five-argument Lua callback sets, the next one reads (past three-argument
// scripts and grep), split records take a metadata array's entries, and a
// record without metadata gives an empty table.
#include <catch2/catch.hpp>

#include "agent/config/yaml_loader.hpp"
#include "agent/json_writer.hpp"
#include "filters/grep/grep_filter.hpp"
#include "inputs/opentelemetry/otlp_logs.hpp"
#include "tests/filters/lua_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::test;
using Strings = std::vector<std::string>;

namespace {

// Sets metadata: source = record.src, and for "split" records two records
// with one metadata table each.
constexpr std::string_view kSetter = R"(
function cb(tag, ts, group, metadata, record)
  if record.op == "split" then
    return 2, ts, {{part = "a"}, {part = "b"}}, {{n = 1}, {n = 2}}
  end
  if record.op == "none" then return 0, ts, metadata, record end
  metadata.source = record.src
  return 2, ts, metadata, record
end)";

// Copies what it finds in the metadata into the record.
constexpr std::string_view kReader = R"(
function cb(tag, ts, group, metadata, record)
  local keys = 0
  for _ in pairs(metadata) do keys = keys + 1 end
  record.meta_keys = keys
  record.meta_source = metadata.source
  record.meta_part = metadata.part
  return 2, ts, nil, record
end)";

std::vector<std::string> json_of(const Chunk& c) { return LuaHarness::json_of(c); }

}  // namespace

TEST_CASE("lua metadata: what one five-argument filter sets, the next reads", "[filters][lua_metadata]") {
  LuaHarness setter(inline_config(kSetter));
  LuaHarness reader(inline_config(kReader));
  auto chunk = setter.chunk({R"({"src":"one"})", R"({"op":"none"})", R"({"op":"split"})", R"({"src":"two"})"});
  setter.filter->filter(*chunk);
  REQUIRE(chunk->metadata.size() == chunk->events.size());
  reader.filter->filter(*chunk);
  CHECK(json_of(*chunk) == Strings{
      R"({"src":"one","meta_keys":1,"meta_source":"one"})",
      R"({"op":"none","meta_keys":0})",  // a record without metadata: an empty table
      R"({"n":1,"meta_keys":1,"meta_part":"a"})",
      R"({"n":2,"meta_keys":1,"meta_part":"b"})",
      R"({"src":"two","meta_keys":1,"meta_source":"two"})"});
  // nil returned as metadata keeps what the record had.
  REQUIRE(chunk->metadata.size() == 5);
  CHECK(json::to_string(chunk->metadata[4]) == R"({"source":"two"})");
  CHECK(setter.ctx.counter("sluice_filter_lua_errors_total") == 0);
  CHECK(reader.ctx.counter("sluice_filter_lua_errors_total") == 0);
}

TEST_CASE("lua metadata: stays with its record through other filters", "[filters][lua_metadata]") {
  LuaHarness setter(inline_config(kSetter));
  // A three-argument script that drops one record and splits another: its
  // new records inherit the metadata of the record they came from.
  LuaHarness plain(inline_config(R"(
function cb(tag, ts, record)
  if record.src == "drop" then return -1, ts, record end
  if record.src == "twice" then return 2, ts, {{src = "twice", copy = 1}, {src = "twice", copy = 2}} end
  return 0, ts, record
end)"));
  CapturingFilterContext grep_ctx;
  auto grep = make_grep_filter(config::load_component(grep_filter_schema(), "filter", "exclude: src ^gone$\n"),
                               BuildContext{});
  grep->start(grep_ctx);
  LuaHarness reader(inline_config(kReader));

  auto chunk = setter.chunk({R"({"src":"a"})", R"({"src":"drop"})", R"({"src":"gone"})", R"({"src":"twice"})",
                             R"({"src":"b"})"});
  setter.filter->filter(*chunk);
  plain.filter->filter(*chunk);
  grep->filter(*chunk);
  REQUIRE(chunk->metadata.size() == chunk->events.size());
  reader.filter->filter(*chunk);
  CHECK(json_of(*chunk) == Strings{
      R"({"src":"a","meta_keys":1,"meta_source":"a"})",
      R"({"src":"twice","copy":1,"meta_keys":1,"meta_source":"twice"})",
      R"({"src":"twice","copy":2,"meta_keys":1,"meta_source":"twice"})",
      R"({"src":"b","meta_keys":1,"meta_source":"b"})"});
}

TEST_CASE("lua metadata: chunks that never met a five-argument script carry none", "[filters][lua_metadata]") {
  LuaHarness plain(inline_config("function cb(tag, ts, record) record.x = 1 return 2, ts, record end"));
  auto chunk = plain.chunk({R"({"a":1})", R"({"a":2})"});
  plain.filter->filter(*chunk);
  CHECK(chunk->metadata.empty());
  SECTION("nor do those whose five-argument script set nothing") {
    LuaHarness reader(inline_config(kReader));
    reader.filter->filter(*chunk);
    CHECK(chunk->metadata.empty());
    CHECK(json_of(*chunk)[0] == R"({"a":1,"x":1,"meta_keys":0})");
  }
}

TEST_CASE("lua metadata: a metadata array that doesn't match the records is an error", "[filters][lua_metadata]") {
  LuaHarness h(inline_config(R"(
function cb(tag, ts, group, metadata, record)
  return 2, ts, {{m = 1}, {m = 2}, {m = 3}}, {{n = 1}, {n = 2}}
end)"));
  CHECK(h.run({R"({"a":1})"}) == Strings{R"({"a":1})"});  // kept as it came
  CHECK(h.ctx.counter("sluice_filter_lua_errors_total") == 1);
  SECTION("one metadata table goes to every record of a split") {
    LuaHarness all(inline_config(R"(
function cb(tag, ts, group, metadata, record)
  return 2, ts, {k = "v"}, {{n = 1}, {n = 2}}
end)"));
    auto chunk = all.chunk({R"({"a":1})"});
    all.filter->filter(*chunk);
    REQUIRE(chunk->metadata.size() == 2);
    CHECK(json::to_string(chunk->metadata[0]) == R"({"k":"v"})");
    CHECK(json::to_string(chunk->metadata[1]) == R"({"k":"v"})");
  }
}

TEST_CASE("lua metadata: an OTLP log's group is its resource and scope, as in Fluent Bit", "[filters][lua_metadata]") {
  LuaHarness h(inline_config(R"(
function cb(tag, ts, group, metadata, record)
  record.service = group.resource and group.resource.attributes["service.name"]
  record.scope = group.scope and group.scope.name
  record.severity = metadata.otlp and metadata.otlp.severity_text
  return 2, ts, metadata, record
end)"));
  Chunk chunk("v1_logs");
  OtlpJsonDecoder otlp;
  REQUIRE_FALSE(otlp.decode(R"({"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":)"
                            R"({"stringValue":"cart"}}]},"scopeLogs":[{"scope":{"name":"io.app"},"logRecords":)"
                            R"([{"severityText":"WARN","body":{"stringValue":"low stock"}}]}]}]})",
                            {}, 1, chunk));
  h.filter->filter(chunk);
  auto out = json_of(chunk);
  REQUIRE(out.size() == 1);
  for (const char* part : {R"("log":"low stock")", R"("service":"cart")", R"("scope":"io.app")", R"("severity":"WARN")"})
    CHECK_THAT(out[0], Catch::Contains(part));  // new keys in Lua's table order
  // Other records get an empty group.
  CHECK(h.run({R"({"a":1})"}) == Strings{R"({"a":1})"});
}

}  // namespace SLUICE_UNITY_ID
