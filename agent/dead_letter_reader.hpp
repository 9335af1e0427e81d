// Reading the dead-letter store back (`sluice dead-letter list|replay`): its
// lines, parsed, and the replay marks kept beside it (<file>.replayed), which
// say which lines were re-sent already.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/arena.hpp"
#include "agent/parse/parser.hpp"
#include "agent/value.hpp"

namespace sluice::config {
struct PipelineConfig;
}

namespace sluice {

// The dead-letter files a configuration writes: the service's, then each
// output's own dead_letter_file, without repeats.
std::vector<std::string> dead_letter_files(const config::PipelineConfig& cfg);
// An output's instance name as the service gives it: its alias, else
// "<plugin>.<index among the outputs>" (what the lines' "output" says).
std::string output_instance_name(const config::ComponentConfig& output, size_t index);
// --since: a duration back from now ("30m", "2h") or an RFC 3339 time.
std::optional<int64_t> parse_since(std::string_view text, int64_t now_ns);

// One line of a dead-letter file, parsed into an arena (views point into it).
struct DeadLetterLine {
  std::string_view output;  // the output that gave up on the record
  std::string_view reason;
  std::string_view tag;
  int64_t time_ns = 0;       // when it was dead-lettered ("time")
  int64_t timestamp_ns = 0;  // the event's own time ("timestamp")
  Value record;              // a Map
  Value metadata;            // a Map when the line has "metadata", else null
};

// Where a line is in its file, and what identifies it for the replay marks:
// its byte offset and a hash of its text (a file replaced or cut shows
// other text at an offset, so a stale mark matches nothing).
struct DeadLetterPosition {
  uint64_t offset = 0;
  uint64_t line = 0;  // 1-based
  uint64_t hash = 0;
  bool operator<(const DeadLetterPosition& o) const { return std::pair(offset, hash) < std::pair(o.offset, o.hash); }
};

// Parses one line (without its '\n'). Returns "" or what is wrong with it.
// Any text is safe (tests/fuzz/dead_letter_line_fuzz.cpp).
class DeadLetterLineParser {
 public:
  DeadLetterLineParser();
  ~DeadLetterLineParser();
  std::string parse(std::string_view text, Arena& arena, DeadLetterLine& out);

 private:
  std::unique_ptr<ParseFormat> json_;
};

uint64_t dead_letter_line_hash(std::string_view text);

// Reads path's whole lines up to its size now (a line still being written,
// without its '\n', is left for later) and calls fn(position, text) for each.
// Returns "" or why the file can't be read ("no such file", permissions).
std::string read_dead_letter_lines(const std::string& path,
                                   const std::function<void(const DeadLetterPosition&, std::string_view)>& fn);

// What `list` and `replay` read: which files, which lines.
struct DeadLetterSelection {
  std::vector<std::string> files;  // dead-letter files to read
  std::string output;              // only lines of this output ("" = every output)
  std::optional<int64_t> since_ns;  // only lines dead-lettered at or after this
};

// The lines of one of sel's files that parse and match sel, with whether
// its marks say the line was replayed already: fn(position, text, line,
// replayed). Malformed lines are skipped and reported on err (the first ten
// by line, then a count). Returns "" or why the file can't be read.
std::string read_selected_lines(
    const std::string& path, const DeadLetterSelection& sel, std::ostream& err,
    const std::function<void(const DeadLetterPosition&, std::string_view, const DeadLetterLine&, bool)>& fn);

// The replay marks of a dead-letter file.
class ReplayMarks {
 public:
  static std::string path_for(const std::string& dead_letter_path) { return dead_letter_path + ".replayed"; }
  // Reads path_for(dead_letter_path); an absent file is no marks. Malformed
  // lines are skipped (counted in malformed()).
  explicit ReplayMarks(const std::string& dead_letter_path);
  bool contains(const DeadLetterPosition& p) const { return marks_.count(p) > 0; }
  uint64_t malformed() const { return malformed_; }
  // One mark line (for WholeLineFile::append).
  static void encode(std::string& out, const DeadLetterPosition& p, std::string_view output, int64_t now_ns);

 private:
  std::set<DeadLetterPosition> marks_;
  uint64_t malformed_ = 0;
};

}  // namespace sluice
