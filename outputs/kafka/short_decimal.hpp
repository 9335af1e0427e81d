// Doubles that are short decimals (a latency of 0.048, a ratio of 12.5),
// written without std::to_chars's general shortest-digits search (Ryu), which
// was a sixth of the kafka encoder's work for one such field per record.
#pragma once
#include <string>

namespace sluice::kafka {

// Appends v exactly as json::append_double writes it (std::to_chars's
// shortest digits that read back as v, fixed notation unless scientific is
// shorter, ".0" after a whole number) when v is a
// decimal of at most 6 fractional digits within ±1e9 whose fixed notation
// is the shorter; else appends nothing and returns false.
bool append_short_decimal(std::string& out, double v);

}  // namespace sluice::kafka
