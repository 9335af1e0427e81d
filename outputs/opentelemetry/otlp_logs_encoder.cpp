// Records → OTLP protobuf; see otlp_logs_encoder.hpp. Field numbers are
// opentelemetry-proto v1's (collector/logs/v1, logs/v1, common/v1,
// resource/v1). Messages are built inside out: each embedded message is
// encoded into a string of its own, then written as a length-delimited field.
#include "outputs/opentelemetry/otlp_logs_encoder.hpp"

#include <algorithm>

#include "agent/protobuf_writer.hpp"
#include "agent/record.hpp"

namespace sluice::otlp {

namespace {

namespace pb = protobuf;

void encode_any_value(const Value& v, std::string& out);

// KeyValue { string key = 1; AnyValue value = 2; } for each member of map.
void encode_key_values(const Value& map, uint32_t field, std::string& out, const Value* skip_from = nullptr) {
  std::string kv, any;
  for (const Member& m : map.members()) {
    if (skip_from != nullptr && &m.value == skip_from) continue;
    kv.clear();
    any.clear();
    pb::append_len_field(kv, 1, m.key.view());
    encode_any_value(m.value, any);
    pb::append_len_field(kv, 2, any);
    pb::append_len_field(out, field, kv);
  }
}

// AnyValue { string_value = 1; bool_value = 2; int_value = 3; double_value = 4;
//            ArrayValue array_value = 5; KeyValueList kvlist_value = 6; }; null: none set.
void encode_any_value(const Value& v, std::string& out) {
  switch (v.kind()) {
    case Kind::Null: return;
    case Kind::Bool: pb::append_varint_field(out, 2, v.as_bool() ? 1 : 0); return;
    case Kind::Int: pb::append_varint_field(out, 3, static_cast<uint64_t>(v.as_int())); return;
    case Kind::Double: pb::append_double_field(out, 4, v.as_double()); return;
    case Kind::String: pb::append_len_field(out, 1, v.as_string()); return;
    case Kind::Array: {
      std::string values, item;
      for (const Value& i : v.items()) {
        item.clear();
        encode_any_value(i, item);
        pb::append_len_field(values, 1, item);
      }
      pb::append_len_field(out, 5, values);
      return;
    }
    case Kind::Map: {
      std::string list;
      encode_key_values(v, 1, list);
      pb::append_len_field(out, 6, list);
      return;
    }
  }
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A trace (16 bytes) or span (8 bytes) id from its hex text; "" when it isn't one.
std::string id_bytes(const Value* v, size_t bytes) {
  if (v == nullptr || !v->is_string() || v->as_string().size() != 2 * bytes) return {};
  std::string_view s = v->as_string();
  std::string out(bytes, '\0');
  for (size_t i = 0; i < bytes; ++i) {
    int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return {};
    out[i] = static_cast<char>(hi * 16 + lo);
  }
  return out;
}

// The first of: otlp's `key`, the metadata accessor, the record accessor.
const Value* find_field(const Value* otlp, std::string_view key, const Value* metadata,
                        const std::optional<RecordAccessor>& in_metadata, const Value& record,
                        const std::optional<RecordAccessor>& in_record = std::nullopt) {
  if (otlp != nullptr)
    if (const Value* v = otlp->find(key)) return v;
  if (metadata != nullptr && in_metadata)
    if (const Value* v = in_metadata->get(*metadata)) return v;
  if (in_record)
    if (const Value* v = in_record->get(record)) return v;
  return nullptr;
}

uint64_t positive(const Value* v) { return v != nullptr && v->is_int() && v->as_int() > 0 ? v->as_int() : 0; }

// LogRecord { fixed64 time_unix_nano = 1; SeverityNumber severity_number = 2; string severity_text = 3;
//             AnyValue body = 5; repeated KeyValue attributes = 6; uint32 dropped_attributes_count = 7;
//             fixed32 flags = 8; bytes trace_id = 9; bytes span_id = 10;
//             fixed64 observed_time_unix_nano = 11; string event_name = 12; }
void encode_log_record(const EventRef& e, const Value* otlp, const EncoderSettings& s, std::string& out) {
  const Value& record = e.event->record;
  const Value* meta = e.metadata;
  uint64_t time = positive(find_field(otlp, "timestamp", meta, s.timestamp_metadata, record));
  if (time == 0 && e.event->time_ns > 0) time = static_cast<uint64_t>(e.event->time_ns);
  if (time != 0) pb::append_fixed64_field(out, 1, time);
  const Value* sev = find_field(otlp, "severity_number", meta, s.severity_number_metadata, record,
                                s.severity_number_message);
  if (uint64_t n = positive(sev); n >= 1 && n <= 24) pb::append_varint_field(out, 2, n);
  const Value* text =
      find_field(otlp, "severity_text", meta, s.severity_text_metadata, record, s.severity_text_message);
  if (text != nullptr && text->is_string() && !text->as_string().empty())
    pb::append_len_field(out, 3, text->as_string());

  // The body: the first logs_body_key the record has ($log, $message by
  // default), else the whole record.
  const Value* body = nullptr;
  for (const auto& key : s.body_keys)
    if ((body = key.get(record)) != nullptr) break;
  std::string any;
  encode_any_value(body != nullptr ? *body : record, any);
  pb::append_len_field(out, 5, any);

  // Attributes, in Fluent Bit's order: the metadata's own keys (a Lua
  // filter's), the record's other keys with logs_body_key_attributes, then
  // the log's OTLP attributes.
  if (meta != nullptr && meta->is_map())
    for (const Member& m : meta->members()) {
      if (m.key == std::string_view(s.metadata_key)) continue;
      std::string kv, value;
      pb::append_len_field(kv, 1, m.key.view());
      encode_any_value(m.value, value);
      pb::append_len_field(kv, 2, value);
      pb::append_len_field(out, 6, kv);
    }
  if (body != nullptr && s.body_key_attributes && record.is_map()) encode_key_values(record, 6, out, body);
  const Value* attributes = find_field(otlp, "attributes", meta, s.attributes_metadata, record);
  if (attributes != nullptr && attributes->is_map()) encode_key_values(*attributes, 6, out);
  if (uint64_t dropped = positive(otlp != nullptr ? otlp->find("dropped_attributes_count") : nullptr))
    pb::append_varint_field(out, 7, dropped);
  if (uint64_t flags = positive(find_field(otlp, "trace_flags", meta, s.trace_flags_metadata, record)))
    pb::append_fixed32_field(out, 8, static_cast<uint32_t>(flags & 0xFF));
  std::string trace = id_bytes(find_field(otlp, "trace_id", meta, s.trace_id_metadata, record, s.trace_id_message), 16);
  if (!trace.empty()) pb::append_len_field(out, 9, trace);
  std::string span = id_bytes(find_field(otlp, "span_id", meta, s.span_id_metadata, record, s.span_id_message), 8);
  if (!span.empty()) pb::append_len_field(out, 10, span);
  uint64_t observed = positive(find_field(otlp, "observed_timestamp", meta, s.observed_timestamp_metadata, record));
  if (observed != 0) pb::append_fixed64_field(out, 11, observed);
  const Value* event_name = otlp != nullptr ? otlp->find("event_name") : nullptr;
  if (event_name != nullptr && event_name->is_string() && !event_name->as_string().empty())
    pb::append_len_field(out, 12, event_name->as_string());
}

struct ScopeGroup {
  const Value* scope;
  std::string log_records;  // LogRecords, each as field 2 of ScopeLogs
};
struct ResourceGroup {
  const Value* resource;
  std::vector<ScopeGroup> scopes;
};

bool same(const Value* a, const Value* b) {
  if (a == nullptr || b == nullptr) return a == b;
  return record::equal(*a, *b);
}

const Value* map_member(const Value* map, std::string_view key) {
  const Value* v = map != nullptr ? map->find(key) : nullptr;
  return v != nullptr && v->is_map() ? v : nullptr;
}

std::string_view string_member(const Value* map, std::string_view key) {
  const Value* v = map != nullptr ? map->find(key) : nullptr;
  return v != nullptr && v->is_string() ? v->as_string() : std::string_view();
}

// ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; string schema_url = 3; }
void encode_resource_logs(const ResourceGroup& g, std::string& out) {
  std::string resource_logs, message;
  // Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
  if (const Value* attributes = map_member(g.resource, "attributes")) encode_key_values(*attributes, 1, message);
  if (uint64_t dropped = positive(g.resource != nullptr ? g.resource->find("dropped_attributes_count") : nullptr))
    pb::append_varint_field(message, 2, dropped);
  pb::append_len_field(resource_logs, 1, message);
  for (const ScopeGroup& sg : g.scopes) {
    // ScopeLogs { InstrumentationScope scope = 1; repeated LogRecord log_records = 2; string schema_url = 3; }
    std::string scope_logs, scope;
    // InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3;
    //                        uint32 dropped_attributes_count = 4; }
    if (auto name = string_member(sg.scope, "name"); !name.empty()) pb::append_len_field(scope, 1, name);
    if (auto version = string_member(sg.scope, "version"); !version.empty()) pb::append_len_field(scope, 2, version);
    if (const Value* attributes = map_member(sg.scope, "attributes")) encode_key_values(*attributes, 3, scope);
    if (uint64_t dropped = positive(sg.scope != nullptr ? sg.scope->find("dropped_attributes_count") : nullptr))
      pb::append_varint_field(scope, 4, dropped);
    if (!scope.empty()) pb::append_len_field(scope_logs, 1, scope);
    scope_logs += sg.log_records;
    if (auto url = string_member(sg.scope, "schema_url"); !url.empty()) pb::append_len_field(scope_logs, 3, url);
    pb::append_len_field(resource_logs, 2, scope_logs);
  }
  if (auto url = string_member(g.resource, "schema_url"); !url.empty()) pb::append_len_field(resource_logs, 3, url);
  // ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
  pb::append_len_field(out, 1, resource_logs);
}

}  // namespace

void encode_logs_request(std::span<const EventRef> events, std::span<const uint32_t> which,
                         const EncoderSettings& settings, std::string& out) {
  std::vector<ResourceGroup> groups;
  std::string log;
  for (uint32_t i : which) {
    const EventRef& e = events[i];
    const Value* otlp = e.metadata != nullptr ? map_member(e.metadata, settings.metadata_key) : nullptr;
    const Value* resource = map_member(otlp, "resource");
    const Value* scope = map_member(otlp, "scope");
    // Few resources and scopes per flush (one per application, mostly):
    // each record looks for its own among them.
    auto r = std::find_if(groups.begin(), groups.end(),
                          [&](const ResourceGroup& g) { return same(g.resource, resource); });
    if (r == groups.end()) r = groups.insert(groups.end(), ResourceGroup{resource, {}});
    auto sg = std::find_if(r->scopes.begin(), r->scopes.end(),
                           [&](const ScopeGroup& g) { return same(g.scope, scope); });
    if (sg == r->scopes.end()) sg = r->scopes.insert(r->scopes.end(), ScopeGroup{scope, {}});
    log.clear();
    encode_log_record(e, otlp, settings, log);
    pb::append_len_field(sg->log_records, 2, log);
  }
  for (const ResourceGroup& g : groups) encode_resource_logs(g, out);
}

}  // namespace sluice::otlp
