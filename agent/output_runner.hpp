// One output's queue, batching, retries, the backend's backoff (one pause
// for the whole output, see output_backoff.hpp), dead-lettering and drain:
// the core's half of an output (the component only sends).
#pragma once
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "agent/dead_letter.hpp"
#include "agent/metrics.hpp"
#include "agent/output.hpp"
#include "agent/output_settings.hpp"
#include "agent/router.hpp"

namespace sluice {

class ProcessorChain;

// Owns a worker thread with its own io_context; the Output and all queue and
// retry state live on that thread. enqueue()/blocking_full() are called from the
// main thread, drain() blocks its caller. enqueue() leaves a chunk in an
// inbox and wakes the worker only when output_wakeups.hpp says it must.
class OutputRunner {
 public:
  OutputRunner(std::string instance, std::unique_ptr<Output> output, OutputSettings settings, TagMatcher match,
               DeadLetter& dead_letter, Metrics& metrics);
  ~OutputRunner();
  OutputRunner(const OutputRunner&) = delete;
  OutputRunner& operator=(const OutputRunner&) = delete;

  const std::string& instance() const { return instance_; }
  bool matches(std::string_view tag) const { return match_.matches(tag); }
  // Whether chunks routed here keep their records' metadata (Output::wants_metadata).
  bool wants_metadata() const { return wants_metadata_; }
  // Its `processors:` (null: none). They run on the main thread, on what
  // the pipeline routes here, before enqueue(); the runner only owns them.
  ProcessorChain* processors() const { return processors_.get(); }
  void set_processors(std::unique_ptr<ProcessorChain> processors);

  // Starts the worker thread and calls Output::start on it.
  void start();
  // Hands a routed chunk to this output, applying buffer.when_full.
  void enqueue(SharedChunk chunk);
  // True when the policy is block and the queue holds more than mem_buf_limit:
  // inputs should pause.
  bool blocking_full() const;
  // Non-empty while records this output must dead-letter can't be written
  // (disk full, permissions): they stay unacknowledged and inputs pause.
  // Says which file, the error and how many records wait. Any thread.
  std::string dead_letter_blocked() const;

  // What /api/v1/health shows of this output: a snapshot, read on any thread.
  struct Health {
    // The last answer was a retryable failure and nothing was delivered since.
    bool failing = false;
    std::chrono::system_clock::time_point failing_since{};
    // The last failure's reason (the backend's text), retryable or not; kept
    // after the output recovers. last_error_at is the epoch before any.
    std::string last_error;
    std::chrono::system_clock::time_point last_error_at{};
    // The last delivery (epoch, and steady_clock's epoch, before any).
    std::chrono::system_clock::time_point last_success{};
    std::chrono::steady_clock::time_point last_success_steady{};
    // When the oldest record not yet delivered (queued, in flight or waiting
    // for a retry) reached this output; empty when none waits.
    std::optional<std::chrono::steady_clock::time_point> oldest_undelivered;
    // When the oldest batch not yet finished (in flight, or waiting for its
    // retry) was first sent; empty when none. Records still filling a batch
    // (within `flush`) don't count: they are not due yet.
    std::optional<std::chrono::steady_clock::time_point> oldest_pending;
    uint64_t undelivered_records = 0;
    uint64_t retry_queue = 0;  // batches that failed and wait to be sent again
    uint64_t dead_lettered = 0;
    // Records waiting for a dead-letter file that can't be written, and why
    // (dead_letter_blocked()); 0 and empty while it can.
    uint64_t dead_letter_waiting = 0;
    std::string dead_letter_blocked;
    uint64_t buffer_bytes = 0;
    bool buffer_full = false;  // buffer.when_full block and the buffer is full: inputs pause
  };
  Health health() const;
  // Delivers everything queued, retrying as configured, until done or the
  // deadline; then fails (doesn't acknowledge) whatever is left, stops the
  // output and joins the worker. Returns the number of records left undelivered.
  uint64_t drain(std::chrono::steady_clock::time_point deadline);
  // Hot reload replaced this output with `successor` (same instance name,
  // already started): what is queued and what waits for a retry moves to the
  // successor at once; batches in flight finish here (a retryable answer moves
  // too). `retired` runs on this runner's worker thread when nothing is left;
  // the runner may then be destroyed. drain() still works meanwhile.
  void hand_over(OutputRunner& successor, std::function<void()> retired);

  // How many times the worker thread woke to run the queue (a chunk that
  // needed it, the flush timer, a flush's answer, the end of a backoff): for
  // tests of output_wakeups.hpp's rules. Any thread.
  uint64_t wakeups() const;

 private:
  class Worker;
  std::string instance_;
  TagMatcher match_;
  OutputSettings settings_;
  std::atomic<uint64_t> queued_bytes_{0};
  // Published by the worker after each change for health(): steady_clock
  // ticks, 0 = none.
  std::atomic<int64_t> oldest_undelivered_{0};
  std::atomic<int64_t> oldest_pending_{0};
  std::atomic<uint64_t> undelivered_records_{0};
  mutable std::mutex health_mu_;
  Health health_;  // failure and success fields: written by the worker, read by the status server
  std::unique_ptr<ProcessorChain> processors_;  // main thread only
  bool wants_metadata_ = false;
  std::unique_ptr<Worker> worker_;
};

}  // namespace sluice
