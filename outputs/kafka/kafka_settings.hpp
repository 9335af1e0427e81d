// The `kafka` output's configuration: its keys (Fluent Bit's out_kafka
// names) and the immutable settings read from them once at build time,
// librdkafka's properties included.
#pragma once
#include <string>
#include <vector>

#include "agent/config/component_config.hpp"
#include "outputs/kafka/rdkafka_client.hpp"

namespace sluice::kafka {

enum class Format { Json, Raw };
enum class TimestampFormat { Double, Iso8601, Iso8601Ns };

// How a record becomes a Kafka message (kafka_encoder).
struct MessageSettings {
  Format format = Format::Json;
  std::string raw_log_key;                  // format raw: the field sent as the value
  std::string timestamp_key = "@timestamp";  // json: the record's time under this key, first
  TimestampFormat timestamp_format = TimestampFormat::Double;
  std::vector<std::string> topics = {"fluent-bit"};  // the first is the default
  std::string topic_key;                    // record field naming the topic
  bool dynamic_topic = false;               // a topic_key value not in topics is used as it is
  size_t dynamic_topic_limit = 64;          // most such topics in use; records naming more go to the first
  std::string message_key;                  // the key of every message ("" = none)
  std::string message_key_field;            // record field whose value is the key, else message_key
};

struct Settings {
  MessageSettings message;
  // Handed to librdkafka in order: sluice's defaults, then rdkafka.* as given.
  Properties properties;
  int queue_full_retries = 10;  // 0 = no limit
  bool statistics = false;      // statistics.interval.ms > 0: metrics from librdkafka's statistics
};

const config::PluginSchema& schema();
// Validates and reads cfg; ConfigError on a bad value (librdkafka's own
// text for a property it refuses).
Settings read_settings(const config::ComponentConfig& cfg);

}  // namespace sluice::kafka
