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
  Counter* multiline_joined;  // records a multiline parser made of several lines

  static TailMetrics make(Metrics& m, const std::string& instance) {
    auto c = [&](const char* name, const char* help, bool gauge = false) {
      return &m.counter(name, "input", instance, gauge, help);
    };
    return {c("sluice_input_bytes_read_total", "Bytes the input read."),
            c("sluice_input_lines_read_total", "Lines the tail input read."),
            c("sluice_input_files_open", "Files the tail input follows now.", true),
            c("sluice_input_truncations_total", "Files found truncated (read again from the start)."),
            c("sluice_input_rotations_total", "Files rotated away (read to their end, then let go)."),
            c("sluice_input_long_lines_total", "Lines longer than buffer_max_size (split or skipped)."),
            c("sluice_input_bytes_skipped_total", "Bytes of long lines skipped (skip_long_lines)."),
            c("sluice_input_bytes_lost_total", "Bytes that vanished before they could be read (truncated or deleted)."),
            c("sluice_input_malformed_lines_total", "Container log lines in neither the docker nor the CRI format."),
            c("sluice_input_parse_failures_total", "Lines the input's parser could not read (kept as text)."),
            c("sluice_input_multiline_joined_total", "Records a multiline parser joined from several lines.")};
  }
};

}  // namespace sluice::tail
