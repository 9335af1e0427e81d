// A filesystem input's buffer; see input_buffer.hpp.
#include "agent/storage/input_buffer.hpp"

#include <cstring>

#include "agent/json_writer.hpp"

namespace sluice::storage {

namespace {

using Clock = std::chrono::steady_clock;

// After a failed write, how long chunks are refused before the next try.
constexpr auto kWriteRetry = std::chrono::seconds(1);
// While the pipeline is full, how often the backlog reader looks again.
constexpr auto kPipelineRecheck = std::chrono::milliseconds(5);
// After a read error, how long before the backlog reader tries again.
constexpr auto kReadRetry = std::chrono::milliseconds(200);
// Chunks loaded per turn of the main loop, so inputs and acks get theirs.
constexpr int kLoadsPerTurn = 16;

const char* sync_name(Sync s) { return s == Sync::Full ? "full" : "normal"; }

}  // namespace

InputBuffer::InputBuffer(std::unique_ptr<SegmentStore> store, const RecoveryReport& recovered,
                         boost::asio::io_context& io, Metrics& metrics, StorageLimits& limits,
                         Feed feed)
    : store_(std::move(store)),
      limits_(limits),
      feed_(std::move(feed)),
      inbox_(AckInbox::make(io, [this](AckInbox::Batch& b) { acked(b); })),
      timer_(io),
      chunks_written_(metrics.counter("sluice_storage_chunks_written_total", "input", store_->options().instance,
                                      false, "Chunks written to the input's filesystem buffer.")),
      bytes_written_(metrics.counter("sluice_storage_bytes_written_total", "input", store_->options().instance, false,
                                     "Bytes written to the input's filesystem buffer (frames).")),
      write_errors_(metrics.counter("sluice_storage_write_errors_total", "input", store_->options().instance, false,
                                    "Writes to the filesystem buffer that failed (disk full, I/O error); the "
                                    "chunk was refused, nothing lost.")),
      refused_(metrics.counter("sluice_storage_refused_total", "input", store_->options().instance, false,
                               "Chunks the filesystem buffer refused (disk not writable, or a storage limit "
                               "under block): the input pushed back.")),
      dropped_(metrics.counter("sluice_storage_dropped_records_total", "input", store_->options().instance, false,
                               "Records dropped by an output's storage.total_limit_size (drop_newest, "
                               "drop_oldest).")),
      quarantined_total_(metrics.counter("sluice_storage_quarantined_total", "input", store_->options().instance,
                                         false, "Damaged segments or frames moved to the quarantine directory.")),
      torn_total_(metrics.counter("sluice_storage_torn_tails_total", "input", store_->options().instance, false,
                                  "Segments that ended in a torn write at start, cut back to the last whole frame.")),
      backlog_gauge_(metrics.counter("sluice_storage_backlog_chunks", "input", store_->options().instance, true,
                                     "Chunks waiting on disk only (not yet loaded).")),
      disk_gauge_(metrics.counter("sluice_storage_disk_bytes", "input", store_->options().instance, true,
                                  "Bytes of the input's segment files.")) {
  quarantined_ = recovered.damaged_segments;
  torn_tails_ = recovered.torn_tails;
  quarantine_paths_ = recovered.quarantined;
  quarantined_total_.add(recovered.damaged_segments);
  torn_total_.add(recovered.torn_tails);
  limits_.add_store(store_.get());
  if (store_->down() > 0)
    log::info("input {}: storage: {} chunks from before the restart wait in {}; they are delivered first",
              store_->options().instance, store_->down(), store_->options().dir);
  update_gauges();
}

InputBuffer::~InputBuffer() {
  limits_.remove_store(store_.get());
  inbox_->detach();
}

void InputBuffer::update_gauges() {
  backlog_gauge_.set(store_->down());
  disk_gauge_.set(store_->disk_bytes());
}

std::string InputBuffer::blocked_reason() {
  if (write_error_ != 0 && Clock::now() < retry_at_)
    return "storage: cannot write " + store_->options().dir + ": " + std::strerror(write_error_);
  if (limit_block_) {
    size_t i = *limit_block_;
    if (i < limits_.size() && limits_.usage(i) >= limits_.limit(i).bytes)
      return "storage: output " + limits_.limit(i).output + " holds its storage.total_limit_size (" +
             std::to_string(limits_.limit(i).bytes) + " bytes) on disk";
    limit_block_.reset();
  }
  return {};
}

// Applies the limits of the outputs the chunk goes to. True: refuse it
// (block). *dropped: drop it (drop_newest).
bool InputBuffer::over_limit(const Chunk& chunk, bool* dropped) {
  for (size_t i = 0; i < limits_.size(); ++i) {
    if (!limits_.matches(i, chunk.tag)) continue;
    const OutputLimit& l = limits_.limit(i);
    if (limits_.usage(i) < l.bytes) continue;
    switch (l.policy) {
      case OutputLimit::Policy::Block:
        limit_block_ = i;
        return true;
      case OutputLimit::Policy::DropNewest:
        *dropped = true;
        return false;
      case OutputLimit::Policy::DropOldest: {
        uint32_t records = 0, bytes = 0;
        auto routed = [&](const std::string& tag) { return limits_.matches(i, tag); };
        while (limits_.usage(i) >= l.bytes && store_->drop_oldest_down(routed, &records, &bytes)) {
          dropped_.add(records);
          if (uint64_t n = drop_log_.hit())
            log::warn("input {}: storage: output {} reached storage.total_limit_size ({} bytes): dropped the "
                      "oldest {} records on disk (drop_oldest; {} drops so far)",
                      store_->options().instance, l.output, l.bytes, records, n);
        }
        store_->flush_acks();
        // Nothing left to drop on disk (all of it is in flight): store anyway;
        // memory budgets bound what is in flight.
        break;
      }
    }
  }
  return false;
}

void InputBuffer::write_failed(int err) {
  write_errors_.add();
  auto now = Clock::now();
  bool first = write_error_ == 0;
  write_error_ = err;
  retry_at_ = now + kWriteRetry;
  if (first || now - last_error_log_ >= std::chrono::minutes(1)) {
    log::error("input {}: storage: cannot write to {}: {}; the input is refusing new records (pushing back) and "
               "tries again every {} s{}",
               store_->options().instance, store_->options().dir, std::strerror(err),
               std::chrono::duration_cast<std::chrono::seconds>(kWriteRetry).count(),
               errors_not_logged_ > 0 ? " (" + std::to_string(errors_not_logged_) + " more failed writes)" : "");
    last_error_log_ = now;
    errors_not_logged_ = 0;
  } else {
    ++errors_not_logged_;
  }
}

bool InputBuffer::offer(ChunkPtr& chunk) {
  if (!chunk || chunk->events.empty()) {
    chunk.reset();
    return true;
  }
  if (!blocked_reason().empty()) {
    refused_.add();
    return false;
  }
  bool drop = false;
  if (over_limit(*chunk, &drop)) {
    refused_.add();
    return false;
  }
  if (drop) {
    dropped_.add(chunk->events.size());
    if (uint64_t n = drop_log_.hit())
      log::warn("input {}: storage: an output's storage.total_limit_size is reached: dropped {} new records "
                "(drop_newest; {} drops so far)", store_->options().instance, chunk->events.size(), n);
    chunk.reset();  // dropped on purpose: its acks tell the input it may go on
    return true;
  }
  bool up = started_ && !stopped_ && store_->down() == 0 && !feed_.full();
  auto a = store_->append(*chunk, up ? SegmentStore::State::Up : SegmentStore::State::Down);
  if (a.error != 0) {
    write_failed(a.error);
    refused_.add();
    return false;
  }
  if (write_error_ != 0) {
    log::info("input {}: storage: writing to {} again", store_->options().instance, store_->options().dir);
    write_error_ = 0;
  }
  chunks_written_.add();
  bytes_written_.add(a.frame_bytes);
  // Stored: the input's own acknowledgements (a tail offset) are due now.
  chunk->acks.clear();
  if (up) {
    chunk->acks.push_back(inbox_->ref(a.cookie));
    feed_.submit(std::move(chunk));
  } else {
    chunk.reset();
    schedule_pump();
  }
  update_gauges();
  return true;
}

void InputBuffer::emit(ChunkPtr chunk) {
  if (offer(chunk)) return;
  if (uint64_t n = memory_log_.hit())
    log::warn("input {}: storage: a chunk could not be stored ({}); it goes on in memory only ({} so far)",
              store_->options().instance, blocked_reason(), n);
  feed_.submit(std::move(chunk));
}

void InputBuffer::acked(AckInbox::Batch& batch) {
  for (const auto& [cookie, delivered] : batch) {
    // Not delivered (shutdown within grace): it stays on disk for the next start.
    if (delivered) store_->done(cookie);
  }
  store_->flush_acks();
  update_gauges();
}

void InputBuffer::start() {
  started_ = true;
  if (store_->down() > 0) schedule_pump();
}

void InputBuffer::stop() {
  stopped_ = true;
  timer_.cancel();
  store_->flush_acks();
}

void InputBuffer::when_backlog_empty(std::function<void()> done) {
  if (store_->down() == 0) return done();
  empty_waiters_.push_back(std::move(done));
  schedule_pump();
}

void InputBuffer::schedule_pump(std::chrono::milliseconds delay) {
  if (pump_scheduled_ || stopped_ || !started_) return;
  pump_scheduled_ = true;
  timer_.expires_after(delay);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    pump_scheduled_ = false;
    if (!ec) pump();
  });
}

