// Records to JSON text: the encoding every JSON-speaking output shares.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/value.hpp"

namespace sluice::json {

// Appends s as a JSON string literal (quoted, escaped; invalid UTF-8 bytes
// become U+FFFD so the output is always valid JSON).
void append_string(std::string& out, std::string_view s);
// Length of the valid UTF-8 sequence at s[i], or 0 if the bytes there are not
// one (overlong, surrogate, truncated, above U+10FFFF). For other encoders
// that replace invalid bytes the same way.
size_t utf8_sequence_length(std::string_view s, size_t i);
// Appends v as compact JSON. Non-finite doubles become null.
void append_value(std::string& out, const Value& v);
// Appends an RFC 3339 UTC timestamp with nanoseconds ("2026-11-21T00:00:00.123456789Z").
void append_rfc3339(std::string& out, int64_t time_ns);

inline std::string to_string(const Value& v) {
  std::string s;
  append_value(s, v);
  return s;
}

}  // namespace sluice::json
