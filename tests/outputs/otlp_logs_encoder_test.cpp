// The opentelemetry output's encoder on its own: what the opentelemetry
// input read from the official SDK's export goes out as the same logs (read
// back by the input's decoder: records, metadata, times), records of two
// resources go in two ResourceLogs, and a record without OTLP metadata is
// read through Fluent Bit's fallback keys. What protobufjs reads of it is
// checked end to end (tests/e2e/opentelemetry_output_e2e_test.cpp).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "agent/json_writer.hpp"
#include "agent/parse/json_format.hpp"
#include "agent/protobuf_reader.hpp"
#include "agent/record.hpp"
#include "inputs/opentelemetry/otlp_logs.hpp"
#include "outputs/opentelemetry/otlp_logs_encoder.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {

// A request the official JS SDK sent (tests/data/otlp).
std::string fixture(const std::string& name) {
  std::string bytes = test::read_file(std::string(SLUICE_SOURCE_DIR) + "/tests/data/otlp/" + name);
  REQUIRE_FALSE(bytes.empty());
  return bytes;
}

std::string encode(const Chunk& chunk, const otlp::EncoderSettings& settings = {}) {
  std::vector<EventRef> refs;
  std::vector<uint32_t> which;
  for (size_t i = 0; i < chunk.events.size(); ++i) {
    refs.push_back({&chunk.tag, &chunk.events[i], chunk.metadata_of(i)});
    which.push_back(static_cast<uint32_t>(i));
  }
  std::string out;
  otlp::encode_logs_request(refs, which, settings, out);
  return out;
}

std::vector<std::string> dump(const Chunk& chunk) {
  std::vector<std::string> out;
  for (size_t i = 0; i < chunk.events.size(); ++i) {
    const Value* m = chunk.metadata_of(i);
    out.push_back(std::to_string(chunk.events[i].time_ns) + " " + json::to_string(chunk.events[i].record) + " " +
                  (m != nullptr ? json::to_string(*m) : "null"));
  }
  return out;
}

// How many times field 1 (resource_logs) occurs at the top of a request.
size_t resource_logs_count(const std::string& request) {
  protobuf::Reader r(request);
  protobuf::Field f;
  size_t n = 0;
  while (r.next(f)) n += f.number == 1;
  return n;
}

}  // namespace

TEST_CASE("otlp encoder: the SDK's logs, read by the input, go out as the same logs", "[otlp]") {
  for (const char* name : {"sdk-protobuf.pb", "sdk-protobuf-map.pb"}) {
    Chunk in("v1_logs");
    REQUIRE_FALSE(decode_otlp_logs_protobuf(fixture(name), {}, 5, in));
    std::string sent = encode(in);
    Chunk back("v1_logs");
    auto error = decode_otlp_logs_protobuf(sent, {}, 5, back);
    INFO(error.value_or(""));
    REQUIRE_FALSE(error);
    CHECK(dump(back) == dump(in));
  }
}

TEST_CASE("otlp encoder: records of different resources and scopes get their own groups", "[otlp]") {
  OtlpJsonDecoder json;
  Chunk in("v1_logs");
  auto request = [](const std::string& service, const std::string& body) {
    return R"({"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":")" + service +
           R"("}}]},"scopeLogs":[{"scope":{"name":"s"},"logRecords":[{"body":{"stringValue":")" + body + R"("}}]}]}]})";
  };
  REQUIRE_FALSE(json.decode(request("a", "1"), {}, 5, in));
  REQUIRE_FALSE(json.decode(request("b", "2"), {}, 5, in));
  REQUIRE_FALSE(json.decode(request("a", "3"), {}, 5, in));
  std::string sent = encode(in);
  CHECK(resource_logs_count(sent) == 2);
  Chunk back("v1_logs");
  REQUIRE_FALSE(decode_otlp_logs_protobuf(sent, {}, 5, back));
  // Grouped: a's two logs first, then b's.
  REQUIRE(back.events.size() == 3);
  CHECK(json::to_string(back.events[0].record) == R"({"log":"1"})");
  CHECK(json::to_string(back.events[1].record) == R"({"log":"3"})");
  CHECK(json::to_string(back.events[2].record) == R"({"log":"2"})");
  CHECK(json::to_string(back.metadata[2]) ==
        R"({"otlp":{"timestamp":5,"trace_flags":0,"resource":{"attributes":{"service.name":"b"}},"scope":{"name":"s"}}})");
}

TEST_CASE("otlp encoder: a record without OTLP metadata, Fluent Bit's fallback keys and logs_body_key", "[otlp]") {
  Chunk in("app");
  Value rec;
  REQUIRE(make_json_format()->parse(
      R"({"message":"disk full","SeverityText":"ERROR","SeverityNumber":17,"TraceId":"4bf92f3577b34da6a3ce929d0e0e4736","SpanId":"00f067aa0ba902b7","host":"web-1"})",
      in.arena, rec));
  in.events.push_back({1700000000123456789, rec});
  otlp::EncoderSettings s;
  std::string error;
  s.severity_text_message = RecordAccessor::compile("$SeverityText", &error);
  s.severity_number_message = RecordAccessor::compile("$SeverityNumber", &error);
  s.trace_id_message = RecordAccessor::compile("$TraceId", &error);
  s.span_id_message = RecordAccessor::compile("$SpanId", &error);
  s.body_keys.push_back(*RecordAccessor::compile("$message", &error));
  s.body_key_attributes = true;
  Chunk back("app");
  REQUIRE_FALSE(decode_otlp_logs_protobuf(encode(in, s), {}, 5, back));
  REQUIRE(back.events.size() == 1);
  CHECK(back.events[0].time_ns == 1700000000123456789);  // the record's time
  CHECK(json::to_string(back.events[0].record) == R"({"log":"disk full"})");
  // The record's other keys became attributes (logs_body_key_attributes).
  CHECK(json::to_string(back.metadata[0]) ==
        R"({"otlp":{"timestamp":1700000000123456789,"severity_number":17,"severity_text":"ERROR",)"
        R"("attributes":{"SeverityText":"ERROR","SeverityNumber":17,"TraceId":"4bf92f3577b34da6a3ce929d0e0e4736",)"
        R"("SpanId":"00f067aa0ba902b7","host":"web-1"},"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736",)"
        R"("span_id":"00f067aa0ba902b7","trace_flags":0}})");

  // Without body keys the whole record is the body, a kvlist: back as the record.
  Chunk whole("app");
  REQUIRE_FALSE(decode_otlp_logs_protobuf(encode(in), {}, 5, whole));
  CHECK(json::to_string(whole.events[0].record) == json::to_string(rec));

  // Keys a Lua filter put in the metadata go along as attributes, before the log's own.
  Value meta;
  REQUIRE(make_json_format()->parse(R"({"team":"storage","otlp":{"attributes":{"k":"v"}}})", in.arena, meta));
  in.metadata = {meta};
  Chunk lua("app");
  REQUIRE_FALSE(decode_otlp_logs_protobuf(encode(in), {}, 5, lua));
  CHECK_THAT(json::to_string(lua.metadata[0]), Catch::Contains(R"("attributes":{"team":"storage","k":"v"})"));
}

}  // namespace SLUICE_UNITY_ID
