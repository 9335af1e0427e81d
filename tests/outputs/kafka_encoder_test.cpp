// The kafka output's encoder: golden message values (json, raw, the
// timestamp formats), topic and key choice. No broker.
#include <catch2/catch.hpp>

#include "agent/parse/json_format.hpp"
#include "outputs/kafka/kafka_encoder.hpp"

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
  CHECK(Encoder::timestamp_ms(Record("{}").event) == 1700000000123);
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
