// An ExportLogsServiceRequest in protobuf → events, read straight from the
// wire format with the field numbers of opentelemetry-proto v1
// (collector/logs/v1/logs_service.proto, logs/v1/logs.proto,
// common/v1/common.proto, resource/v1/resource.proto). Unknown fields are
// skipped, as every protobuf reader does; a known field with the wrong wire
// type, or bytes that aren't protobuf, fail the request.
#include <string>

#include "agent/hex.hpp"
#include "agent/protobuf_reader.hpp"
#include "agent/record.hpp"
#include "agent/base64.hpp"
#include "inputs/opentelemetry/otlp_log_event.hpp"
#include "inputs/opentelemetry/otlp_logs.hpp"

namespace sluice {

namespace {

using protobuf::Field;
using protobuf::Reader;
using protobuf::WireType;

// Thrown inside the decoder, caught at its top: the request is refused.
struct Malformed {
  std::string what;
};

// Where the decoder is, for the error message only (nothing is built on the
// way down): "resource_logs[0].scope_logs[2].log_records[7]".
struct Position {
  long resource = -1, scope = -1, log = -1;
  std::string describe(const char* message) const {
    std::string s;
    if (resource >= 0) s += "resource_logs[" + std::to_string(resource) + "]";
    if (scope >= 0) s += ".scope_logs[" + std::to_string(scope) + "]";
    if (log >= 0) s += ".log_records[" + std::to_string(log) + "]";
    return s + (s.empty() ? "" : " ") + "(" + message + ")";
  }
};

class Decoder {
 public:
  Decoder(const OtlpLogOptions& options, int64_t now_ns, Chunk& chunk)
      : events_(chunk, options, now_ns), arena_(chunk.arena) {}

  [[noreturn]] void fail(const char* message, const std::string& why) {
    throw Malformed{at_.describe(message) + ": " + why};
  }
  void check_end(const Reader& r, const char* message) {
    if (!r.ok()) fail(message, r.error());
  }
  void expect(const Field& f, WireType type, const char* message) {
    if (f.type != type) fail(message, "field " + std::to_string(f.number) + " has the wrong wire type");
  }

  void request(std::string_view bytes) {
    Reader r(bytes);
    Field f;
    while (r.next(f)) {
      if (f.number != 1) continue;
      expect(f, WireType::Len, "ExportLogsServiceRequest");
      ++at_.resource;
      resource_logs(f.bytes);
    }
    at_ = {};
    check_end(r, "ExportLogsServiceRequest");
  }

 private:
  // ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; string schema_url = 3; }
  // Fields may come in any order: the resource is read first, in a pass of its own.
  void resource_logs(std::string_view bytes) {
    constexpr const char* kWhat = "ResourceLogs";
    Reader r(bytes);
    Field f;
    std::string_view resource_bytes, schema_url;
    while (r.next(f)) {
      if (f.number == 1) {
        expect(f, WireType::Len, kWhat);
        resource_bytes = f.bytes;
      } else if (f.number == 3) {
        expect(f, WireType::Len, kWhat);
        schema_url = f.bytes;
      }
    }
    check_end(r, kWhat);
    Value resource = resource_value(resource_bytes, schema_url);
    Reader scopes(bytes);
    at_.scope = -1;
    while (scopes.next(f))
      if (f.number == 2) {
        expect(f, WireType::Len, kWhat);
        ++at_.scope;
        scope_logs(f.bytes, resource);
      }
    at_.scope = -1;
  }

  // Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
  Value resource_value(std::string_view bytes, std::string_view schema_url) {
    constexpr const char* kWhat = "Resource";
    Reader r(bytes);
    Field f;
    otlp::MapBuilder attributes;
    uint64_t dropped = 0;
    while (r.next(f)) {
      if (f.number == 1) {
        expect(f, WireType::Len, kWhat);
        key_value(f.bytes, attributes, 1);
      } else if (f.number == 2) {
        expect(f, WireType::Varint, kWhat);
        dropped = f.number_value;
      }
    }
    check_end(r, kWhat);
    return otlp::resource_map(arena_, attributes.finish(arena_), dropped, schema_url);
  }