void InputBuffer::pump() {
  if (stopped_) return;
  for (int n = 0; store_->down() > 0; ++n) {
    if (n == kLoadsPerTurn) return schedule_pump();
    // The pipeline's budgets (mem_limit, each output's mem_buf_limit) bound
    // what is loaded, as they bound every input: a smaller cap of its own
    // held batches below their size, so they went out only on `flush`.
    if (feed_.full()) return schedule_pump(kPipelineRecheck);
    std::string problem;
    uint64_t quarantined = 0;
    auto loaded = store_->load_next(&problem, &quarantined);
    if (quarantined > 0) {
      quarantined_ += quarantined;
      quarantined_total_.add(quarantined);
    }
    if (!loaded) {
      if (problem.empty()) break;
      if (uint64_t k = read_log_.hit())
        log::error("input {}: storage: {}; trying again ({} so far)", store_->options().instance, problem, k);
      return schedule_pump(std::chrono::duration_cast<std::chrono::milliseconds>(kReadRetry));
    }
    loaded->chunk->acks.push_back(inbox_->ref(loaded->cookie));
    feed_.submit(std::move(loaded->chunk));
  }
  update_gauges();
  if (store_->down() == 0 && !empty_waiters_.empty()) {
    auto waiters = std::move(empty_waiters_);
    empty_waiters_.clear();
    for (auto& w : waiters) w();
  }
}

void InputBuffer::describe_health(json::Writer& w) const {
  const StoreOptions& o = store_->options();
  w.key("storage").begin_object();
  w.field("type", "filesystem");
  w.field("path", o.dir);
  w.field("sync", sync_name(o.sync));
  w.field("backlog_chunks", static_cast<uint64_t>(store_->down()));
  w.field("disk_bytes", store_->disk_bytes());
  w.field("segments", static_cast<uint64_t>(store_->segment_count()));
  if (write_error_ != 0) w.field("write_error", std::string(std::strerror(write_error_)));
  w.field("quarantined", quarantined_);
  w.field("torn_tails", torn_tails_);
  w.key("quarantine").begin_array();
  for (const auto& p : quarantine_paths_) w.value(p);
  w.end_array();
  w.end_object();
}

}  // namespace sluice::storage
