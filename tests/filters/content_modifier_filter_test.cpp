// The content_modifier filter (Fluent Bit's content_modifier processor):
// each action on records, the conversions, the metadata context, what
// can't apply, and its configuration errors.
#include <catch2/catch.hpp>

#include "filters/content_modifier/content_modifier_filter.hpp"
#include "inputs/opentelemetry/otlp_logs.hpp"
#include "tests/filters/filter_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using sluice::testing::FilterHarness;
using sluice::testing::Lines;

Lines run(const std::string& yaml, const Lines& records) {
  FilterHarness h(content_modifier_filter_schema(), make_content_modifier_filter, yaml);
  return h.run(records);
}

TEST_CASE("content_modifier: insert adds a key only when absent, upsert sets it at the end", "[content_modifier]") {
  CHECK(run("action: insert\nkey: env\nvalue: prod\n", {R"({"a":1})", R"({"env":"dev","a":1})"}) ==
        Lines{R"({"a":1,"env":"prod"})", R"({"env":"dev","a":1})"});
  // The value is a string, whatever it looks like.
  CHECK(run("action: upsert\nkey: n\nvalue: 123\n", {R"({"n":1,"a":2})", R"({"a":2})"}) ==
        Lines{R"({"a":2,"n":"123"})", R"({"a":2,"n":"123"})"});
}

TEST_CASE("content_modifier: delete and rename", "[content_modifier]") {
  CHECK(run("action: delete\nkey: password\n", {R"({"user":"a","password":"x"})", R"({"user":"b"})"}) ==
        Lines{R"({"user":"a"})", R"({"user":"b"})"});
  // Renamed in place; a key already named so gives way.
  CHECK(run("action: rename\nkey: msg\nvalue: message\n",
            {R"({"msg":"hi","level":"info"})", R"({"message":"old","msg":"new"})", R"({"other":1})"}) ==
        Lines{R"({"message":"hi","level":"info"})", R"({"message":"new"})", R"({"other":1})"});
}

TEST_CASE("content_modifier: hash replaces a value with its SHA-256 in lowercase hex", "[content_modifier]") {
  CHECK(run("action: hash\nkey: v\n", {R"({"v":"value"})"}) ==
        Lines{R"({"v":"cd42404d52ad55ccfa9aca4adc828aa5800ad9d385a0671fbcbf724118320619"})"});
  // Numbers, booleans and null hash as their text; an empty string stays.
  auto out = run("action: hash\nkey: v\n", {R"({"v":100})", R"({"v":true})", R"({"v":null})", R"({"v":""})",
                                            R"({"w":1})"});
  CHECK(out[0] == R"({"v":"ad57366865126e55649ecb23ae1d48887544976efea46a48eb5d85a6eeb4d306"})");  // sha256("100")
  CHECK(out[1] == R"({"v":"b5bea41b6c623f7c09f1bf24dcae58ebab3c0cdd90ad966bc43a45b44867e12b"})");  // sha256("true")
  CHECK(out[2] == R"({"v":"74234e98afe7498fb5daf1f36ac2d78acc339464f950703b8c019892f982b90b"})");  // sha256("null")
  CHECK(out[3] == R"({"v":""})");
  CHECK(out[4] == R"({"w":1})");
}

TEST_CASE("content_modifier: extract adds the pattern's named groups as keys", "[content_modifier]") {
  FilterHarness h(content_modifier_filter_schema(), make_content_modifier_filter,
                  "action: extract\nkey: request\npattern: '^(?<method>\\S+) (?<path>\\S+)$'\n");
  CHECK(h.run({R"({"request":"GET /cart","Method":"old"})", R"({"request":"nothing"})", R"({"request":7})"}) ==
        Lines{R"({"request":"GET /cart","method":"GET","path":"/cart"})", R"({"request":"nothing"})",
              R"({"request":7})"});
  // No match and a value that isn't text: left as they were, counted.
  CHECK(h.ctx.counter("sluice_filter_content_modifier_skipped_total") == 2);
  // A group named as the source key replaces it.
  CHECK(run("action: extract\nkey: log\npattern: '^(?<level>\\w+): (?<log>.*)$'\n", {R"({"log":"WARN: disk low"})"}) ==
        Lines{R"({"level":"WARN","log":"disk low"})"});
}