  // ScopeLogs { InstrumentationScope scope = 1; repeated LogRecord log_records = 2; string schema_url = 3; }
  void scope_logs(std::string_view bytes, const Value& resource) {
    constexpr const char* kWhat = "ScopeLogs";
    Reader r(bytes);
    Field f;
    std::string_view scope_bytes, schema_url;
    while (r.next(f)) {
      if (f.number == 1) {
        expect(f, WireType::Len, kWhat);
        scope_bytes = f.bytes;
      } else if (f.number == 3) {
        expect(f, WireType::Len, kWhat);
        schema_url = f.bytes;
      }
    }
    check_end(r, kWhat);
    Value scope = scope_value(scope_bytes, schema_url);
    Reader logs(bytes);
    at_.log = -1;
    while (logs.next(f))
      if (f.number == 2) {
        expect(f, WireType::Len, kWhat);
        ++at_.log;
        log_record(f.bytes, resource, scope);
      }
    at_.log = -1;
  }

  // InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3;
  //                        uint32 dropped_attributes_count = 4; }
  Value scope_value(std::string_view bytes, std::string_view schema_url) {
    constexpr const char* kWhat = "InstrumentationScope";
    Reader r(bytes);
    Field f;
    std::string_view name, version;
    otlp::MapBuilder attributes;
    uint64_t dropped = 0;
    while (r.next(f)) {
      switch (f.number) {
        case 1: expect(f, WireType::Len, kWhat); name = f.bytes; break;
        case 2: expect(f, WireType::Len, kWhat); version = f.bytes; break;
        case 3: expect(f, WireType::Len, kWhat); key_value(f.bytes, attributes, 1); break;
        case 4: expect(f, WireType::Varint, kWhat); dropped = f.number_value; break;
        default: break;
      }
    }
    check_end(r, kWhat);
    return otlp::scope_map(arena_, name, version, attributes.finish(arena_), dropped, schema_url);
  }

  // LogRecord { fixed64 time_unix_nano = 1; SeverityNumber severity_number = 2; string severity_text = 3;
  //             AnyValue body = 5; repeated KeyValue attributes = 6; uint32 dropped_attributes_count = 7;
  //             fixed32 flags = 8; bytes trace_id = 9; bytes span_id = 10;
  //             fixed64 observed_time_unix_nano = 11; string event_name = 12; }
  void log_record(std::string_view bytes, const Value& resource, const Value& scope) {
    constexpr const char* kWhat = "LogRecord";
    Reader r(bytes);
    Field f;
    otlp::LogParts log;
    otlp::MapBuilder attributes;
    std::string_view trace_id, span_id;
    while (r.next(f)) {
      switch (f.number) {
        case 1: expect(f, WireType::Fixed64, kWhat); log.time_unix_nano = f.number_value; break;
        case 2: expect(f, WireType::Varint, kWhat); log.severity_number = f.number_value; break;
        case 3: expect(f, WireType::Len, kWhat); log.severity_text = f.bytes; break;
        case 5: expect(f, WireType::Len, kWhat); log.body = any_value(f.bytes, 1); break;
        case 6: expect(f, WireType::Len, kWhat); key_value(f.bytes, attributes, 1); break;
        case 7: expect(f, WireType::Varint, kWhat); log.dropped_attributes_count = f.number_value; break;
        case 8: expect(f, WireType::Fixed32, kWhat); log.flags = f.number_value; break;
        case 9: expect(f, WireType::Len, kWhat); trace_id = f.bytes; break;
        case 10: expect(f, WireType::Len, kWhat); span_id = f.bytes; break;
        case 11: expect(f, WireType::Fixed64, kWhat); log.observed_time_unix_nano = f.number_value; break;
        case 12: expect(f, WireType::Len, kWhat); log.event_name = f.bytes; break;
        default: break;
      }
    }
    check_end(r, kWhat);
    log.attributes = attributes.finish(arena_);
    trace_hex_.clear();
    span_hex_.clear();
    hex::append(trace_hex_, trace_id);
    hex::append(span_hex_, span_id);
    log.trace_id_hex = trace_hex_;
    log.span_id_hex = span_hex_;
    events_.append(resource, scope, log);
  }

