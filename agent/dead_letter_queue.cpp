// One output's dead letters waiting for the store; see dead_letter_queue.hpp.
#include "agent/dead_letter_queue.hpp"

#include "agent/log.hpp"

namespace sluice {

using Clock = std::chrono::steady_clock;

void DeadLetterQueue::add(const SharedChunk& chunk, uint32_t index, std::string_view reason) {
  DeadLetter::encode(lines_, output_, reason, chunk->tag, chunk->events[index], DeadLetter::now_ns(),
                     chunk->metadata_of(index));
  if (chunks_.empty() || chunks_.back() != chunk) chunks_.push_back(chunk);
  ++records_;
  if (waiting_.load(std::memory_order_relaxed) != 0) waiting_.store(records_, std::memory_order_relaxed);
}

uint64_t DeadLetterQueue::write() {
  if (records_ == 0) return 0;
  std::error_code ec = store_.append(lines_);
  auto now = Clock::now();
  if (ec) {
    if (failing_since_ == Clock::time_point{}) failing_since_ = now;
    ++failed_attempts_;
    waiting_.store(records_, std::memory_order_relaxed);
    {
      std::lock_guard lock(error_mu_);
      error_ = ec.message();
    }
    // Once a minute: the store stays broken until someone frees space or
    // fixes permissions, and every retry would say the same.
    if (logged_at_ == Clock::time_point{} || now - logged_at_ >= std::chrono::minutes(1)) {
      log::error("output {}: cannot write dead-letter file {}: {}; {} records wait, not acknowledged: inputs "
                 "paused, tried again every {} s ({} failed attempts)",
                 output_, store_.path(), ec.message(), records_, kDeadLetterRetry.count(), failed_attempts_);
      logged_at_ = now;
    }
    return 0;
  }
  uint64_t written = records_;
  if (failing_since_ != Clock::time_point{}) {
    log::warn("output {}: dead-letter file {} written again: {} records that waited {} s", output_, store_.path(),
              written, std::chrono::duration_cast<std::chrono::seconds>(now - failing_since_).count());
  }
  lines_.clear();
  chunks_.clear();  // the chunks' inputs may now be acknowledged
  records_ = 0;
  failing_since_ = {};
  logged_at_ = {};
  failed_attempts_ = 0;
  waiting_.store(0, std::memory_order_relaxed);
  return written;
}

uint64_t DeadLetterQueue::fail_all() {
  for (const auto& c : chunks_) c->fail_acks();
  uint64_t left = records_;
  chunks_.clear();
  lines_.clear();
  records_ = 0;
  waiting_.store(0, std::memory_order_relaxed);
  return left;
}

std::string DeadLetterQueue::blocked_reason() const {
  uint64_t n = waiting();
  if (n == 0) return {};
  std::lock_guard lock(error_mu_);
  return "output " + output_ + ": dead-letter file " + store_.path() + " can't be written (" + error_ + "); " +
         std::to_string(n) + " records wait for it";
}

}  // namespace sluice