TEST_CASE("content_modifier: convert follows Fluent Bit's conversions and moves the key to the end",
          "[content_modifier]") {
  CHECK(run("action: convert\nkey: v\nconverted_type: int\n",
            {R"({"v":"42","a":1})", R"({"v":" +7"})", R"({"v":"-3"})", R"({"v":2.5})", R"({"v":-2.5})", R"({"v":true})",
             R"({"v":""})"}) ==
        Lines{R"({"a":1,"v":42})", R"({"v":7})", R"({"v":-3})", R"({"v":3})", R"({"v":-3})", R"({"v":1})", R"({"v":0})"});
  CHECK(run("action: convert\nkey: v\nconverted_type: double\n", {R"({"v":"12.5abc"})", R"({"v":3})", R"({"v":"1e3"})"}) ==
        Lines{R"({"v":12.5})", R"({"v":3.0})", R"({"v":1000.0})"});
  CHECK(run("action: convert\nkey: v\nconverted_type: boolean\n",
            {R"({"v":"TRUE"})", R"({"v":"yes"})", R"({"v":0})", R"({"v":0.5})", R"({"v":null})"}) ==
        Lines{R"({"v":true})", R"({"v":false})", R"({"v":false})", R"({"v":true})", R"({"v":false})"});
  CHECK(run("action: convert\nkey: v\nconverted_type: string\n", {R"({"v":12})", R"({"v":false})", R"({"v":0.1})"}) ==
        Lines{R"({"v":"12"})", R"({"v":"false"})", R"({"v":"0.10000000000000001"})"});
  SECTION("what doesn't convert is left as it was, and counted") {
    FilterHarness h(content_modifier_filter_schema(), make_content_modifier_filter,
                    "action: convert\nkey: v\nconverted_type: int\n");
    CHECK(h.run({R"({"v":"12.5"})", R"({"v":"abc"})", R"({"v":[1]})", R"({"w":1})", R"({"v":"9"})"}) ==
          Lines{R"({"v":"12.5"})", R"({"v":"abc"})", R"({"v":[1]})", R"({"w":1})", R"({"v":9})"});
    CHECK(h.ctx.counter("sluice_filter_content_modifier_skipped_total") == 4);
  }
}

TEST_CASE("content_modifier: the attributes context acts on each record's metadata", "[content_modifier]") {
  FilterHarness h(content_modifier_filter_schema(), make_content_modifier_filter,
                  "action: upsert\ncontext: attributes\nkey: source\nvalue: web\n");
  Chunk chunk("app");
  Value v;
  REQUIRE(make_json_format()->parse(R"({"a":1})", chunk.arena, v));
  chunk.events.push_back(Event{1, v});
  chunk.events.push_back(Event{2, v});
  h.filter->filter(chunk);
  REQUIRE(chunk.metadata.size() == 2);
  CHECK(json::to_string(chunk.metadata[0]) == R"({"source":"web"})");
  CHECK(json::to_string(chunk.events[0].record) == R"({"a":1})");  // the record is untouched

  FilterHarness otel(content_modifier_filter_schema(), make_content_modifier_filter,
                     "action: insert\ncontext: otel_log_attributes\nkey: k\nvalue: v\n");
  otel.filter->filter(chunk);
  CHECK(json::to_string(chunk.metadata[1]) == R"({"source":"web","otlp":{"attributes":{"k":"v"}}})");
}

