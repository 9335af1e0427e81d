// Golden outputs of the JSON-lines encoder shared by stdout and file: the
// date key first, each json_date_format, the key turned off, batches with
// partial parts.
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "agent/config/yaml_loader.hpp"
#include "agent/parse/json_format.hpp"
#include "outputs/common/json_lines_encoder.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {

constexpr int64_t kTime = 1700000000123456789;  // 2023-11-14T22:13:20.123456789Z

std::shared_ptr<Chunk> chunk_of(const std::string& tag, std::initializer_list<std::pair<int64_t, const char*>> events) {
  auto chunk = std::make_shared<Chunk>(tag);
  auto json = make_json_format();
  for (auto [t, text] : events) {
    Value v;
    REQUIRE(json->parse(text, chunk->arena, v));
    chunk->events.push_back(Event{t, v});
  }
  return chunk;
}

std::string date(int64_t t, json_lines::DateFormat f) {
  std::string out;
  json_lines::append_date(out, t, f);
  return out;
}

}  // namespace

TEST_CASE("json lines: date formats", "[outputs][json_lines]") {
  using F = json_lines::DateFormat;
  CHECK(date(kTime, F::Double) == "1700000000.123456");
  CHECK(date(kTime, F::Epoch) == "1700000000");
  CHECK(date(kTime, F::EpochMs) == "1700000000123");
  CHECK(date(kTime, F::Iso8601) == "\"2023-11-14T22:13:20.123456Z\"");
  CHECK(date(kTime, F::JavaSqlTimestamp) == "\"2023-11-14 22:13:20.123456\"");
  CHECK(date(0, F::Double) == "0.000000");
  SECTION("times before 1970") {
    CHECK(date(-500'000'000, F::Double) == "-0.500000");
    CHECK(date(-500'000'000, F::Epoch) == "-1");
    CHECK(date(-500'000'000, F::Iso8601) == "\"1969-12-31T23:59:59.500000Z\"");
  }
  SECTION("append_seconds with other precisions") {
    std::string out;
    json_lines::append_seconds(out, kTime, 9);
    out += ' ';
    json_lines::append_seconds(out, kTime, 0);
    CHECK(out == "1700000000.123456789 1700000000");
  }
}

TEST_CASE("json lines: golden batch", "[outputs][json_lines]") {
  Batch batch;
  batch.parts.push_back(
      {chunk_of("a", {{kTime, R"({"log":"x","n":1})"}, {kTime + 1000, R"({"nested":{"k":[1,"é"]}})"}}), {}});
  batch.parts.push_back({chunk_of("b", {{1, R"({"skip":1})"}, {2'000'000'000, R"({"date":"own","q":"\"\n"})"}}), {1}});
  std::string out;
  SECTION("defaults: date (double) first") {
    json_lines::encode(out, batch, json_lines::Options{});
    CHECK(out ==
          "{\"date\":1700000000.123456,\"log\":\"x\",\"n\":1}\n"
          "{\"date\":1700000000.123457,\"nested\":{\"k\":[1,\"é\"]}}\n"
          "{\"date\":2.000000,\"date\":\"own\",\"q\":\"\\\"\\n\"}\n");
  }
  SECTION("iso8601 under another key") {
    json_lines::encode(out, batch, json_lines::Options{"@timestamp", json_lines::DateFormat::Iso8601});
    CHECK(out ==
          "{\"@timestamp\":\"2023-11-14T22:13:20.123456Z\",\"log\":\"x\",\"n\":1}\n"
          "{\"@timestamp\":\"2023-11-14T22:13:20.123457Z\",\"nested\":{\"k\":[1,\"é\"]}}\n"
          "{\"@timestamp\":\"1970-01-01T00:00:02.000000Z\",\"date\":\"own\",\"q\":\"\\\"\\n\"}\n");
  }
  SECTION("no date key: the record alone") {
    json_lines::encode(out, batch, json_lines::Options{"", json_lines::DateFormat::Double});
    CHECK(out == "{\"log\":\"x\",\"n\":1}\n{\"nested\":{\"k\":[1,\"é\"]}}\n{\"date\":\"own\",\"q\":\"\\\"\\n\"}\n");
  }
}

TEST_CASE("json lines: options from config", "[outputs][json_lines]") {
  config::PluginSchema schema{"t", "", {json_lines::date_key_decl(), json_lines::date_format_decl()}};
  auto opts = [&](std::string_view yaml) {
    return json_lines::options_from(config::load_component(schema, "x", yaml));
  };
  CHECK(opts("").date_key == "date");
  CHECK(opts("").date_format == json_lines::DateFormat::Double);
  CHECK(opts("json_date_key: ts\njson_date_format: epoch_ms").date_key == "ts");
  CHECK(opts("json_date_format: ISO8601").date_format == json_lines::DateFormat::Iso8601);
  CHECK(opts("json_date_key: false").date_key.empty());
  CHECK(opts("json_date_key: off").date_key.empty());
  try {
    opts("json_date_format: rfc");
    FAIL("no error");
  } catch (const config::ConfigError& e) {
    CHECK_THAT(e.what(), Catch::Contains("key 'json_date_format' expects one of"));
  }
}

}  // namespace SLUICE_UNITY_ID
