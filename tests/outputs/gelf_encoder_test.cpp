// The gelf output's encoder: each mapping rule (short/full message, host,
// timestamp, level, `_fields`, flattening, sanitizing, `_id`), golden output.
#include <catch2/catch.hpp>

#include "agent/parse/json_format.hpp"
#include "outputs/gelf/gelf_encoder.hpp"
#include "tests/outputs/gelf_test_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::gelf;
using sluice::gelf_test::chunk_of;
using sluice::gelf_test::kTime;

namespace {

FieldKeys test_keys() {
  FieldKeys k;
  k.hostname = "box1";
  return k;
}

// The GELF text of one record, or "<none>" if the encoder refuses it.
std::string encode(const std::string& record, FieldKeys keys = test_keys(), int64_t time_ns = kTime,
                   const std::string& tag = "app.web") {
  auto chunk = chunk_of(tag, {record}, time_ns);
  Encoder enc(std::move(keys));
  std::string out;
  if (!enc.encode(tag, chunk->events[0], out)) {
    CHECK(out.empty());
    return "<none>";
  }
  // Whatever we send must be one valid JSON object.
  Arena arena;
  Value parsed;
  CHECK(make_json_format()->parse(out, arena, parsed));
  CHECK(parsed.is_map());
  return out;
}

const std::string kHead = R"({"version":"1.1","host":"box1","short_message":"m","timestamp":1763719200.123,"level":6)";

}  // namespace

TEST_CASE("gelf encoder: GELF fields from the record, the rest as _fields", "[gelf][gelf_encoder]") {
  CHECK(encode(R"({"short_message":"disk full","host":"n1","full_message":"trace\nline 2","level":3,)"
               R"("app":"web","pid":4711,"ratio":0.25})") ==
        R"({"version":"1.1","host":"n1","short_message":"disk full","full_message":"trace\nline 2",)"
        R"("timestamp":1763719200.123,"level":3,"_app":"web","_pid":4711,"_ratio":0.25})");

  SECTION("host defaults to the machine's name; level to 6 (info)") {
    CHECK(encode(R"({"short_message":"m"})") == kHead + "}");
  }
  SECTION("configured keys") {
    FieldKeys k = test_keys();
    k.short_message = "msg";
    k.full_message = "stack";
    k.host = "hostname";
    k.level = "severity";
    k.timestamp = "ts";
    CHECK(encode(R"({"msg":"m","stack":"s","hostname":"web-1","severity":"error","ts":1700000000,"host":"x"})", k) ==
          R"({"version":"1.1","host":"web-1","short_message":"m","full_message":"s","timestamp":1700000000.000,)"
          R"("level":3,"_host":"x"})");
  }
  SECTION("gelf_tag_key sends the tag") {
    FieldKeys k = test_keys();
    k.tag = "fluent tag";
    CHECK(encode(R"({"short_message":"m"})", k) == kHead + R"(,"_fluent_tag":"app.web"})");
  }
  SECTION("non-string message and host values are sent as text") {
    CHECK(encode(R"({"short_message":{"a":[1,2]},"host":42})") ==
          R"({"version":"1.1","host":"42","short_message":"{\"a\":[1,2]}","timestamp":1763719200.123,"level":6})");
  }
  SECTION("text is escaped into valid JSON") {
    CHECK(encode(R"({"short_message":"say \"hi\"\t\u0001 ünï"})") ==
          R"({"version":"1.1","host":"box1","short_message":"say \"hi\"\t\u0001 ünï","timestamp":1763719200.123,)"
          R"("level":6})");
  }
}

TEST_CASE("gelf encoder: short_message falls back to message, then log, never empty", "[gelf][gelf_encoder]") {
  CHECK(encode(R"({"log":"from tail","stream":"stdout"})") ==
        R"({"version":"1.1","host":"box1","short_message":"from tail","timestamp":1763719200.123,"level":6,)"
        R"("_stream":"stdout"})");
  CHECK(encode(R"({"log":"l","message":"m"})") == kHead + R"(,"_log":"l"})");
  // An empty configured key is passed over (Graylog refuses an empty short_message) and kept as a field.
  CHECK(encode(R"({"short_message":"","message":"m"})") == kHead + R"(,"_short_message":""})");
  CHECK(encode(R"({"message":"m","short_message":null})") == kHead + "}");
  SECTION("a record with none of them is refused, with the reason") {
    CHECK(encode(R"({"msg":"x"})") == "<none>");
    CHECK(encode(R"({"log":""})") == "<none>");
    Encoder enc(test_keys());
    CHECK(enc.no_short_message_reason() ==
          "record has no non-empty 'short_message', 'message', 'log' field to send as GELF short_message "
          "(set gelf_short_message_key)");
  }
}

