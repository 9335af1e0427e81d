// Records → an OTLP ExportLogsServiceRequest in protobuf, as Fluent Bit's
// opentelemetry output builds it: each record's body (the record, or the
// value of the first logs_body_key it has) and, from its metadata's `otlp`
// map (what the opentelemetry input keeps), the time, severity, attributes,
// trace and span ids, flags and event name, grouped under their resource and
// scope. A record without OTLP metadata is read through Fluent Bit's
// fallback keys ($SeverityText ... in the record or its metadata). Pure:
// events in, bytes out.
#pragma once
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "agent/output.hpp"
#include "agent/record_accessor.hpp"

namespace sluice::otlp {

struct EncoderSettings {
  std::string metadata_key = "otlp";                 // logs_metadata_key
  std::vector<RecordAccessor> body_keys;             // logs_body_key, tried in order (the output: $log, $message)
  bool body_key_attributes = false;                  // logs_body_key_attributes
  // Fluent Bit's logs_*_metadata_key: where in the metadata to look when
  // `otlp` doesn't have the field.
  std::optional<RecordAccessor> observed_timestamp_metadata, timestamp_metadata, severity_text_metadata,
      severity_number_metadata, trace_flags_metadata, span_id_metadata, trace_id_metadata, attributes_metadata;
  // Fluent Bit's logs_*_message_key: where in the record to look last.
  std::optional<RecordAccessor> span_id_message, trace_id_message, severity_text_message, severity_number_message;
};

// Appends the ExportLogsServiceRequest of events[which...] (in that order,
// records of the same resource and scope sharing their ResourceLogs and
// ScopeLogs) to out.
void encode_logs_request(std::span<const EventRef> events, std::span<const uint32_t> which,
                         const EncoderSettings& settings, std::string& out);

}  // namespace sluice::otlp
