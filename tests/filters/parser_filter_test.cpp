// The parser filter: key_name parsed by the first parser that accepts it,
// reserve_data, preserve_key, time replacement, failures kept and counted.
#include <catch2/catch.hpp>

#include <string>

#include "agent/parse/parser.hpp"
#include "agent/record.hpp"
#include "filters/parser/parser_filter.hpp"
#include "tests/filters/filter_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kBase = 1795256430;  // 2026-11-21T10:20:30Z

struct Harness {
  explicit Harness(std::string_view yaml, std::string_view parsers_yaml = "") {
    std::vector<config::ComponentConfig> parsers;
    if (!parsers_yaml.empty()) parsers = config::load_string("parsers:\n" + std::string(parsers_yaml)).parsers;
    set = ParserSet::build(parsers);
    BuildContext build;
    build.parsers = &set;
    filter = make_parser_filter(config::load_component(parser_filter_schema(), "filter", yaml), build);
    filter->start(ctx);
  }

  // Runs one chunk with these records (JSON objects built with the json
  // parser itself), each at time 1s; returns the records as JSON.
  std::vector<std::string> run(const std::vector<std::string>& records) {
    chunk = std::make_unique<Chunk>("app");
    for (const auto& text : records) {
      auto parsed = set.find("json")->parse(text, chunk->arena);
      REQUIRE(parsed);
      chunk->events.push_back(Event{kSec, parsed->record});
    }
    filter->filter(*chunk);
    std::vector<std::string> out;
    for (const auto& e : chunk->events) out.push_back(json::to_string(e.record));
    return out;
  }

  ParserSet set;
  testing::FakeFilterContext ctx{"parser.0"};
  std::unique_ptr<Filter> filter;
  ChunkPtr chunk;
};