TEST_CASE("gelf encoder: level from numbers and names", "[gelf][gelf_encoder]") {
  auto level = [](const std::string& value) {
    std::string out = encode(R"({"short_message":"m","level":)" + value + "}");
    auto at = out.find(R"("level":)");
    REQUIRE(at != std::string::npos);
    return out.substr(at + 8);
  };
  CHECK(level("0") == "0}");
  CHECK(level("7") == "7}");
  CHECK(level("3.0") == "3}");
  CHECK(level(R"("5")") == "5}");
  CHECK(level(R"("EMERG")") == "0}");
  CHECK(level(R"("emergency")") == "0}");
  CHECK(level(R"("panic")") == "0}");
  CHECK(level(R"("alert")") == "1}");
  CHECK(level(R"("CRITICAL")") == "2}");
  CHECK(level(R"("crit")") == "2}");
  CHECK(level(R"("Fatal")") == "2}");
  CHECK(level(R"("ERROR")") == "3}");
  CHECK(level(R"("err")") == "3}");
  CHECK(level(R"("warn")") == "4}");
  CHECK(level(R"("Warning")") == "4}");
  CHECK(level(R"("notice")") == "5}");
  CHECK(level(R"("info")") == "6}");
  CHECK(level(R"(" INFO ")") == "6}");
  CHECK(level(R"("informational")") == "6}");
  CHECK(level(R"("debug")") == "7}");
  CHECK(level(R"("trace")") == "7}");
  // Unrecognised: the default level, and the value is kept as an additional field.
  CHECK(level(R"("verbose")") == R"(6,"_level":"verbose"})");
  CHECK(level("9") == R"(6,"_level":9})");
  CHECK(level("-1") == R"(6,"_level":-1})");
  CHECK(level("true") == R"(6,"_level":"true"})");
  CHECK(level_from_name("WARN") == 4);
  CHECK_FALSE(level_from_name("8").has_value());
  CHECK_FALSE(level_from_name("").has_value());
  CHECK_FALSE(level_from_name("informationalxyz").has_value());
}

TEST_CASE("gelf encoder: timestamp in seconds with milliseconds", "[gelf][gelf_encoder]") {
  auto ts = [](const std::string& record, int64_t time_ns = kTime) {
    std::string out = encode(record, test_keys(), time_ns);
    auto at = out.find(R"("timestamp":)");
    REQUIRE(at != std::string::npos);
    return out.substr(at + 12, out.find(',', at) - at - 12) + out.substr(out.find(R"("level":6)") + 9);
  };
  SECTION("the event's time, truncated to milliseconds") {
    CHECK(ts(R"({"log":"x"})") == "1763719200.123}");
    CHECK(ts(R"({"log":"x"})", 1763719200999999999) == "1763719200.999}");
    CHECK(ts(R"({"log":"x"})", 1763719200000000000) == "1763719200.000}");
    CHECK(ts(R"({"log":"x"})", -1500000000) == "-2.500}");
  }
  SECTION("gelf_timestamp_key: epoch seconds or RFC 3339 replace it; anything else is kept as a field") {
    CHECK(ts(R"({"log":"x","timestamp":1700000000.5})") == "1700000000.500}");
    CHECK(ts(R"({"log":"x","timestamp":1700000000})") == "1700000000.000}");
    CHECK(ts(R"({"log":"x","timestamp":"1700000000.25"})") == "1700000000.250}");
    CHECK(ts(R"({"log":"x","timestamp":"2026-11-21T10:00:00.250Z"})") == "1795255200.250}");
    CHECK(ts(R"({"log":"x","timestamp":"2026-11-21T12:00:00.250+02:00"})") == "1795255200.250}");
    CHECK(ts(R"({"log":"x","timestamp":"yesterday"})") == R"(1763719200.123,"_timestamp":"yesterday"})");
  }
}

TEST_CASE("gelf encoder: nested maps flattened, values stringified, names sanitized, _id renamed",
          "[gelf][gelf_encoder]") {
  SECTION("nested maps become _parent_child fields") {
    CHECK(encode(R"({"short_message":"m","kubernetes":{"pod_name":"web-1","labels":{"app":"web",)"
                 R"("app.kubernetes.io/name":"n"},"empty":{}}})") ==
          kHead + R"(,"_kubernetes_pod_name":"web-1","_kubernetes_labels_app":"web",)"
                  R"("_kubernetes_labels_app.kubernetes.io_name":"n"})");
  }
  SECTION("arrays as JSON text, booleans as text, nulls left out") {
    CHECK(encode(R"({"short_message":"m","tags":["a",1,{"b":null}],"ok":true,"bad":false,"none":null})") ==
          kHead + R"(,"_tags":"[\"a\",1,{\"b\":null}]","_ok":"true","_bad":"false"})");
  }
  SECTION("names keep only [A-Za-z0-9_.-]") {
    CHECK(encode(R"({"short_message":"m","user id":1,"@timestamp":"t","a.b-c_d":2,"naïve":3,"x/y":{"z w":4}})") ==
          kHead + R"(,"_user_id":1,"__timestamp":"t","_a.b-c_d":2,"_na__ve":3,"_x_y_z_w":4})");
  }
  SECTION("Graylog's reserved _id: a top-level id is sent as _id_") {
    CHECK(encode(R"({"short_message":"m","id":"abc","_id":"es","nested":{"id":1}})") ==
          kHead + R"(,"_id_":"abc","__id":"es","_nested_id":1})");
  }
  SECTION("very deep nesting is sent as JSON text below 16 levels") {
    std::string deep = "1";
    for (int i = 0; i < 20; ++i) deep = R"({"k":)" + deep + "}";
    std::string out = encode(R"({"short_message":"m","d":)" + deep + "}");
    std::string name = "_d";
    for (int i = 0; i < 16; ++i) name += "_k";
    CHECK(out == kHead + ",\"" + name + R"(":"{\"k\":{\"k\":{\"k\":{\"k\":1}}}}"})");
  }
}

}  // namespace SLUICE_UNITY_ID