TEST_CASE("content_modifier: the otel_* contexts act on the resource, scope and attributes of OTLP logs",
          "[content_modifier]") {
  // Two logs as the opentelemetry input reads them, and a record from elsewhere.
  Chunk chunk("v1_logs");
  OtlpJsonDecoder otlp;
  REQUIRE_FALSE(otlp.decode(R"({"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":)"
                            R"({"stringValue":"cart"}}]},"scopeLogs":[{"scope":{"name":"io.app","version":"1.0"},)"
                            R"("logRecords":[{"body":{"stringValue":"a"}},{"body":{"stringValue":"b"},)"
                            R"("attributes":[{"key":"user","value":{"stringValue":"ann"}}]}]}]}]})",
                            {}, 1, chunk));
  Value plain;
  REQUIRE(make_json_format()->parse(R"({"c":1})", chunk.arena, plain));
  chunk.events.push_back(Event{2, plain});
  chunk.metadata.push_back(Value());
  auto run = [&](const std::string& yaml) {
    FilterHarness h(content_modifier_filter_schema(), make_content_modifier_filter, yaml);
    h.filter->filter(chunk);
  };
  run("action: upsert\ncontext: otel_resource_attributes\nkey: deployment.environment\nvalue: prod\n");
  run("action: rename\ncontext: otel_resource_attributes\nkey: service.name\nvalue: service\n");
  run("action: insert\ncontext: otel_scope_attributes\nkey: team\nvalue: payments\n");
  run("action: upsert\ncontext: otel_scope_version\nkey: version\nvalue: '2.0'\n");
  run("action: hash\ncontext: otel_log_attributes\nkey: user\n");
  CHECK(json::to_string(chunk.metadata[0]) ==
        R"({"otlp":{"trace_flags":0,"resource":{"attributes":{"service":"cart","deployment.environment":"prod"}},)"
        R"("scope":{"name":"io.app","attributes":{"team":"payments"},"version":"2.0"},"attributes":{}}})");
  // Each log has its own copy of the resource and scope, changed alike; the
  // hash applies to the log that has the attribute.
  CHECK(json::to_string(chunk.metadata[1]) ==
        R"({"otlp":{"attributes":{"user":"49915e0d7d4b402e3017d010bc1c0e83cac6c797d6c16e66340fe3268693a6a1"},)"
        R"("trace_flags":0,"resource":{"attributes":{"service":"cart","deployment.environment":"prod"}},)"
        R"("scope":{"name":"io.app","attributes":{"team":"payments"},"version":"2.0"}}})");
  // A record that isn't an OTLP log gets no resource or scope (only the log
  // attributes map otel_log_attributes makes, as Fluent Bit makes it).
  CHECK(json::to_string(chunk.metadata[2]) == R"({"otlp":{"attributes":{}}})");
}

TEST_CASE("content_modifier: configuration errors say what is wrong", "[content_modifier]") {
  using sluice::testing::config_error;
  auto error = [](const std::string& yaml) {
    return config_error(content_modifier_filter_schema(), make_content_modifier_filter, yaml);
  };
  CHECK_THAT(error("key: a\n"), Catch::Contains("action"));
  CHECK_THAT(error("action: explode\nkey: a\n"), Catch::Contains("explode"));
  CHECK_THAT(error("action: delete\n"), Catch::Contains("key is required for action 'delete'"));
  CHECK_THAT(error("action: insert\nkey: a\n"), Catch::Contains("value is required for action 'insert'"));
  CHECK_THAT(error("action: extract\nkey: a\n"),
             Catch::Contains("for 'extract' action, a regular expression in 'pattern' is required"));
  CHECK_THAT(error("action: extract\nkey: a\npattern: '(a'\n"), Catch::Contains("invalid regex pattern"));
  CHECK_THAT(error("action: extract\nkey: a\npattern: '(\\w+)'\n"), Catch::Contains("has none"));
  CHECK_THAT(error("action: convert\nkey: a\n"), Catch::Contains("converted_type is required for action 'convert'"));
  CHECK_THAT(error("action: convert\nkey: a\nconverted_type: float\n"), Catch::Contains("converted_type"));
  CHECK_THAT(error("action: delete\nkey: a\ncontext: span_name\n"), Catch::Contains("context"));
  CHECK(error("action: delete\nkey: a\ncontext: otel_scope_name\n") == "no error");
}

}  // namespace SLUICE_UNITY_ID
