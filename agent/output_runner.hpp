// One output's queue, batching, retries with backoff, dead-lettering and
// drain: the core's half of an output (the component only sends).
#pragma once
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "agent/dead_letter.hpp"
#include "agent/metrics.hpp"
#include "agent/output.hpp"
#include "agent/output_settings.hpp"
#include "agent/router.hpp"

namespace sluice {

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

  // Starts the worker thread and calls Output::start on it.
  void start();
  // Hands a routed chunk to this output, applying buffer.when_full.
  void enqueue(SharedChunk chunk);
  // True when the policy is block and the queue holds more than mem_buf_limit:
  // inputs should pause.
  bool blocking_full() const;

  // Whether the output's last answer was a failure (records waiting to be
  // retried, and nothing delivered since), with that failure's reason: what
  // /api/v1/health shows. Any thread.
  struct Health {
    bool failing = false;
    std::string last_error;
    std::chrono::system_clock::time_point failing_since{};
  };
  Health health() const;
  // Delivers everything queued, retrying as configured, until done or the
  // deadline; then fails (doesn't acknowledge) whatever is left, stops the
  // output and joins the worker. Returns the number of records left undelivered.
  uint64_t drain(std::chrono::steady_clock::time_point deadline);

  // How many times the worker thread woke to run the queue (a chunk that
  // needed it, the flush timer, a flush's answer, a retry's backoff): for
  // tests of output_wakeups.hpp's rules. Any thread.
  uint64_t wakeups() const;

 private:
  class Worker;
  std::string instance_;
  TagMatcher match_;
  OutputSettings settings_;
  std::atomic<uint64_t> queued_bytes_{0};
  mutable std::mutex health_mu_;
  Health health_;  // written by the worker, read by the status server
  std::unique_ptr<Worker> worker_;
};

}  // namespace sluice