  // KeyValue { string key = 1; AnyValue value = 2; }, added to into.
  void key_value(std::string_view bytes, otlp::MapBuilder& into, int depth) {
    constexpr const char* kWhat = "KeyValue";
    Reader r(bytes);
    Field f;
    std::string_view key, value_bytes;
    bool has_value = false;
    while (r.next(f)) {
      if (f.number == 1) {
        expect(f, WireType::Len, kWhat);
        key = f.bytes;
      } else if (f.number == 2) {
        expect(f, WireType::Len, kWhat);
        value_bytes = f.bytes;
        has_value = true;
      }
    }
    check_end(r, kWhat);
    if (!Key::fits(key)) fail(kWhat, "a key longer than 65535 bytes");
    std::string_view k = arena_.copy(key);
    into.add(k, has_value ? any_value(value_bytes, depth) : Value());
  }

  // AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3;
  //            double double_value = 4; ArrayValue array_value = 5; KeyValueList kvlist_value = 6;
  //            bytes bytes_value = 7; } }; unset: null. Bytes become base64 text.
  Value any_value(std::string_view bytes, int depth) {
    constexpr const char* kWhat = "AnyValue";
    if (depth > otlp::kMaxDepth) fail(kWhat, "values nested deeper than 64 levels");
    Reader r(bytes);
    Field f;
    Value v;
    while (r.next(f)) {
      switch (f.number) {
        case 1: expect(f, WireType::Len, kWhat); v = record::string(arena_, f.bytes); break;
        case 2: expect(f, WireType::Varint, kWhat); v = Value::boolean(f.number_value != 0); break;
        case 3: expect(f, WireType::Varint, kWhat); v = Value::integer(static_cast<int64_t>(f.number_value)); break;
        case 4: expect(f, WireType::Fixed64, kWhat); v = Value::real(protobuf::as_double(f)); break;
        case 5: expect(f, WireType::Len, kWhat); v = array_value(f.bytes, depth + 1); break;
        case 6: expect(f, WireType::Len, kWhat); v = kvlist_value(f.bytes, depth + 1); break;
        case 7: expect(f, WireType::Len, kWhat); v = record::string(arena_, base64_encode(f.bytes)); break;
        default: break;
      }
    }
    check_end(r, kWhat);
    return v;
  }

  // ArrayValue { repeated AnyValue values = 1; }: counted first, then laid out once.
  Value array_value(std::string_view bytes, int depth) {
    constexpr const char* kWhat = "ArrayValue";
    Reader count(bytes);
    Field f;
    uint32_t n = 0;
    while (count.next(f))
      if (f.number == 1) {
        expect(f, WireType::Len, kWhat);
        ++n;
      }
    check_end(count, kWhat);
    Value* items = arena_.allocate_array<Value>(n);
    Reader r(bytes);
    uint32_t i = 0;
    while (r.next(f))
      if (f.number == 1) items[i++] = any_value(f.bytes, depth);
    return Value::array(items, n);
  }

  // KeyValueList { repeated KeyValue values = 1; }
  Value kvlist_value(std::string_view bytes, int depth) {
    constexpr const char* kWhat = "KeyValueList";
    Reader r(bytes);
    Field f;
    otlp::MapBuilder members;
    while (r.next(f))
      if (f.number == 1) {
        expect(f, WireType::Len, kWhat);
        key_value(f.bytes, members, depth);
      }
    check_end(r, kWhat);
    return members.finish(arena_);
  }

  otlp::EventBuilder events_;
  Arena& arena_;
  Position at_;
  std::string trace_hex_, span_hex_;
};

}  // namespace

std::optional<std::string> decode_otlp_logs_protobuf(std::string_view body, const OtlpLogOptions& options,
                                                     int64_t now_ns, Chunk& chunk) {
  try {
    Decoder(options, now_ns, chunk).request(body);
  } catch (const Malformed& m) {
    return "invalid OTLP protobuf (ExportLogsServiceRequest): " + m.what;
  }
  return std::nullopt;
}

}  // namespace sluice
