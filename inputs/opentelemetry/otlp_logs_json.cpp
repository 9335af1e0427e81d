// An ExportLogsServiceRequest in OTLP/JSON → events. The body is read by the
// core's JSON reader into a scratch arena and walked; what the events keep
// is built in the chunk's arena. Names are accepted in lowerCamelCase (what
// OTLP/JSON senders write) and in the .proto's snake_case (the protobuf JSON
// mapping lets receivers take both).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <span>
#include <string>

#include "agent/parse/json_format.hpp"
#include "agent/record.hpp"
#include "inputs/http/http_body_decoder.hpp"
#include "inputs/opentelemetry/otlp_log_event.hpp"
#include "inputs/opentelemetry/otlp_logs.hpp"

namespace sluice {

namespace {

struct Malformed {
  std::string what;
};

// Where the walker is, for error messages only: a chain of frames on the
// stack, rendered ("resourceLogs[0].scopeLogs[1].logRecords[3].body") only
// when a request is refused, so that reading a log allocates nothing for it.
struct Path {
  const Path* parent = nullptr;
  std::string_view name;
  long index = -1;

  std::string str() const {
    std::string s = parent != nullptr ? parent->str() + "." : std::string();
    s += name;
    if (index >= 0) s += "[" + std::to_string(index) + "]";
    return s;
  }
  [[noreturn]] void fail(std::string_view field, std::string_view why) const {
    Path at{this, field};
    throw Malformed{at.str() + ": " + std::string(why)};
  }
  [[noreturn]] void fail(std::string_view why) const { throw Malformed{str() + ": " + std::string(why)}; }
};

// obj's member named camel or snake (the first present), else nullptr.
const Value* member(const Value& obj, std::string_view camel, std::string_view snake) {
  if (const Value* v = obj.find(camel)) return v;
  return snake == camel ? nullptr : obj.find(snake);
}

// An array member (absent or null: none).
std::span<Value> array_of(const Value& obj, std::string_view camel, std::string_view snake, const Path& where) {
  const Value* v = member(obj, camel, snake);
  if (v == nullptr || v->is_null()) return {};
  if (!v->is_array()) where.fail(camel, "expected an array");
  return v->items();
}

const Value* object_of(const Value& obj, std::string_view camel, std::string_view snake, const Path& where) {
  const Value* v = member(obj, camel, snake);
  if (v == nullptr || v->is_null()) return nullptr;
  if (!v->is_map()) where.fail(camel, "expected an object");
  return v;
}

std::string_view string_of(const Value& obj, std::string_view camel, std::string_view snake, const Path& where) {
  const Value* v = member(obj, camel, snake);
  if (v == nullptr || v->is_null()) return {};
  if (!v->is_string()) where.fail(camel, "expected a string");
  return v->as_string();
}

// A 64-bit unsigned integer: a JSON number, or a string of decimal digits
// (how the protobuf JSON mapping writes int64 and fixed64).
uint64_t uint_of(const Value& obj, std::string_view camel, std::string_view snake, const Path& where) {
  const Value* v = member(obj, camel, snake);
  if (v == nullptr || v->is_null()) return 0;
  if (v->is_int() && v->as_int() >= 0) return static_cast<uint64_t>(v->as_int());
  if (v->is_double() && v->as_double() >= 0 && v->as_double() < 1.8446744073709552e19 &&
      std::floor(v->as_double()) == v->as_double())
    return static_cast<uint64_t>(v->as_double());
  if (v->is_string()) {
    std::string_view s = v->as_string();
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && end == s.data() + s.size() && !s.empty()) return n;
  }
  where.fail(camel, "expected a non-negative integer (a number or a string of digits)");
}

// A trace or span id: hex text (OTLP/JSON's exception to base64 for bytes), lowercased.
std::string_view hex_id_of(const Value& obj, std::string_view camel, std::string_view snake, const Path& where,
                           Arena& arena) {
  std::string_view s = string_of(obj, camel, snake, where);
  if (s.empty()) return {};
  if (s.size() % 2 != 0) where.fail(camel, "expected hex digits (2 per byte)");
  char* out = static_cast<char*>(arena.allocate(s.size(), 1));
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) where.fail(camel, "expected hex digits (2 per byte)");
    out[i] = c;
  }
  return {out, s.size()};
}

