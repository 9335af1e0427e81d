// The kafka output's configuration: Fluent Bit's defaults, each key, the
// rdkafka.* pass-through checked by librdkafka, and the errors a user can meet.
#include <catch2/catch.hpp>

#include <algorithm>

#include "agent/config/yaml_loader.hpp"
#include "outputs/kafka/kafka_output.hpp"
#include "outputs/kafka/kafka_settings.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::kafka;

namespace {

Settings settings(const std::string& yaml) {
  return read_settings(config::load_component(kafka_output_schema(), "output", yaml));
}

std::string config_error(const std::string& yaml) {
  try {
    make_kafka_output(config::load_component(kafka_output_schema(), "output", yaml), BuildContext{});
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

// The value of a librdkafka property as it will be set (the last one wins).
std::string property(const Settings& s, const std::string& name) {
  std::string v = "<unset>";
  for (const auto& [n, value] : s.properties)
    if (n == name) v = value;
  return v;
}

}  // namespace

TEST_CASE("kafka config: Fluent Bit's defaults, idempotent producing, a bounded queue", "[kafka][kafka_config]") {
  Settings s = settings("brokers: 10.0.0.1:9092,10.0.0.2:9092\n");
  CHECK(s.message.format == Format::Json);
  CHECK(s.message.topics == std::vector<std::string>{"fluent-bit"});
  CHECK(s.message.timestamp_key == "@timestamp");
  CHECK(s.message.timestamp_format == TimestampFormat::Double);
  CHECK(s.message.topic_key.empty());
  CHECK_FALSE(s.message.dynamic_topic);
  CHECK(s.message.message_key.empty());
  CHECK(s.queue_full_retries == 10);
  CHECK_FALSE(s.statistics);
  CHECK(property(s, "bootstrap.servers") == "10.0.0.1:9092,10.0.0.2:9092");
  CHECK(property(s, "enable.idempotence") == "true");
  CHECK(property(s, "acks") == "all");
  CHECK(property(s, "message.timeout.ms") == "0");  // librdkafka resends, not the core: no duplicates
  CHECK(property(s, "queue.buffering.max.kbytes") == "8192");  // mem_buf_limit 8M
  CHECK(s.message.dynamic_topic_limit == 64);
}

TEST_CASE("kafka config: each key", "[kafka][kafka_config]") {
  Settings s = settings(
      "brokers: k:9092\ntopics: [logs, audit]\ntopic_key: stream\ndynamic_topic: on\nmessage_key: app\n"
      "message_key_field: user\ntimestamp_key: ts\ntimestamp_format: iso8601_ns\nformat: raw\nraw_log_key: log\n"
      "queue_full_retries: 0\nmem_buf_limit: 2M\ndynamic_topic_limit: 5\n"
      "rdkafka.compression.codec: zstd\nrdkafka:\n  linger.ms: 20\n  statistics.interval.ms: 5000\n");
  CHECK(s.message.topics == std::vector<std::string>{"logs", "audit"});
  CHECK(s.message.topic_key == "stream");
  CHECK(s.message.dynamic_topic);
  CHECK(s.message.dynamic_topic_limit == 5);
  CHECK(s.message.message_key == "app");
  CHECK(s.message.message_key_field == "user");
  CHECK(s.message.timestamp_key == "ts");
  CHECK(s.message.timestamp_format == TimestampFormat::Iso8601Ns);
  CHECK(s.message.format == Format::Raw);
  CHECK(s.message.raw_log_key == "log");
  CHECK(s.queue_full_retries == 0);
  CHECK(s.statistics);
  CHECK(property(s, "queue.buffering.max.kbytes") == "2048");
  CHECK(property(s, "compression.codec") == "zstd");
  CHECK(property(s, "linger.ms") == "20");  // a nested map is the same as rdkafka.linger.ms
  CHECK(settings("brokers: k:9092\ntimestamp_format: iso8601\n").message.timestamp_format == TimestampFormat::Iso8601);
}

TEST_CASE("kafka config: rdkafka.* overrides sluice's defaults", "[kafka][kafka_config]") {
  Settings s = settings("brokers: k:9092\nrdkafka.enable.idempotence: false\nrdkafka.acks: 1\n"
                        "rdkafka.queue.buffering.max.kbytes: 512\n");
  CHECK(property(s, "enable.idempotence") == "false");
  CHECK(property(s, "acks") == "1");
  CHECK(property(s, "queue.buffering.max.kbytes") == "512");
  // bootstrap.servers instead of brokers is fine too.
  CHECK(property(settings("rdkafka.bootstrap.servers: k:9093\n"), "bootstrap.servers") == "k:9093");
}

TEST_CASE("kafka config: errors name the key, and librdkafka's refusals are in its own words", "[kafka][kafka_config]") {
  CHECK_THAT(config_error("topics: logs\n"),
             Catch::Contains("key 'brokers': expected the Kafka bootstrap brokers"));
  CHECK_THAT(config_error("brokers: k:9092\nrdkafka.no.such.thing: 1\n"),
             Catch::Contains("key 'rdkafka.no.such.thing': librdkafka refuses it: No such configuration property: "
                             "\"no.such.thing\""));
  CHECK_THAT(config_error("brokers: k:9092\nrdkafka.compression.codec: brotli\n"),
             Catch::Contains("key 'rdkafka.compression.codec': librdkafka refuses it: Invalid value \"brotli\""));
  // Valid one by one, refused together (librdkafka checks the set when the producer is made).
  CHECK_THAT(config_error("brokers: k:9092\nrdkafka.acks: 1\n"),
             Catch::Contains("librdkafka refuses these properties: `acks` must be set to `all` when "
                             "`enable.idempotence` is true"));
  CHECK_THAT(config_error("brokers: k:9092\nrdkafka.dr_msg_cb: x\n"),
             Catch::Contains("key 'rdkafka.dr_msg_cb': is set by sluice itself"));
  CHECK_THAT(config_error("brokers: k:9092\nformat: raw\n"), Catch::Contains("key 'raw_log_key': format raw needs"));
  CHECK_THAT(config_error("brokers: k:9092\nraw_log_key: log\n"), Catch::Contains("is used only with format raw"));
  CHECK_THAT(config_error("brokers: k:9092\nformat: msgpack\n"),
             Catch::Contains("key 'format' expects one of json, raw"));
  CHECK_THAT(config_error("brokers: k:9092\ndynamic_topic: on\n"), Catch::Contains("dynamic_topic': needs topic_key"));
  CHECK_THAT(config_error("brokers: k:9092\nqueue_full_retries: -1\n"), Catch::Contains("queue_full_retries"));
  CHECK_THAT(config_error("brokers: k:9092\ntopic_key: t\ndynamic_topic: on\ndynamic_topic_limit: 0\n"),
             Catch::Contains("key 'dynamic_topic_limit': expected a count from 1 to 100000"));
  CHECK_THAT(config_error("brokers: k:9092\ndynamic_topic_limit: 5\n"),
             Catch::Contains("key 'dynamic_topic_limit': is used only with dynamic_topic on"));
  CHECK_THAT(config_error("brokers: k:9092\ntopic: logs\n"), Catch::Contains("unknown key 'topic'"));
  CHECK_THAT(config_error("brokers: k:9092\nrdkafka.ssl.ca.location: /nonexistent/ca.pem\n"
                          "rdkafka.security.protocol: ssl\n"),
             Catch::Contains("librdkafka refuses these properties"));
}

}  // namespace SLUICE_UNITY_ID
