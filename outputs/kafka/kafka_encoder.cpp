// Records → Kafka message values, topics and keys; see kafka_encoder.hpp.
#include "outputs/kafka/kafka_encoder.hpp"

#include <algorithm>

#include "agent/json_writer.hpp"
#include "outputs/common/json_lines_encoder.hpp"
#include "outputs/kafka/short_decimal.hpp"

namespace sluice::kafka {

namespace {

std::string_view string_field(const Event& e, const std::string& key) {
  if (key.empty() || !e.record.is_map()) return {};
  const Value* v = e.record.find(key);
  return v != nullptr && v->is_string() ? v->as_string() : std::string_view{};
}

}  // namespace

bool Encoder::value(const Event& e, std::string& out, std::string& reason) const {
  if (s_.format == Format::Json) {
    append_json(e, out);
    return true;
  }
  const Value* v = e.record.is_map() ? e.record.find(s_.raw_log_key) : nullptr;
  if (v == nullptr) {
    reason = "the record has no '" + s_.raw_log_key + "' field (raw_log_key) to send as the message";
    return false;
  }
  if (v->is_string()) out.append(v->as_string());
  else json::append_value(out, *v);
  return true;
}

// Fluent Bit's layout: the time first under timestamp_key, then the record's
// fields (a field of the same name is kept too).
void Encoder::append_json(const Event& e, std::string& out) const {
  if (s_.timestamp_key.empty()) {
    json::append_value(out, e.record);
    return;
  }
  out.push_back('{');
  json::append_string(out, s_.timestamp_key);
  out.push_back(':');
  switch (s_.timestamp_format) {
    case TimestampFormat::Double: json_lines::append_date(out, e.time_ns, json_lines::DateFormat::Double); break;
    case TimestampFormat::Iso8601: json_lines::append_date(out, e.time_ns, json_lines::DateFormat::Iso8601); break;
    case TimestampFormat::Iso8601Ns:
      out.push_back('"');
      json::append_rfc3339(out, e.time_ns);
      out.push_back('"');
      break;
  }
  if (e.record.is_map()) {
    size_t index = 0;
    for (const auto& m : e.record.members()) {
      append_name(out, index++, m.key);
      if (m.value.kind() == Kind::Double && append_short_decimal(out, m.value.as_double())) continue;
      json::append_value(out, m.value);
    }
  }
  out.push_back('}');
}

void Encoder::append_name(std::string& out, size_t index, std::string_view name) const {
  // Bounded: the first fields of a record, short names.
  constexpr size_t kMaxNames = 64;
  constexpr size_t kMaxLength = 64;
  if (index >= kMaxNames || name.size() > kMaxLength) {
    out.push_back(',');
    json::append_string(out, name);
    out.push_back(':');
    return;
  }
  if (index >= names_.size()) names_.resize(index + 1);
  Name& n = names_[index];
  if (n.text != name || n.json.empty()) {
    n.text.assign(name);
    n.json.assign(1, ',');
    json::append_string(n.json, name);
    n.json.push_back(':');
  }
  out.append(n.json);
}

std::string_view Encoder::topic(const Event& e) const {
  std::string_view want = string_field(e, s_.topic_key);
  if (!want.empty()) {
    for (const auto& t : s_.topics)
      if (t == want) return t;
    if (s_.dynamic_topic && want.size() <= 249) return want;
  }
  return s_.topics.front();
}

std::string_view Encoder::key(const Event& e) const {
  std::string_view k = string_field(e, s_.message_key_field);
  return k.empty() ? std::string_view(s_.message_key) : k;
}

}  // namespace sluice::kafka
