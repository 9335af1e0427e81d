// `sluice dead-letter list`: what the dead-letter files hold, per output and
// reason, and which records were replayed already.
#pragma once
#include <ostream>

#include "agent/dead_letter_replay.hpp"

namespace sluice {

struct ListOptions {
  DeadLetterSelection select;
  bool verbose = false;  // every line too (file:line, output, time, tag, replayed, reason, record)
  bool json = false;     // every line as a JSON object instead of the summary
};

// Prints to out; malformed lines (file:line and why, skipped) to err.
// Returns 0, or 1 when a file could not be read.
int list_dead_letters(const ListOptions& options, std::ostream& out, std::ostream& err);

}  // namespace sluice
