// Records to JSON text: the encoding every JSON-speaking output shares, and
// a small writer of whole documents (objects and arrays) for the core's own
// JSON (the status server's answers).
#pragma once
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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
// Appends a finite double in the fewest digits that read back as it; a
// whole number keeps a ".0" (1.0, not 1; 1e+22 as it is), as Fluent Bit
// writes doubles, so a consumer that types a field by the first value it
// sees (Elasticsearch's dynamic mapping) keeps it a float.
void append_double(std::string& out, double d);
// Appends an RFC 3339 UTC timestamp with nanoseconds ("2026-11-21T00:00:00.123456789Z").
void append_rfc3339(std::string& out, int64_t time_ns);

inline std::string to_string(const Value& v) {
  std::string s;
  append_value(s, v);
  return s;
}

// Appends one JSON document to a string, placing the commas and colons:
//   Writer w(out);
//   w.begin_object().field("status", "ok").key("outputs").begin_array() ... .end_array().end_object();
// Misuse (a value where a key is due, a key in an array, an end that closes
// nothing or the wrong kind) is a bug in the caller: it aborts with a message.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  Writer& begin_object();
  Writer& end_object();
  Writer& begin_array();
  Writer& end_array();
  // The next member's name; its value follows with one value() or begin_*().
  Writer& key(std::string_view k);

  Writer& value(std::string_view s);
  Writer& value(const std::string& s) { return value(std::string_view(s)); }
  Writer& value(const char* s) { return value(std::string_view(s)); }
  Writer& value(bool b);
  Writer& value(double d);  // non-finite: null
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  Writer& value(T v) {
    if constexpr (std::is_signed_v<T>) return integer(static_cast<int64_t>(v));
    else return uinteger(static_cast<uint64_t>(v));
  }
  Writer& value(const Value& v);
  Writer& null();
  // An RFC 3339 UTC timestamp string from nanoseconds since the epoch.
  Writer& time(int64_t time_ns);

  template <class T>
  Writer& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }

  // True when every object and array begun has ended.
  bool complete() const { return stack_.empty() && started_; }

 private:
  Writer& integer(int64_t v);
  Writer& uinteger(uint64_t v);
  void before_value();
  void open(char kind);
  void close(char kind);

  std::string& out_;
  struct Level {
    char kind;  // '{' or '['
    bool has_items = false;
  };
  std::vector<Level> stack_;
  bool key_pending_ = false;
  bool started_ = false;
};

}  // namespace sluice::json
