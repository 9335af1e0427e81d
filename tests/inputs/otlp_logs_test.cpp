// OTLP logs → events, on their own: requests the official OpenTelemetry JS
// SDK sent (tests/data/otlp, captured from tests/peers/otlp_log_sender.js in
// protobuf and in JSON) read into Fluent Bit's record and metadata shape, the
// two encodings into the same events, and malformed requests refused with
// the place and reason, never a crash.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "agent/json_writer.hpp"
#include "agent/record.hpp"
#include "inputs/opentelemetry/otlp_logs.hpp"
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

struct Decoded {
  std::vector<int64_t> times;
  std::vector<std::string> records;   // compact JSON
  std::vector<std::string> metadata;  // compact JSON, observed_timestamp left out (it is when the SDK ran)
  std::string error;
};

enum class Enc { Protobuf, Json };

Decoded decode(const std::string& body, Enc enc, const OtlpLogOptions& options = {}) {
  Chunk chunk("v1_logs");
  Decoded d;
  static OtlpJsonDecoder json;
  auto error = enc == Enc::Protobuf ? decode_otlp_logs_protobuf(body, options, 777, chunk)
                                    : json.decode(body, options, 777, chunk);
  if (error) {
    d.error = *error;
    return d;
  }
  REQUIRE(chunk.metadata.size() == chunk.events.size());
  for (size_t i = 0; i < chunk.events.size(); ++i) {
    d.times.push_back(chunk.events[i].time_ns);
    d.records.push_back(json::to_string(chunk.events[i].record));
    Value meta = record::deep_copy(chunk.metadata[i], chunk.arena);
    if (Value* otlp = meta.find(options.metadata_key)) record::remove(*otlp, "observed_timestamp");
    d.metadata.push_back(json::to_string(meta));
  }
  return d;
}

// Protobuf by hand, for what no SDK sends: a key, then the value.
std::string key(uint32_t field, int wire) {
  std::string out;
  uint64_t v = (uint64_t{field} << 3) | static_cast<uint64_t>(wire);
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  return out + static_cast<char>(v);
}
std::string varint(uint32_t field, uint64_t v) {
  std::string out = key(field, 0);
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  return out + static_cast<char>(v);
}
std::string len(uint32_t field, const std::string& bytes) {
  std::string size = varint(1, bytes.size()).substr(1);  // the varint without its key
  return key(field, 2) + size + bytes;
}
std::string fixed64(uint32_t field, uint64_t v) {
  std::string out = key(field, 1);
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
  return out;
}
// One request holding these LogRecords (encoded), under one resource and scope.
std::string request_of(const std::vector<std::string>& logs) {
  std::string scope_logs = len(1, len(1, "scope-name"));
  for (const auto& l : logs) scope_logs += len(2, l);
  return len(1, len(2, scope_logs));
}
std::string string_value(const std::string& s) { return len(1, s); }

const char* kMeta0 =
    R"({"otlp":{"timestamp":1700000000000000000,"severity_number":9,"severity_text":"INFO",)"
    R"("attributes":{"http.method":"GET","http.status_code":200,"seq":0},)"
    R"("trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331","trace_flags":1,)"
    R"("resource":{"attributes":{"service.name":"checkout"}},"scope":{"name":"sluice-test","version":"1.2.3"}}})";

}  // namespace

TEST_CASE("otlp: the JS SDK's protobuf export becomes Fluent Bit's records and metadata", "[otlp]") {
  Decoded d = decode(fixture("sdk-protobuf.pb"), Enc::Protobuf);
  INFO(d.error);
  REQUIRE(d.records.size() == 3);
  CHECK(d.records[0] == R"({"log":"request 0"})");
  CHECK(d.records[2] == R"({"log":"request 2"})");
  CHECK(d.times == std::vector<int64_t>{1700000000000000000, 1700000000001000000, 1700000000002000000});
  CHECK(d.metadata[0] == kMeta0);
}

