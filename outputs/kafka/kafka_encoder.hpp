// Records → Kafka messages: the value (JSON or one raw field), the topic and
// the key of each record. Pure functions of the record and MessageSettings
// (golden-tested without a broker).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/chunk.hpp"
#include "outputs/kafka/kafka_settings.hpp"

namespace sluice::kafka {

class Encoder {
 public:
  explicit Encoder(const MessageSettings& s) : s_(s) {}

  // Appends the message value of e to out. False when the record can't be
  // one (format raw without raw_log_key in the record); reason says why.
  bool value(const Event& e, std::string& out, std::string& reason) const;
  // The record's topic: topic_key's value when it is one of topics (or with
  // dynamic_topic, any non-empty string), else the first topic. Points into
  // the settings or the record.
  std::string_view topic(const Event& e) const;
  // The record's key: message_key_field's string value, else message_key
  // (empty: no key). Points into the settings or the record.
  std::string_view key(const Event& e) const;
  // The Kafka message timestamp: the record's time in milliseconds.
  static int64_t timestamp_ms(const Event& e) { return e.time_ns / 1'000'000; }

 private:
  void append_json(const Event& e, std::string& out) const;
  const MessageSettings& s_;
};

}  // namespace sluice::kafka
