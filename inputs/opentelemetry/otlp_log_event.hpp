// What the protobuf and JSON decoders of OTLP logs share: one LogRecord as
// read (its values already in the chunk's arena) → one event, and a map
// builder for attribute lists whose length isn't known in advance.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "agent/chunk.hpp"
#include "inputs/opentelemetry/otlp_logs.hpp"

namespace sluice::otlp {

// AnyValue, kvlist and array nesting deeper than this is refused (the JSON
// reader's limit too): decoding recurses once per level.
inline constexpr int kMaxDepth = 64;

struct LogParts {
  uint64_t time_unix_nano = 0;
  uint64_t observed_time_unix_nano = 0;
  uint64_t severity_number = 0;
  std::string_view severity_text;
  std::optional<Value> body;  // absent: null
  Value attributes;           // a map, or null for none
  uint64_t dropped_attributes_count = 0;
  std::string_view trace_id_hex, span_id_hex;  // lowercase hex, empty for none
  uint64_t flags = 0;
  std::string_view event_name;
};

// Members collected one by one, then laid out in the arena as one map. The
// first kInline stay on the stack: most attribute lists and every log's
// metadata fit, so a log costs no heap allocation here.
class MapBuilder {
 public:
  static constexpr size_t kInline = 16;
  void add(std::string_view key, Value v) {
    if (n_ < kInline) inline_[n_] = {Key(key), v};
    else spill_.push_back({Key(key), v});
    ++n_;
  }
  bool empty() const { return n_ == 0; }
  Value finish(Arena& arena);

 private:
  Member inline_[kInline];
  std::vector<Member> spill_;  // members past kInline
  size_t n_ = 0;
};

// The resource part of an event's metadata: {"attributes", "dropped_attributes_count", "schema_url"},
// each only when present; strings already in the chunk's arena.
Value resource_map(Arena& arena, Value attributes, uint64_t dropped, std::string_view schema_url);
// The scope part: {"name", "version", "attributes", "dropped_attributes_count", "schema_url"}.
Value scope_map(Arena& arena, std::string_view name, std::string_view version, Value attributes, uint64_t dropped,
                std::string_view schema_url);

// Appends one request's events to a chunk; the option keys are copied into
// its arena once, not once per log.
class EventBuilder {
 public:
  EventBuilder(Chunk& chunk, const OtlpLogOptions& options, int64_t now_ns);

  // The event of log: time, record and metadata (a copy of resource and
  // scope in each, so that filters changing one event's metadata in place
  // change only that event's).
  void append(const Value& resource, const Value& scope, const LogParts& log);

 private:
  Chunk& chunk_;
  bool metadata_in_record_;
  bool body_key_set_;
  std::string_view metadata_key_;  // in the chunk's arena
  std::string_view body_key_;      // "log" unless logs_body_key
  int64_t now_ns_;
};

}  // namespace sluice::otlp
