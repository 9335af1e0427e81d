// Fluent Bit's tail `docker_mode`: Docker json-file lines that Docker split
// (a `log` not ending in "\n") are joined back into one json-file line
// before `parser` reads it; with `docker_mode_parser`, complete lines are
// joined too, each line that parser reads starting a new one (a stack
// trace inside container logs). One per followed file; main thread.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/arena.hpp"
#include "inputs/tail/container_format.hpp"

namespace sluice {
class Parser;
}

namespace sluice::tail {

class DockerModeJoiner {
 public:
  using Clock = std::chrono::steady_clock;

  // A joined json-file line: the last part's line with the parts' `log`
  // strings in its `log`; text lives in the arena given to offer()/flush().
  struct Joined {
    std::string_view text;
    uint64_t offset;  // file offset of its first part
  };

  // firstline: docker_mode_parser (may be null); flush_after: docker_mode_flush;
  // a joined line longer than max_bytes is handed out as it is.
  DockerModeJoiner(const Parser* firstline, std::chrono::nanoseconds flush_after, size_t max_bytes)
      : firstline_(firstline), flush_after_(flush_after), max_bytes_(max_bytes) {}

  // Takes a json-file line, appending to out what it completes; false (out
  // unchanged) when line is no json-file line: the caller flush()es, then
  // keeps it as it came.
  bool offer(std::string_view line, uint64_t offset, Clock::time_point now, Arena& arena, std::vector<Joined>& out);
  // Hands out the held line, if any (its flush timeout, the file let go, shutdown).
  void flush(Arena& arena, std::vector<Joined>& out);
  bool holding() const { return !last_.empty(); }
  // When the held line is due to go out; nullopt when none is held.
  std::optional<Clock::time_point> deadline() const;
  // File offset of the held line's first part: not committable yet.
  std::optional<uint64_t> pending_start() const;
  // Sequences handed out because they reached max_bytes.
  uint64_t cuts() const { return cuts_; }
  void reset();

 private:
  bool is_first_line(std::string_view line);

  const Parser* firstline_;
  std::chrono::nanoseconds flush_after_;
  size_t max_bytes_;
  std::string joined_;   // the raw `log` bodies held, concatenated (JSON escapes concatenate)
  std::string last_;     // the last line held, whose `log` joined_ replaces
  DockerLogField last_log_;
  uint64_t offset_ = 0;
  bool complete_ = false;        // the held line's last part ended in "\n"
  bool firstline_seen_ = false;  // docker_mode_parser matched a line once
  Clock::time_point deadline_{};
  uint64_t cuts_ = 0;
  Arena scratch_{1024};  // for docker_mode_parser's records, thrown away
};

}  // namespace sluice::tail