class Walker {
 public:
  Walker(const OtlpLogOptions& options, int64_t now_ns, Chunk& chunk)
      : events_(chunk, options, now_ns), arena_(chunk.arena) {}

  void request(const Value& root) {
    Path request{nullptr, "request"};
    long i = 0;
    for (const Value& rl : array_of(root, "resourceLogs", "resource_logs", request))
      resource_logs(rl, Path{nullptr, "resourceLogs", i++});
  }

 private:
  void resource_logs(const Value& rl, const Path& where) {
    if (!rl.is_map()) where.fail("expected an object");
    std::string_view schema_url = string_of(rl, "schemaUrl", "schema_url", where);
    Value resource;
    if (const Value* r = object_of(rl, "resource", "resource", where)) {
      Path at{&where, "resource"};
      resource = otlp::resource_map(arena_, attributes(*r, at),
                                    uint_of(*r, "droppedAttributesCount", "dropped_attributes_count", at), schema_url);
    } else {
      resource = otlp::resource_map(arena_, Value(), 0, schema_url);
    }
    long j = 0;
    for (const Value& sl : array_of(rl, "scopeLogs", "scope_logs", where))
      scope_logs(sl, resource, Path{&where, "scopeLogs", j++});
  }

  void scope_logs(const Value& sl, const Value& resource, const Path& where) {
    if (!sl.is_map()) where.fail("expected an object");
    std::string_view schema_url = string_of(sl, "schemaUrl", "schema_url", where);
    Value scope;
    if (const Value* s = object_of(sl, "scope", "scope", where)) {
      Path at{&where, "scope"};
      scope = otlp::scope_map(arena_, string_of(*s, "name", "name", at), string_of(*s, "version", "version", at),
                              attributes(*s, at), uint_of(*s, "droppedAttributesCount", "dropped_attributes_count", at),
                              schema_url);
    } else {
      scope = otlp::scope_map(arena_, {}, {}, Value(), 0, schema_url);
    }
    long k = 0;
    for (const Value& lr : array_of(sl, "logRecords", "log_records", where))
      log_record(lr, resource, scope, Path{&where, "logRecords", k++});
  }

  void log_record(const Value& lr, const Value& resource, const Value& scope, const Path& where) {
    if (!lr.is_map()) where.fail("expected an object");
    otlp::LogParts log;
    log.time_unix_nano = uint_of(lr, "timeUnixNano", "time_unix_nano", where);
    log.observed_time_unix_nano = uint_of(lr, "observedTimeUnixNano", "observed_time_unix_nano", where);
    log.severity_number = uint_of(lr, "severityNumber", "severity_number", where);
    log.severity_text = string_of(lr, "severityText", "severity_text", where);
    if (const Value* body = member(lr, "body", "body")) log.body = any_value(*body, 1, Path{&where, "body"});
    log.attributes = attributes(lr, where);
    log.dropped_attributes_count = uint_of(lr, "droppedAttributesCount", "dropped_attributes_count", where);
    log.flags = uint_of(lr, "flags", "flags", where);
    log.trace_id_hex = hex_id_of(lr, "traceId", "trace_id", where, arena_);
    log.span_id_hex = hex_id_of(lr, "spanId", "span_id", where, arena_);
    log.event_name = string_of(lr, "eventName", "event_name", where);
    events_.append(resource, scope, log);
  }

  // obj's "attributes": [{"key": ..., "value": AnyValue}, ...] → a map.
  Value attributes(const Value& obj, const Path& where) {
    return key_values(array_of(obj, "attributes", "attributes", where), 1, Path{&where, "attributes"});
  }

  Value key_values(std::span<Value> list, int depth, const Path& where) {
    otlp::MapBuilder b;
    for (const Value& kv : list) {
      if (!kv.is_map()) where.fail("expected {\"key\": ..., \"value\": ...} objects");
      const Value* key = kv.find("key");
      if (key == nullptr || !key->is_string()) where.fail("an attribute without a string \"key\"");
      std::string_view k = key->as_string();
      if (!Key::fits(k)) where.fail("a key longer than 65535 bytes");
      const Value* value = kv.find("value");
      b.add(arena_.copy(k), value == nullptr ? Value() : any_value(*value, depth, Path{&where, k}));
    }
    return b.finish(arena_);
  }

