// OTLP logs (an ExportLogsServiceRequest, in protobuf or OTLP/JSON) → events,
// in Fluent Bit's shape: the record is the log's body when that is a map
// (kvlist), else {"log": body}; the rest of the LogRecord goes to the event's
// metadata under "otlp" (timestamp, observed_timestamp, severity_number,
// severity_text, attributes, dropped_attributes_count, trace_id, span_id,
// trace_flags, event_name), with its resource and scope beside them (Fluent
// Bit keeps those in a group header; sluice has no groups). Pure: no sockets,
// unit-tested and fuzzed on its own.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agent/chunk.hpp"

namespace sluice {

class ParseFormat;

struct OtlpLogOptions {
  std::string metadata_key = "otlp";  // logs_metadata_key
  std::string body_key;               // logs_body_key: set, every body goes under it, a map too
  // logs_metadata_in_record: the metadata map also becomes a key of the
  // record, so that outputs, which send records and not metadata, send it.
  bool metadata_in_record = false;
};

// Appends one event per LogRecord to chunk (memory in its arena). A record
// without a time (time_unix_nano, else observed_time_unix_nano) gets now_ns.
// On error (a message that isn't an ExportLogsServiceRequest) the chunk's
// new events must be discarded: a request is taken whole or not at all; the
// error is one line for the client.
std::optional<std::string> decode_otlp_logs_protobuf(std::string_view body, const OtlpLogOptions& options,
                                                     int64_t now_ns, Chunk& chunk);

// The same for OTLP/JSON (opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding):
// lowerCamelCase or the .proto's snake_case names, 64-bit integers as
// strings or numbers, trace and span ids in hex, enums as integers.
class OtlpJsonDecoder {
 public:
  OtlpJsonDecoder();
  ~OtlpJsonDecoder();
  OtlpJsonDecoder(const OtlpJsonDecoder&) = delete;
  OtlpJsonDecoder& operator=(const OtlpJsonDecoder&) = delete;

  std::optional<std::string> decode(std::string_view body, const OtlpLogOptions& options, int64_t now_ns,
                                    Chunk& chunk);

 private:
  std::unique_ptr<ParseFormat> json_;
};

}  // namespace sluice