TEST_CASE("otlp: the JS SDK's OTLP/JSON export reads into the same events as its protobuf", "[otlp]") {
  for (auto [pb, js] : {std::pair{"sdk-protobuf.pb", "sdk-json.json"}, {"sdk-protobuf-map.pb", "sdk-json-map.json"}}) {
    Decoded p = decode(fixture(pb), Enc::Protobuf), j = decode(fixture(js), Enc::Json);
    INFO(p.error << j.error);
    REQUIRE(p.records.size() == 3);
    CHECK(j.records == p.records);
    CHECK(j.metadata == p.metadata);
    CHECK(j.times == p.times);
  }
  Decoded m = decode(fixture("sdk-json-map.json"), Enc::Json);
  REQUIRE(m.records.size() == 3);
  // A kvlist body is the record itself, nested values and all.
  CHECK(m.records[1] == R"({"msg":"request 1","i":1,"ok":true,"nested":{"a":[1,"two",3.5]}})");
}

TEST_CASE("otlp: logs_body_key, logs_metadata_key and logs_metadata_in_record", "[otlp]") {
  OtlpLogOptions o;
  o.body_key = "message";
  Decoded d = decode(fixture("sdk-protobuf-map.pb"), Enc::Protobuf, o);
  REQUIRE(d.records.size() == 3);
  CHECK(d.records[0] == R"({"message":{"msg":"request 0","i":0,"ok":true,"nested":{"a":[1,"two",3.5]}}})");

  o = {};
  o.metadata_key = "otel";
  o.metadata_in_record = true;
  d = decode(fixture("sdk-json.json"), Enc::Json, o);
  REQUIRE(d.records.size() == 3);
  CHECK(d.metadata[0].starts_with(R"({"otel":{"timestamp":1700000000000000000,)"));
  // The record carries the metadata too, observed time and all.
  CHECK(d.records[0].starts_with(R"({"log":"request 0","otel":{"observed_timestamp":)"));
  CHECK(d.records[0].find(R"("trace_id":"0af7651916cd43dd8448eb211c80319c")") != std::string::npos);
}

TEST_CASE("otlp: every AnyValue kind, unknown fields skipped, times falling back", "[otlp]") {
  std::string kv = len(6, len(1, "k") + len(2, varint(3, static_cast<uint64_t>(-5))));
  std::string body = len(6, len(1, len(1, "s") + len(2, string_value("x"))) +         // kvlist
                                len(1, len(1, "b") + len(2, varint(2, 1))) +           //
                                len(1, len(1, "d") + len(2, fixed64(4, 0x400C000000000000))) +  // 3.5
                                len(1, len(1, "a") + len(2, len(5, len(1, varint(3, 7)) + len(1, "")))) +
                                len(1, len(1, "y") + len(2, len(7, std::string("\x00\xff", 2)))) +
                                len(1, len(1, "n")));
  std::string log = fixed64(11, 5000) + len(5, body) + kv + varint(99, 1) + len(98, "future field");
  Decoded d = decode(request_of({log, varint(2, 17)}), Enc::Protobuf);
  INFO(d.error);
  REQUIRE(d.records.size() == 2);
  CHECK(d.records[0] == R"({"s":"x","b":true,"d":3.5,"a":[7,null],"y":"AP8=","n":null})");
  CHECK(d.times[0] == 5000);  // no time_unix_nano: the observed time
  CHECK(d.metadata[0] == R"({"otlp":{"attributes":{"k":-5},"trace_flags":0,"scope":{"name":"scope-name"}}})");
  CHECK(d.records[1] == R"({"log":null})");
  CHECK(d.times[1] == 777);  // neither: now
  CHECK(d.metadata[1] == R"({"otlp":{"severity_number":17,"trace_flags":0,"scope":{"name":"scope-name"}}})");

  CHECK(decode("", Enc::Protobuf).records.empty());
  CHECK(decode("", Enc::Protobuf).error.empty());
  CHECK(decode("{}", Enc::Json).records.empty());
  CHECK(decode("{}", Enc::Json).error.empty());
}

