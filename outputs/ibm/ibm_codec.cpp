// The `ibm_cloud_logs` codec; see ibm_codec.hpp. Entry fields and limits as
// IBM Cloud Logs' ingestion reference gives them (../shared/protocols.md 7b).
#include "outputs/ibm/ibm_codec.hpp"

#include <cinttypes>
#include <cstdio>

#include "agent/json_writer.hpp"
#include "outputs/common/http_output_config.hpp"

namespace sluice::ibm {

Codec::Codec(Settings settings) : JsonArrayCodec({kMaxRequestBytes, 100'000, kMaxRequestBytes}), s_(std::move(settings)) {}

bool Codec::append_item(const EventRef& e, std::string& out, std::string* why) {
  const Value& record = e.event->record;
  const Value* text = record.is_map() ? &record : nullptr;
  if (s_.log_key) {
    text = s_.log_key->get(record);
    if (text == nullptr) {
      *why = "the record has no " + s_.log_key->text() + " field (log_key)";
      return false;
    }
  }
  out += "{\"applicationName\":";
  scratch_.clear();
  if (!s_.application.render(record, *e.tag, scratch_)) scratch_ = s_.application_fallback;
  json::append_string(out, scratch_);
  out += ",\"subsystemName\":";
  scratch_.clear();
  if (!s_.subsystem.render(record, *e.tag, scratch_)) scratch_ = s_.subsystem_fallback;
  json::append_string(out, scratch_);
  out += ",\"computerName\":";
  json::append_string(out, s_.computer_name);
  // Milliseconds with the microseconds as a fraction, as IBM's agent sends them.
  int64_t ns = e.event->time_ns;
  int64_t ms = ns / 1'000'000 - (ns % 1'000'000 < 0 ? 1 : 0);
  int64_t micros = (ns - ms * 1'000'000) / 1'000;
  char stamp[48];
  std::snprintf(stamp, sizeof stamp, ",\"timestamp\":%" PRId64 ".%03" PRId64, ms, micros);
  out += stamp;
  int severity = 3;
  if (s_.severity_key)
    if (const Value* v = s_.severity_key->get(record))
      if (int n = severity_of(*v)) severity = n;
  out += ",\"severity\":" + std::to_string(severity) + ",\"text\":";
  json::append_value(out, *text);
  out += '}';
  return true;
}

http::PlannedRequest Codec::make_request() { return post(s_.target, s_.http); }

http::Answer Codec::read_refusal(http::PlannedRequest& /*sent*/, http::Response& response) {
  return sort_refusal(response, "IBM Cloud Logs answered " + http::describe_answer(response), true);
}

}  // namespace sluice::ibm
