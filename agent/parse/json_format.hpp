// The `json` parse format: one JSON object per text, parsed with simdjson's
// On Demand API into an arena-allocated record.
#pragma once
#include <memory>

#include "agent/parse/parser.hpp"

namespace sluice {

// A top-level non-object, trailing text, invalid UTF-8 or nesting deeper than
// kMaxJsonDepth makes parse() return false. Duplicate keys: the last value wins
// (at the position of the first). Integers that fit int64 stay Int, every
// other number (fractions, exponents, beyond int64) becomes Double.
inline constexpr int kMaxJsonDepth = 64;
std::unique_ptr<ParseFormat> make_json_format();

}  // namespace sluice
