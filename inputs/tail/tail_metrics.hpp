// The tail input's own counters, made once at start (the core counts the
// records an input emits).
#pragma once
#include <string>

#include "agent/metrics.hpp"

namespace sluice::tail {

struct TailMetrics {
  Counter* bytes_read;
  Counter* lines_read;
  Counter* files_open;  // gauge
  Counter* truncations;
  Counter* rotations;
  Counter* long_lines;
  Counter* bytes_skipped;  // long lines dropped with skip_long_lines
  Counter* bytes_lost;     // vanished before they could be read
  Counter* malformed;      // container lines in neither format
  Counter* parse_failures;

  static TailMetrics make(Metrics& m, const std::string& instance) {
    auto c = [&](const char* name, bool gauge = false) { return &m.counter(name, "input", instance, gauge); };
    return {c("sluice_input_bytes_read_total"),       c("sluice_input_lines_read_total"),
            c("sluice_input_files_open", true),       c("sluice_input_truncations_total"),
            c("sluice_input_rotations_total"),        c("sluice_input_long_lines_total"),
            c("sluice_input_bytes_skipped_total"),    c("sluice_input_bytes_lost_total"),
            c("sluice_input_malformed_lines_total"),  c("sluice_input_parse_failures_total")};
  }
};

}  // namespace sluice::tail
