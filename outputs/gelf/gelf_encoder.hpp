// Records → GELF 1.1 JSON: the field mapping (short_message, host, level,
// timestamp, `_field`s flattened and sanitized). Pure; no I/O.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/chunk.hpp"
#include "outputs/gelf/gelf_settings.hpp"

namespace sluice::gelf {

// Level sent when a record has no recognised level (GELF's own default, 1 =
// ALERT, would page people for every unlevelled line).
constexpr int kDefaultLevel = 6;

// A syslog severity from a level name or digit ("ERROR" → 3, "warn" → 4,
// "5" → 5), case-insensitive; nullopt if unrecognised.
std::optional<int> level_from_name(std::string_view name);

// Used on one thread at a time (the output's worker): it keeps scratch space.
class Encoder {
 public:
  explicit Encoder(FieldKeys keys) : keys_(std::move(keys)) {}

  // Appends one GELF JSON object for the event to out and returns true; or
  // returns false with out unchanged when the record has no usable
  // short_message (no_short_message_reason() says why).
  bool encode(std::string_view tag, const Event& event, std::string& out);

  // The reason a record fails encode().
  std::string no_short_message_reason() const;

 private:
  struct Picked;
  void pick(const Value& record, Picked& p) const;
  void append_additional(const Value& record, const Picked& p, std::string& out);
  void append_field(const Value& v, std::string& out, int depth);

  FieldKeys keys_;
  std::string prefix_;  // the flattened name being built
};

// Appends epoch seconds with a millisecond fraction ("1763719200.123").
void append_timestamp(std::string& out, int64_t time_ns);

}  // namespace sluice::gelf
