// Fluent Bit's tail docker_mode; see docker_mode.hpp.
#include "inputs/tail/docker_mode.hpp"

#include <cstring>

#include "agent/parse/parser.hpp"

namespace sluice::tail {

bool DockerModeJoiner::is_first_line(std::string_view line) {
  bool first = firstline_->parse(line, scratch_).has_value();
  if (scratch_.used() > 64 * 1024) scratch_ = Arena(1024);
  return first;
}

bool DockerModeJoiner::offer(std::string_view line, uint64_t offset, Clock::time_point now, Arena& arena,
                             std::vector<Joined>& out) {
  auto log = find_docker_log(line);
  if (!log) return false;
  if (firstline_ != nullptr) {
    // As Fluent Bit: the parser reads the whole json-file line. A complete
    // line held goes out when a first line comes, or while no line ever
    // was one (nothing to join yet); otherwise this line continues it.
    bool first = is_first_line(line);
    firstline_seen_ |= first;
    if (holding() && complete_ && (first || !firstline_seen_)) flush(arena, out);
  }
  std::string_view body = line.substr(log->begin, log->end - log->begin);
  if (holding() && joined_.size() + body.size() > max_bytes_) {
    ++cuts_;
    flush(arena, out);
  }
  if (!holding()) offset_ = offset;
  joined_.append(body);
  last_.assign(line);
  last_log_ = *log;
  complete_ = log->final_part;
  deadline_ = now + flush_after_;
  if (complete_ && firstline_ == nullptr) flush(arena, out);
  return true;
}

void DockerModeJoiner::flush(Arena& arena, std::vector<Joined>& out) {
  if (!holding()) return;
  std::string_view last = last_;
  size_t n = last_log_.begin + joined_.size() + (last.size() - last_log_.end);
  char* p = static_cast<char*>(arena.allocate(n, 1));
  std::string_view head = last.substr(0, last_log_.begin);
  std::string_view tail = last.substr(last_log_.end);
  std::memcpy(p, head.data(), head.size());
  std::memcpy(p + head.size(), joined_.data(), joined_.size());
  std::memcpy(p + head.size() + joined_.size(), tail.data(), tail.size());
  out.push_back({std::string_view(p, n), offset_});
  joined_.clear();
  last_.clear();
  complete_ = false;
}

std::optional<DockerModeJoiner::Clock::time_point> DockerModeJoiner::deadline() const {
  if (!holding()) return std::nullopt;
  return deadline_;
}

std::optional<uint64_t> DockerModeJoiner::pending_start() const {
  if (!holding()) return std::nullopt;
  return offset_;
}

void DockerModeJoiner::reset() {
  joined_.clear();
  last_.clear();
  complete_ = false;
}

}  // namespace sluice::tail
