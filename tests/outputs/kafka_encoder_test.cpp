// The kafka output's encoder: golden message values (json, raw, the
// timestamp formats, numbers), topic and key choice. No broker.
#include <catch2/catch.hpp>

#include <charconv>
#include <cmath>
#include <cstring>

#include "agent/json_writer.hpp"
#include "agent/parse/json_format.hpp"
#include "outputs/kafka/kafka_encoder.hpp"
#include "outputs/kafka/short_decimal.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::kafka;

namespace {

constexpr int64_t kTime = 1700000000123456789;

struct Record {
  explicit Record(const std::string& json) {
    REQUIRE(make_json_format()->parse(json, arena, event.record));
    event.time_ns = kTime;
  }
  Arena arena;
  Event event;
};

std::string value(const MessageSettings& s, const std::string& json) {
  Record r(json);
  std::string out, reason;
  REQUIRE(Encoder(s).value(r.event, out, reason));
  return out;
}

}  // namespace

TEST_CASE("kafka encoder: json with the time first under timestamp_key", "[kafka][kafka_encoder]") {
  MessageSettings s;
  CHECK(value(s, R"({"msg":"hi","n":1})") == R"({"@timestamp":1700000000.123456,"msg":"hi","n":1})");
  s.timestamp_format = TimestampFormat::Iso8601;
  CHECK(value(s, R"({"msg":"hi"})") == R"({"@timestamp":"2023-11-14T22:13:20.123456Z","msg":"hi"})");
  s.timestamp_format = TimestampFormat::Iso8601Ns;
  s.timestamp_key = "ts";
  CHECK(value(s, R"({"msg":"hi"})") == R"({"ts":"2023-11-14T22:13:20.123456789Z","msg":"hi"})");
  s.timestamp_key = "";
  CHECK(value(s, R"({"msg":"hi"})") == R"({"msg":"hi"})");
}

TEST_CASE("kafka encoder: one encoder, records whose field names change from one to the next", "[kafka][kafka_encoder]") {
  // The encoder reuses the JSON of the last record's names where they are the same.
  MessageSettings s;
  Encoder encoder(s);
  std::string out, reason;
  for (std::string json : {R"({"a":1,"b":"x"})", R"({"a":2,"b":"y"})", R"({"b":3,"a":4})", R"({"a":5})",
                           R"({"a":6,"b\"q":7,"":8})", R"({"a":9,"b":10,"c":11})", R"({"a":0.048,"b":1e-07,"c":100000.5})", R"({})"}) {
    Record r(json);
    out.clear();
    REQUIRE(encoder.value(r.event, out, reason));
    CHECK(out == R"({"@timestamp":1700000000.123456)" + (json == "{}" ? "}" : "," + json.substr(1)));
  }
}

TEST_CASE("kafka encoder: raw sends one field's value", "[kafka][kafka_encoder]") {
  MessageSettings s;
  s.format = Format::Raw;
  s.raw_log_key = "log";
  CHECK(value(s, R"({"log":"GET / 200","x":1})") == "GET / 200");
  CHECK(value(s, R"({"log":{"a":[1,2]}})") == R"({"a":[1,2]})");
  Record r(R"({"message":"no log here"})");
  std::string out, reason;
  CHECK_FALSE(Encoder(s).value(r.event, out, reason));
  CHECK(reason == "the record has no 'log' field (raw_log_key) to send as the message");
}

TEST_CASE("kafka encoder: topic_key picks one of topics, dynamic_topic any", "[kafka][kafka_encoder]") {
  MessageSettings s;
  s.topics = {"logs", "audit"};
  s.topic_key = "stream";
  CHECK(Encoder(s).topic(Record(R"({"stream":"audit"})").event) == "audit");
  CHECK(Encoder(s).topic(Record(R"({"stream":"other"})").event) == "logs");
  CHECK(Encoder(s).topic(Record(R"({"stream":7})").event) == "logs");
  CHECK(Encoder(s).topic(Record(R"({})").event) == "logs");
  s.dynamic_topic = true;
  CHECK(Encoder(s).topic(Record(R"({"stream":"other"})").event) == "other");
  CHECK(Encoder(s).topic(Record(R"({"stream":""})").event) == "logs");
}

TEST_CASE("kafka encoder: message_key_field, else message_key", "[kafka][kafka_encoder]") {
  MessageSettings s;
  CHECK(Encoder(s).key(Record(R"({"user":"ann"})").event).empty());
  s.message_key = "app";
  CHECK(Encoder(s).key(Record(R"({"user":"ann"})").event) == "app");
  s.message_key_field = "user";
  CHECK(Encoder(s).key(Record(R"({"user":"ann"})").event) == "ann");
  CHECK(Encoder(s).key(Record(R"({"user":5})").event) == "app");
}

TEST_CASE("kafka encoder: short decimals are written as json::append_double writes them", "[kafka][kafka_encoder]") {
  auto to_chars = [](double v) {
    std::string out;
    json::append_double(out, v);
    return out;
  };
  auto fast = [](double v) {
    std::string out;
    return append_short_decimal(out, v) ? out : std::string("<none>");
  };
  // The values it is for.
  for (double v : {0.002, 0.048, 12.5, 1000.0, 10000.0, -3.25, 0.001, 999999999.999999, 1.0, 0.5, 123456.789})
    CHECK(fast(v) == to_chars(v));
  // Left to to_chars: scientific is shorter, too many digits, out of range, zero.
  for (double v : {100000.0, 0.0001, 0.1 + 0.2, 1e9, 1e-7, 0.0, -0.0, 3.14159265358979})
    CHECK(fast(v) == "<none>");
  // Whenever it writes, it writes what to_chars does.
  uint64_t x = 88172645463325252ULL;  // xorshift: the same values every run
  auto next = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  int written = 0;
  for (int i = 0; i < 200000; ++i) {
    double v;
    uint64_t r = next();
    switch (i % 3) {
      case 0: v = static_cast<double>(static_cast<int64_t>(r % 2'000'000'000'000ULL) - 1'000'000'000'000LL) /
                  std::pow(10.0, static_cast<double>(r % 7)); break;  // m / 10^k
      case 1: v = static_cast<double>(r % 100000) / 1000.0; break;     // latencies
      default: std::memcpy(&v, &r, sizeof v); break;                   // any bits
    }
    std::string f = fast(v);
    if (f == "<none>") continue;
    ++written;
    INFO(v);
    REQUIRE(f == to_chars(v));
  }
  CHECK(written > 100000);
}

}  // namespace SLUICE_UNITY_ID
