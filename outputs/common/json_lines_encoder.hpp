// JSON lines with a date key: the encoding the stdout and file outputs share
// (Fluent Bit's json_date_key / json_date_format). Pure functions: events in,
// bytes out.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/chunk.hpp"
#include "agent/config/component_config.hpp"
#include "agent/output.hpp"

namespace sluice::json_lines {

enum class DateFormat {
  Double,            // 1700000000.123456 (seconds, microseconds; Fluent Bit's default)
  Epoch,             // 1700000000
  EpochMs,           // 1700000000123
  Iso8601,           // "2023-11-14T22:13:20.123456Z"
  JavaSqlTimestamp,  // "2023-11-14 22:13:20.123456"
};

struct Options {
  std::string date_key = "date";  // empty: no date key
  DateFormat date_format = DateFormat::Double;
};

// The config keys json_date_key and json_date_format, for an output's schema.
config::KeyDecl date_key_decl();
config::KeyDecl date_format_decl();
// Reads those two keys (declared with the decls above).
Options options_from(const config::ComponentConfig& cfg);
std::optional<DateFormat> parse_date_format(std::string_view name);

// Appends time_ns as epoch seconds with fraction_digits (0-9) decimals,
// truncated: "1700000000.123456". Shared by every output that prints times.
void append_seconds(std::string& out, int64_t time_ns, int fraction_digits);
// Appends the event's time in format (a JSON number or string).
void append_date(std::string& out, int64_t time_ns, DateFormat format);
// Appends the record as one JSON object with the date key first (as Fluent
// Bit does; a record key of the same name is kept too), without a newline.
void append_object(std::string& out, const Event& event, const Options& options);
// Appends one line per event of the batch.
void encode(std::string& out, const Batch& batch, const Options& options);
// Appends the batch as one JSON array of those objects, without a newline.
void encode_array(std::string& out, const Batch& batch, const Options& options);

}  // namespace sluice::json_lines
