// A filesystem input's buffer: what InputContext::emit/offer do when the
// input has storage.type filesystem. A chunk is written to the input's
// segment file before the input hears it was accepted; then
//  - if nothing of the input waits on disk and the pipeline has room, the
//    chunk goes on through the pipeline at once (its copy is "up");
//  - otherwise it stays on disk only ("down") and the backlog reader loads
//    it, in order, whenever the pipeline has room (its memory budgets bound
//    how much of the backlog is loaded at once).
// So the disk, not memory, holds a backlog, and each input's order is kept.
// When the chunk's last holder lets go, an ack frame records it.
//
// A chunk is refused (offer() returns false, the input pushes back) while
// the disk can't be written (full, read-only: retried every second) or an
// output's storage.total_limit_size is reached with buffer.when_full block;
// with drop_newest the new chunk is dropped, with drop_oldest the oldest
// chunks on disk, counted and logged.
//
// Main thread (the inputs' and the pipeline's).
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/asio.hpp"
#include "agent/chunk.hpp"
#include "agent/log.hpp"
#include "agent/metrics.hpp"
#include "agent/storage/ack_inbox.hpp"
#include "agent/storage/segment_store.hpp"
#include "agent/storage/storage_limits.hpp"

namespace sluice::json {
class Writer;
}

namespace sluice::storage {

class InputBuffer {
 public:
  // Where chunks go on: the service's pipeline.
  struct Feed {
    std::function<void(ChunkPtr)> submit;
    std::function<bool()> full;  // true while the pipeline would pause memory inputs
  };

  InputBuffer(std::unique_ptr<SegmentStore> store, const RecoveryReport& recovered, boost::asio::io_context& io,
              Metrics& metrics, StorageLimits& limits, Feed feed);
  ~InputBuffer();
  InputBuffer(const InputBuffer&) = delete;
  InputBuffer& operator=(const InputBuffer&) = delete;

  // Stores the chunk; true once it is in the segment file (or dropped by a
  // drop_newest limit): the input may acknowledge it. False: refused, the
  // chunk is left in `chunk`, the input should push back and offer it again.
  bool offer(ChunkPtr& chunk);
  // For inputs that can't push back once they have read (a file input, whose
  // file is its buffer anyway): a chunk that can't be stored goes on in
  // memory, counted and logged.
  void emit(ChunkPtr chunk);
  // Why new chunks would be refused now; empty when they would be taken.
  std::string blocked_reason();
  // Chunks waiting on disk only.
  size_t backlog() const { return store_->down(); }

  // Starts loading the backlog (recovered chunks first).
  void start();
  // Shutdown: no more loading; what is on disk stays for the next start.
  void stop();
  // Calls done once nothing waits on disk (at once if nothing does).
  void when_backlog_empty(std::function<void()> done);

  // Adds "storage": {...} to the input's object in /api/v1/health.
  void describe_health(json::Writer& w) const;

 private:
  void acked(AckInbox::Batch& batch);
  void schedule_pump(std::chrono::milliseconds delay = std::chrono::milliseconds(0));
  void pump();
  bool over_limit(const Chunk& chunk, bool* dropped);
  void write_failed(int err);
  void update_gauges();

  std::unique_ptr<SegmentStore> store_;
  StorageLimits& limits_;
  Feed feed_;
  AckInbox* inbox_;
  boost::asio::steady_timer timer_;
  bool pump_scheduled_ = false;
  bool started_ = false;
  bool stopped_ = false;
  std::vector<std::function<void()>> empty_waiters_;

  // The disk refused a write: refuse chunks until retry_at_, then try one.
  int write_error_ = 0;
  std::chrono::steady_clock::time_point retry_at_{};
  std::chrono::steady_clock::time_point last_error_log_{};
  uint64_t errors_not_logged_ = 0;
  // An output's limit refused a chunk under block: its index.
  std::optional<size_t> limit_block_;

  // What recovery found, for health.
  uint64_t quarantined_ = 0;
  uint64_t torn_tails_ = 0;
  std::vector<std::string> quarantine_paths_;

  Counter& chunks_written_;
  Counter& bytes_written_;
  Counter& write_errors_;
  Counter& refused_;
  Counter& dropped_;
  Counter& quarantined_total_;
  Counter& torn_total_;
  Counter& backlog_gauge_;
  Counter& disk_gauge_;
  log::RateLimit memory_log_{1000};
  log::RateLimit drop_log_{1000};
  log::RateLimit read_log_{100};
};

}  // namespace sluice::storage