std::string config_error(std::string_view yaml) {
  try {
    Harness h(yaml);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("parser filter: the record becomes the parsed map", "[filters][parser_filter]") {
  Harness h("key_name: log\nparser: json");
  auto out = h.run({R"({"log":"{\"status\":200,\"msg\":\"ok\"}","stream":"stdout"})"});
  CHECK(out == std::vector<std::string>{R"({"status":200,"msg":"ok"})"});
  CHECK(h.chunk->events[0].time_ns == kSec);  // the parser produced no time
  CHECK(h.ctx.counter("sluice_filter_parsed_records_total") == 1);
  CHECK(h.ctx.counter("sluice_filter_parse_failures_total") == 0);
}

TEST_CASE("parser filter: reserve_data keeps the other fields, parsed ones win", "[filters][parser_filter]") {
  Harness h("key_name: log\nparser: json\nreserve_data: on");
  auto out = h.run({R"({"stream":"stdout","log":"{\"stream\":\"parsed\",\"a\":1}","host":"h1"})"});
  CHECK(out == std::vector<std::string>{R"({"stream":"parsed","a":1,"host":"h1"})"});
}

TEST_CASE("parser filter: preserve_key keeps key_name", "[filters][parser_filter]") {
  SECTION("alone") {
    Harness h("key_name: log\nparser: json\npreserve_key: on");
    auto out = h.run({R"({"log":"{\"a\":1}","host":"h1"})"});
    CHECK(out == std::vector<std::string>{R"({"a":1,"log":"{\"a\":1}"})"});
  }
  SECTION("with reserve_data, over a parsed field of the same name") {
    Harness h("key_name: log\nparser: json\npreserve_key: on\nreserve_data: on");
    auto out = h.run({R"({"host":"h1","log":"{\"log\":\"inner\",\"a\":1}"})"});
    CHECK(out == std::vector<std::string>{R"({"log":"{\"log\":\"inner\",\"a\":1}","a":1,"host":"h1"})"});
  }
}

TEST_CASE("parser filter: parsers are tried in order", "[filters][parser_filter]") {
  Harness h("key_name: message\nparser: [json, logfmt]");
  auto out = h.run({R"({"message":"{\"j\":1}"})", R"({"message":"k=v"})"});
  CHECK(out == std::vector<std::string>{R"({"j":1})", R"({"k":"v"})"});
  CHECK(h.ctx.counter("sluice_filter_parsed_records_total") == 2);
  SECTION("a comma-separated scalar names several parsers too") {
    Harness h2("key_name: message\nparser: json, logfmt");
    CHECK(h2.run({R"({"message":"k=v"})"}) == std::vector<std::string>{R"({"k":"v"})"});
  }
}

TEST_CASE("parser filter: the event time is replaced when the parser reads one", "[filters][parser_filter]") {
  Harness h("key_name: log\nparser: [withtime]", R"(
  - name: withtime
    format: json
    time_key: ts
)");
  auto out = h.run({R"({"log":"{\"ts\":\"2026-11-21T10:20:30.5Z\",\"m\":1}"})",
                    R"({"log":"{\"ts\":\"not a time\",\"m\":2}"})"});
  CHECK(out == std::vector<std::string>{R"({"m":1})", R"({"ts":"not a time","m":2})"});
  CHECK(h.chunk->events[0].time_ns == kBase * kSec + 500'000'000);
  CHECK(h.chunk->events[1].time_ns == kSec);  // kept: the record still parsed
  CHECK(h.ctx.counter("sluice_filter_parsed_records_total") == 2);
}

TEST_CASE("parser filter: failures keep the record as it came and are counted", "[filters][parser_filter]") {
  Harness h("key_name: log\nparser: json\nreserve_data: on");
  const std::vector<std::string> in = {
      R"({"log":"not json at all","a":1})",  // no parser accepts it
      R"({"other":"x"})",                    // key missing
      R"({"log":42})",                       // not a string
      R"({"log":{"nested":true}})",          // not a string
      R"({"log":"{\"fine\":true}"})",
  };
  auto out = h.run(in);
  REQUIRE(out.size() == 5);
  for (size_t i = 0; i < 4; ++i) CHECK(out[i] == in[i]);
  CHECK(out[4] == R"({"fine":true})");
  for (const auto& e : h.chunk->events) CHECK(e.time_ns == kSec);
  CHECK(h.ctx.counter("sluice_filter_parse_failures_total") == 4);
  CHECK(h.ctx.counter("sluice_filter_parsed_records_total") == 1);
}

TEST_CASE("parser filter: without a ParserSet from the core the built-ins are used", "[filters][parser_filter]") {
  auto filter = make_parser_filter(
      config::load_component(parser_filter_schema(), "filter", "key_name: log\nparser: logfmt"), BuildContext{});
  Chunk chunk("app");
  std::vector<Member> scratch;
  MapBuilder builder(chunk.arena, scratch);
  builder.add("log", record::string(chunk.arena, "a=1"));
  chunk.events.push_back(Event{0, builder.finish()});
  filter->filter(chunk);  // works before start(): counters fall back to private ones
  CHECK(json::to_string(chunk.events[0].record) == R"({"a":"1"})");
}

TEST_CASE("parser filter: configuration", "[filters][parser_filter]") {
  SECTION("defaults") {
    auto cfg = config::load_component(parser_filter_schema(), "filter", "key_name: log\nparser: json");
    CHECK_FALSE(cfg.get_bool("reserve_data"));
    CHECK_FALSE(cfg.get_bool("preserve_key"));
  }
  CHECK(config_error("key_name: log\nparser: [json, nope]") ==
        "<test>:2:1: filter parser (<test>:1): key 'parser': unknown parser 'nope'; known parsers: docker, json, "
        "logfmt");
  CHECK(config_error("key_name: ''\nparser: json") ==
        "<test>:1:1: filter parser (<test>:1): key 'key_name': must name the field to parse, e.g. log");
  CHECK(config_error("key_name: log\nparser: ' , '") ==
        "<test>:2:1: filter parser (<test>:1): key 'parser': expected one or more parser names");
  CHECK_THROWS_WITH(config::load_component(parser_filter_schema(), "filter", "parser: json"),
                    Catch::Contains("missing required key 'key_name'"));
  CHECK_THROWS_WITH(config::load_component(parser_filter_schema(), "filter", "key_name: log"),
                    Catch::Contains("missing required key 'parser'"));
  CHECK_THROWS_WITH(config::load_component(parser_filter_schema(), "filter", "key_name: log\nparser: json\nreserve: on"),
                    Catch::Contains("reserve"));
}

}  // namespace SLUICE_UNITY_ID
