// Timestamps from text: strptime-style formats as Fluent Bit's parsers use
// them, with %L for fractional seconds, and a fast path for RFC 3339.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::timefmt {

// Parses text with format into nanoseconds since the epoch (UTC). Supported:
// %Y %y %m %d %e %H %I %M %S %L (fraction; digits past the ninth ignored)
// %z (+hhmm, +hh:mm, +hh, Z) %Z (UTC/GMT/Z) %b %B %h %a %A %p %j
// %s (epoch seconds, fraction allowed) %T %F %D %R %n %t %% and literal text;
// whitespace in the format matches any run of whitespace. A text without zone
// is local time at offset_ns east of UTC (Fluent Bit's time_offset); one
// without a year is in the current year (as Fluent Bit, for syslog stamps).
// Text after the format's end is ignored, as Fluent Bit does; a mismatch
// returns nullopt, except that with strict false (Fluent Bit's time_strict
// off) a text that ends before the format does gives the fields read so far.
std::optional<int64_t> parse(std::string_view text, std::string_view format, int64_t offset_ns = 0,
                             bool strict = true);

// RFC 3339 / ISO 8601 ("2026-11-21T00:00:00.123456789Z", "+02:00" offsets;
// 't' or ' ' as separator; ',' before the fraction; no zone means UTC).
std::optional<int64_t> parse_rfc3339(std::string_view text);

// Checks a format's directives once, at config time: "" if every directive
// is supported, else what is wrong (for a ConfigError on time_format).
std::string validate(std::string_view format);

}  // namespace sluice::timefmt
