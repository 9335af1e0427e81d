// Records → Kafka messages: the value (JSON or one raw field), the topic and
// the key of each record. Functions of the record and MessageSettings
// (golden-tested without a broker); one encoder is used by one thread at a
// time (it keeps the last record's field names, see names_).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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

 private:
  void append_json(const Event& e, std::string& out) const;
  void append_name(std::string& out, size_t index, std::string_view name) const;
  const MessageSettings& s_;
  // The records of one source share their field names, in one order: the
  // JSON of each (`,"name":`) is kept from the record before and reused
  // where the name at that place is the same, rather than escaped again
  // (escaping short names was a third of the encoding's work).
  struct Name {
    std::string text;
    std::string json;
  };
  mutable std::vector<Name> names_;
};

}  // namespace sluice::kafka
