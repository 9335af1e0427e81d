// The `splunk` codec; see splunk_codec.hpp. What Fluent Bit 5.1's
// out_splunk sends, and where sluice reads HEC's answers differently, is in
// docs/outputs/splunk.md.
#include "outputs/splunk/splunk_codec.hpp"

#include <cmath>
#include <cstdio>

#include <simdjson.h>

#include "agent/json_writer.hpp"

namespace sluice::splunk {

namespace {

void key(std::string& out, std::string_view k) {
  out += '"';
  out += k;  // the codec's own key names: nothing to escape
  out += "\":";
}

// A template's text for the record; "" when it renders nothing.
std::string rendered(const std::optional<RecordTemplate>& t, const EventRef& e) {
  std::string text;
  if (t) t->render_present(e.event->record, *e.tag, {}, text);
  return text;
}

// A value as text, as Fluent Bit's record accessor turns one into text.
bool value_text(const Value& v, std::string& out) {
  if (v.is_string()) {
    out.assign(v.as_string());
    return true;
  }
  if (v.is_array()) return false;
  if (v.is_double()) {
    char buf[64];
    int n = std::snprintf(buf, sizeof buf, "%f", v.as_double());
    out.assign(buf, static_cast<size_t>(n));
    return true;
  }
  out.clear();
  json::append_value(out, v);
  return true;
}

}  // namespace

Codec::Codec(Settings s)
    : JsonArrayCodec({s.max_request_bytes, 100'000, s.max_request_bytes}), s_(std::move(s)) {}

void Codec::append_time(std::string& out, int64_t time_ns) {
  double seconds = static_cast<double>(time_ns / 1'000'000'000) + static_cast<double>(time_ns % 1'000'000'000) / 1e9;
  char buf[64];
  int n = seconds == std::floor(seconds) ? std::snprintf(buf, sizeof buf, "%.1f", seconds)
                                         : std::snprintf(buf, sizeof buf, "%.16g", seconds);
  out.append(buf, static_cast<size_t>(n));
}

bool Codec::append_item(const EventRef& e, std::string& out, std::string* /*why*/) {
  const Value& record = e.event->record;
  if (s_.send_raw) {
    json::append_value(out, record);
    return true;
  }
  out += '{';
  bool first = true;
  auto next = [&] {
    if (!first) out += ',';
    first = false;
  };
  if (!s_.auto_extract_timestamp) {
    next();
    key(out, "time");
    append_time(out, e.event->time_ns);
  }
  auto text_field = [&](std::string_view name, const std::string& value) {
    if (value.empty()) return;
    next();
    key(out, name);
    json::append_string(out, value);
  };
  text_field("host", rendered(s_.event_host, e));
  text_field("source", rendered(s_.event_source, e));
  std::string sourcetype = rendered(s_.event_sourcetype_key, e);
  text_field("sourcetype", sourcetype.empty() ? s_.event_sourcetype : sourcetype);
  std::string index = rendered(s_.event_index_key, e);
  text_field("index", index.empty() ? s_.event_index : index);
  if (!s_.event_fields.empty()) {
    next();
    key(out, "fields");
    out += '{';
    bool first_field = true;
    for (const auto& [name, accessor] : s_.event_fields) {
      const Value* v = accessor.get(record);
      if (v == nullptr || v->is_array()) continue;
      if (!first_field) out += ',';
      first_field = false;
      json::append_string(out, name);
      out += ':';
      json::append_value(out, *v);
    }
    out += '}';
  }
  next();
  key(out, "event");
  const Value* part = s_.event_key ? s_.event_key->get(record) : nullptr;
  if (part != nullptr && value_text(*part, scratch_) && !scratch_.empty()) json::append_string(out, scratch_);
  else json::append_value(out, record);
  out += '}';
  return true;
}

http::PlannedRequest Codec::make_request() {
  // HEC reads the body whatever its type; Fluent Bit sends none.
  http::PlannedRequest p = post(s_.target, s_.http, "application/json");
  return p;
}

HecError read_hec_error(const std::string& body) {
  HecError e;
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(body).get(o)) return e;
  std::string_view text;
  int64_t code = -1;
  if (!o["text"].get(text)) e.reason = std::string(text);
  if (!o["code"].get(code)) e.reason += " (code " + std::to_string(code) + ")";
  int64_t n = -1;
  if (!o["invalid-event-number"].get(n) && n >= 0) e.invalid_event = static_cast<size_t>(n);
  return e;
}

http::Answer Codec::read_refusal(http::PlannedRequest& sent, http::Response& response) {
  HecError hec = read_hec_error(response.body);
  std::string reason = "Splunk HEC answered " + std::to_string(response.status) +
                       (hec.reason.empty() ? ": " + http::describe_answer(response) : ": " + hec.reason);
  if (response.status == 0) reason = "Splunk HEC " + http::describe_answer(response);
  http::Answer a = sort_refusal(response, reason, false);
  // One event of the request refused (400 with its number): that one is
  // dead-lettered; the others are sent again (HEC may have indexed those
  // before it: at least once).
  if (response.status == 400 && hec.invalid_event && *hec.invalid_event < sent.events.size() &&
      sent.events.size() > 1) {
    a.per_event.assign(sent.events.size(), RecordOutcome{Outcome::Retry, reason + "; another event of the request"});
    a.per_event[*hec.invalid_event] = {Outcome::Permanent, reason};
  }
  return a;
}

}  // namespace sluice::splunk