  // AnyValue: {"stringValue": ...} | {"boolValue"} | {"intValue"} | {"doubleValue"} | {"arrayValue":
  // {"values": [...]}} | {"kvlistValue": {"values": [...]}} | {"bytesValue": base64}; {} is null.
  Value any_value(const Value& v, int depth, const Path& where) {
    if (depth > otlp::kMaxDepth) where.fail("values nested deeper than 64 levels");
    if (v.is_null()) return Value();
    if (!v.is_map()) where.fail("expected an AnyValue object ({\"stringValue\": ...} and the like)");
    if (const Value* s = member(v, "stringValue", "string_value")) {
      if (!s->is_string()) where.fail("stringValue", "expected a string");
      return record::string(arena_, s->as_string());
    }
    if (const Value* b = member(v, "boolValue", "bool_value")) {
      if (!b->is_bool()) where.fail("boolValue", "expected true or false");
      return Value::boolean(b->as_bool());
    }
    if (const Value* i = member(v, "intValue", "int_value")) return int_value(*i, Path{&where, "intValue"});
    if (const Value* d = member(v, "doubleValue", "double_value")) return double_value(*d, Path{&where, "doubleValue"});
    if (const Value* a = member(v, "arrayValue", "array_value")) {
      if (!a->is_map()) where.fail("arrayValue", "expected {\"values\": [...]}");
      Path at{&where, "arrayValue"};
      std::span<Value> items = array_of(*a, "values", "values", at);
      Value* out = arena_.allocate_array<Value>(items.size());
      for (size_t n = 0; n < items.size(); ++n)
        out[n] = any_value(items[n], depth + 1, Path{&where, "arrayValue", static_cast<long>(n)});
      return Value::array(out, static_cast<uint32_t>(items.size()));
    }
    if (const Value* kv = member(v, "kvlistValue", "kvlist_value")) {
      if (!kv->is_map()) where.fail("kvlistValue", "expected {\"values\": [...]}");
      Path at{&where, "kvlistValue"};
      return key_values(array_of(*kv, "values", "values", at), depth + 1, where);
    }
    if (const Value* b = member(v, "bytesValue", "bytes_value")) {
      if (!b->is_string()) where.fail("bytesValue", "expected base64 text");
      return record::string(arena_, b->as_string());
    }
    return Value();
  }

  static Value int_value(const Value& v, const Path& where) {
    if (v.is_int()) return v;
    if (v.is_string()) {
      std::string_view s = v.as_string();
      int64_t n = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
      if (ec == std::errc() && end == s.data() + s.size() && !s.empty()) return Value::integer(n);
    }
    where.fail("expected a 64-bit integer (a number or a string of digits)");
  }

  static Value double_value(const Value& v, const Path& where) {
    if (v.is_number()) return Value::real(v.as_double());
    if (v.is_string()) {
      std::string_view s = v.as_string();
      if (s == "NaN") return Value::real(std::numeric_limits<double>::quiet_NaN());
      if (s == "Infinity") return Value::real(std::numeric_limits<double>::infinity());
      if (s == "-Infinity") return Value::real(-std::numeric_limits<double>::infinity());
    }
    where.fail("expected a number");
  }

  otlp::EventBuilder events_;
  Arena& arena_;
};

}  // namespace

OtlpJsonDecoder::OtlpJsonDecoder() : json_(make_json_format()) {}
OtlpJsonDecoder::~OtlpJsonDecoder() = default;

std::optional<std::string> OtlpJsonDecoder::decode(std::string_view body, const OtlpLogOptions& options,
                                                   int64_t now_ns, Chunk& chunk) {
  Arena scratch(std::clamp<size_t>(body.size() * 2, 4096, 1024 * 1024));
  Value root;
  if (!json_->parse(body, scratch, root)) {
    auto error = find_json_error(body, 0);
    if (error) return "invalid JSON at byte " + std::to_string(error->offset) + ": " + error->what;
    return std::string("invalid OTLP/JSON: expected one JSON object (ExportLogsServiceRequest)");
  }
  try {
    Walker(options, now_ns, chunk).request(root);
  } catch (const Malformed& m) {
    return "invalid OTLP/JSON (ExportLogsServiceRequest): " + m.what;
  }
  return std::nullopt;
}

}  // namespace sluice
