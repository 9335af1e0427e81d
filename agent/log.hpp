// sluice's own log: leveled lines on stderr, or in service.log_file. Never pass a secret to it;
// config values marked secret are redacted before printing. spdlog writes
// the lines, from log.cpp alone: this header only formats.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/core.h>

namespace sluice::log {

// spdlog's levels, in its order.
enum class Level { trace, debug, info, warn, error };

// Sets up the logger; level is one of off, error, warn, info, debug, trace.
// With a file, lines are appended to it instead of stderr. Returns "" or why
// the file can't be opened (then nothing is set up).
std::string init(std::string_view level, const std::string& file = {});
// Changes the service's level (hot reload).
void set_level(std::string_view level);
// Whether a line of this level is written (any thread): below the level of
// the component whose Scope is current on this thread, or without one below
// the service's level, it is not.
bool enabled(Level level);

// A level as a number for Scope: trace 0 .. error 4, off 5; -1 for a text
// that is none of off, error, warn, info, debug, trace (or empty).
int level_number(std::string_view level);

// Per-plugin `log_level` (Fluent Bit's key on inputs, filters and outputs):
// while a Scope lives, this thread's lines follow that component's level
// instead of the service's, both ways (debug shows its debug lines, error
// hides its warnings). level -1: the service's level. The core opens one
// where it calls into a component (an output's worker thread holds one for
// its life). Costs a thread-local store; nests.
class Scope {
 public:
  explicit Scope(int level);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  int previous_;
};
// Formats and writes one line (any thread); a formatting error is written
// in its place, never thrown.
void write(Level level, fmt::string_view format, fmt::format_args args);

// log::info("read {} lines of {}", n, path): fmt's syntax, checked at compile time.
template <class... Args>
void trace(fmt::format_string<Args...> format, Args&&... args) {
  if (enabled(Level::trace)) write(Level::trace, format, fmt::make_format_args(args...));
}
template <class... Args>
void debug(fmt::format_string<Args...> format, Args&&... args) {
  if (enabled(Level::debug)) write(Level::debug, format, fmt::make_format_args(args...));
}
template <class... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
  if (enabled(Level::info)) write(Level::info, format, fmt::make_format_args(args...));
}
template <class... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
  if (enabled(Level::warn)) write(Level::warn, format, fmt::make_format_args(args...));
}
template <class... Args>
void error(fmt::format_string<Args...> format, Args&&... args) {
  if (enabled(Level::error)) write(Level::error, format, fmt::make_format_args(args...));
}

// Lets one line through for the first occurrence and then once per `every`
// occurrences, so a data-path error can't flood the log. Thread-safe.
class RateLimit {
 public:
  explicit RateLimit(uint64_t every = 1000) : every_(every) {}
  // Returns the occurrence count (1-based) if this one should be logged, else 0.
  uint64_t hit() {
    uint64_t n = count_.fetch_add(1, std::memory_order_relaxed) + 1;
    return (n == 1 || n % every_ == 0) ? n : 0;
  }
 private:
  uint64_t every_;
  std::atomic<uint64_t> count_{0};
};

}  // namespace sluice::log
