// sluice's own log: leveled lines on stderr through spdlog. Never pass a
// secret to it; config values marked secret are redacted before printing.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>

#include <spdlog/spdlog.h>

namespace sluice::log {

// Sets up the stderr logger; level is one of off, error, warn, info, debug, trace.
void init(std::string_view level);
// Changes the level of the logger init() set up (hot reload).
void set_level(std::string_view level);

using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::trace;
using spdlog::warn;

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
