// One OTLP LogRecord → one event; see otlp_log_event.hpp.
#include "inputs/opentelemetry/otlp_log_event.hpp"

#include <cstring>

#include "agent/record.hpp"

namespace sluice::otlp {

namespace {

Value uint_value(uint64_t v) {
  // Nanosecond times fit in int64 until 2262; larger counts stay exact as a double's nearest.
  return v <= static_cast<uint64_t>(INT64_MAX) ? Value::integer(static_cast<int64_t>(v))
                                               : Value::real(static_cast<double>(v));
}

}  // namespace

Value MapBuilder::finish(Arena& arena) {
  if (n_ == 0) return record::empty_map();
  Member* m = arena.allocate_array<Member>(n_);
  size_t first = n_ < kInline ? n_ : kInline;
  std::memcpy(static_cast<void*>(m), inline_, first * sizeof(Member));
  if (!spill_.empty()) std::memcpy(static_cast<void*>(m + first), spill_.data(), spill_.size() * sizeof(Member));
  Value v = Value::map(m, static_cast<uint32_t>(n_));
  n_ = 0;
  spill_.clear();
  return v;
}

Value resource_map(Arena& arena, Value attributes, uint64_t dropped, std::string_view schema_url) {
  MapBuilder b;
  if (attributes.is_map() && attributes.size() > 0) b.add("attributes", attributes);
  if (dropped > 0) b.add("dropped_attributes_count", uint_value(dropped));
  if (!schema_url.empty()) b.add("schema_url", record::string(arena, schema_url));
  return b.finish(arena);
}

Value scope_map(Arena& arena, std::string_view name, std::string_view version, Value attributes, uint64_t dropped,
                std::string_view schema_url) {
  MapBuilder b;
  if (!name.empty()) b.add("name", record::string(arena, name));
  if (!version.empty()) b.add("version", record::string(arena, version));
  if (attributes.is_map() && attributes.size() > 0) b.add("attributes", attributes);
  if (dropped > 0) b.add("dropped_attributes_count", uint_value(dropped));
  if (!schema_url.empty()) b.add("schema_url", record::string(arena, schema_url));
  return b.finish(arena);
}

EventBuilder::EventBuilder(Chunk& chunk, const OtlpLogOptions& options, int64_t now_ns)
    : chunk_(chunk),
      metadata_in_record_(options.metadata_in_record),
      body_key_set_(!options.body_key.empty()),
      metadata_key_(chunk.arena.copy(options.metadata_key)),
      body_key_(options.body_key.empty() ? std::string_view("log") : chunk.arena.copy(options.body_key)),
      now_ns_(now_ns) {}

void EventBuilder::append(const Value& resource, const Value& scope, const LogParts& log) {
  Chunk& chunk = chunk_;
  Arena& arena = chunk.arena;
  // Fluent Bit's order of the metadata's keys (in_opentelemetry's otel_pack_v1_metadata).
  MapBuilder meta;
  if (log.observed_time_unix_nano != 0) meta.add("observed_timestamp", uint_value(log.observed_time_unix_nano));
  if (log.time_unix_nano != 0) meta.add("timestamp", uint_value(log.time_unix_nano));
  if (log.severity_number >= 1 && log.severity_number <= 24)
    meta.add("severity_number", Value::integer(static_cast<int64_t>(log.severity_number)));
  if (!log.severity_text.empty()) meta.add("severity_text", record::string(arena, log.severity_text));
  if (log.attributes.is_map() && log.attributes.size() > 0) meta.add("attributes", log.attributes);
  if (log.dropped_attributes_count > 0)
    meta.add("dropped_attributes_count", uint_value(log.dropped_attributes_count));
  if (!log.trace_id_hex.empty()) meta.add("trace_id", record::string(arena, log.trace_id_hex));
  if (!log.span_id_hex.empty()) meta.add("span_id", record::string(arena, log.span_id_hex));
  meta.add("trace_flags", Value::integer(static_cast<int64_t>(log.flags & 0xFF)));
  if (!log.event_name.empty()) meta.add("event_name", record::string(arena, log.event_name));
  if (resource.is_map() && resource.size() > 0) meta.add("resource", record::deep_copy(resource, arena));
  if (scope.is_map() && scope.size() > 0) meta.add("scope", record::deep_copy(scope, arena));
  Value otlp = meta.finish(arena);

  Value body = log.body.value_or(Value());
  Value rec;
  if (!body_key_set_ && body.is_map()) {
    rec = body;
  } else {
    MapBuilder r;
    r.add(body_key_, body);
    rec = r.finish(arena);
  }
  if (metadata_in_record_) record::add(rec, arena, metadata_key_, record::deep_copy(otlp, arena));

  MapBuilder m;
  m.add(metadata_key_, otlp);
  Value metadata = m.finish(arena);

  // The event's time: the log's, else when it was observed, else now (a
  // time past int64's nanoseconds, the year 2262, counts as none).
  auto usable = [](uint64_t ns) { return ns != 0 && ns <= static_cast<uint64_t>(INT64_MAX); };
  int64_t t = usable(log.time_unix_nano)            ? static_cast<int64_t>(log.time_unix_nano)
              : usable(log.observed_time_unix_nano) ? static_cast<int64_t>(log.observed_time_unix_nano)
                                                    : now_ns_;
  // Metadata stays parallel to events: events appended before this request
  // without any get nulls.
  if (chunk.metadata.size() < chunk.events.size()) chunk.metadata.resize(chunk.events.size());
  chunk.events.push_back({t, rec});
  chunk.metadata.push_back(metadata);
}

}  // namespace sluice::otlp
