// One output's dead letters on their way to the store. When the store can't
// be written (disk full, permissions) they wait here, their chunks held, so
// the inputs that read them are not acknowledged (a tail offset can't move
// past them); the output worker tries again (agent/output_runner.cpp).
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "agent/chunk.hpp"
#include "agent/dead_letter.hpp"

namespace sluice {

// How often the worker tries again to write dead letters that wait.
inline constexpr std::chrono::seconds kDeadLetterRetry{5};

// The output's worker thread, except blocked_reason() and waiting() (any thread).
class DeadLetterQueue {
 public:
  DeadLetterQueue(std::string output, DeadLetter& store) : output_(std::move(output)), store_(store) {}
  // Records still waiting are not acknowledged: their inputs read them again.
  ~DeadLetterQueue() { fail_all(); }
  DeadLetterQueue(const DeadLetterQueue&) = delete;
  DeadLetterQueue& operator=(const DeadLetterQueue&) = delete;

  // Takes event `index` of chunk, encoded now (its "time" is the failure's).
  void add(const SharedChunk& chunk, uint32_t index, std::string_view reason);
  // Writes every record that waits with one append. Returns how many were
  // written (0 when the store failed: they keep waiting; logged once a minute).
  uint64_t write();
  bool empty() const { return records_ == 0; }
  // Shutdown: fails the acknowledgements of what waits and forgets it;
  // returns how many records that was.
  uint64_t fail_all();

  // Any thread. Records waiting because the store failed (0 when it works).
  uint64_t waiting() const { return waiting_.load(std::memory_order_relaxed); }
  // Any thread. Empty, or why inputs must pause: the path, the error and the count.
  std::string blocked_reason() const;
  const std::string& path() const { return store_.path(); }

 private:
  std::string output_;
  DeadLetter& store_;
  std::string lines_;
  std::vector<SharedChunk> chunks_;  // each chunk once per run of its records
  uint64_t records_ = 0;

  // Failure state: since when, how many attempts since the last log line.
  std::chrono::steady_clock::time_point failing_since_{};
  std::chrono::steady_clock::time_point logged_at_{};
  uint64_t failed_attempts_ = 0;
  std::atomic<uint64_t> waiting_{0};
  mutable std::mutex error_mu_;
  std::string error_;  // guarded by error_mu_
};

}  // namespace sluice