TEST_CASE("otlp: a long attribute list keeps every attribute in order", "[otlp]") {
  std::string attrs, want;
  for (int i = 0; i < 40; ++i) {
    attrs += std::string(i ? "," : "") + R"({"key":"k)" + std::to_string(i) + R"(","value":{"intValue":)" +
             std::to_string(i) + "}}";
    want += std::string(i ? "," : "") + "\"k" + std::to_string(i) + "\":" + std::to_string(i);
  }
  std::string body = R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[)" + attrs + "]}]}]}]}";
  Decoded j = decode(body, Enc::Json);
  INFO(j.error);
  REQUIRE(j.metadata.size() == 1);
  CHECK(j.metadata[0] == R"({"otlp":{"attributes":{)" + want + R"(},"trace_flags":0}})");
}

TEST_CASE("otlp: malformed requests are refused with where and why", "[otlp]") {
  // time_unix_nano sent as a varint instead of fixed64.
  Decoded d = decode(request_of({fixed64(1, 1), varint(1, 5)}), Enc::Protobuf);
  CHECK(d.error ==
        "invalid OTLP protobuf (ExportLogsServiceRequest): resource_logs[0].scope_logs[0].log_records[1] "
        "(LogRecord): field 1 has the wrong wire type");
  CHECK(decode("not protobuf at all", Enc::Protobuf).error.starts_with("invalid OTLP protobuf"));

  std::string deep = string_value("bottom");
  for (int i = 0; i < 70; ++i) deep = len(5, len(1, deep));
  CHECK(decode(request_of({len(5, deep)}), Enc::Protobuf).error.find("nested deeper than 64 levels") !=
        std::string::npos);

  CHECK(decode(R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"xyz"}]}]}]})", Enc::Json).error ==
        "invalid OTLP/JSON (ExportLogsServiceRequest): resourceLogs[0].scopeLogs[0].logRecords[0].traceId: expected "
        "hex digits (2 per byte)");
  CHECK(decode(R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"soon"}]}]}]})", Enc::Json)
            .error.ends_with("logRecords[0].timeUnixNano: expected a non-negative integer (a number or a string of "
                             "digits)"));
  CHECK(decode(R"({"resourceLogs":{}})", Enc::Json).error.ends_with("request.resourceLogs: expected an array"));
  CHECK(decode(R"({"resourceLogs":[)", Enc::Json).error.starts_with("invalid JSON at byte "));
  // snake_case names, as the protobuf JSON mapping allows.
  Decoded snake = decode(
      R"({"resource_logs":[{"scope_logs":[{"log_records":[{"time_unix_nano":12,"body":{"string_value":"hi"}}]}]}]})",
      Enc::Json);
  INFO(snake.error);
  REQUIRE(snake.records.size() == 1);
  CHECK(snake.records[0] == R"({"log":"hi"})");
  CHECK(snake.times[0] == 12);
}

TEST_CASE("otlp: a protobuf export cut anywhere is refused or read up to a whole field, never a crash", "[otlp]") {
  std::string whole = fixture("sdk-protobuf-map.pb");
  size_t refused = 0;
  for (size_t n = 0; n < whole.size(); ++n) {
    Decoded d = decode(whole.substr(0, n), Enc::Protobuf);
    if (!d.error.empty()) ++refused;
    CHECK(d.records.size() <= 3);
  }
  // Only a cut between two top-level fields leaves a valid (shorter) message.
  CHECK(refused >= whole.size() - 2);
  for (size_t i = 0; i < whole.size(); ++i) {
    std::string bad = whole;
    bad[i] = static_cast<char>(bad[i] ^ 0x5A);
    decode(bad, Enc::Protobuf);  // something else, or refused
  }
}

}  // namespace SLUICE_UNITY_ID
