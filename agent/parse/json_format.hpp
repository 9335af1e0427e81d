// The `json` parse format: one JSON object per text, read into an
// arena-allocated record by a fast reader for the common log line, or by
// simdjson's On Demand API.
#pragma once
#include <memory>

#include "agent/parse/parser.hpp"

namespace sluice {

// A top-level non-object, trailing text, invalid UTF-8 or nesting deeper than
// kMaxJsonDepth makes parse() return false. Duplicate keys: the last value wins
// (at the position of the first). Integers that fit int64 stay Int, every
// other number (fractions, exponents, beyond int64) becomes Double.
inline constexpr int kMaxJsonDepth = 64;

// Which readers walk the text: the fast reader, which takes the common log
// line and declines the rest to simdjson (the pipeline's), or simdjson
// alone (the reference the fast reader is tested against).
enum class JsonReaders { fast_then_simdjson, simdjson_only };
std::unique_ptr<ParseFormat> make_json_format(JsonReaders readers = JsonReaders::fast_then_simdjson);

}  // namespace sluice
