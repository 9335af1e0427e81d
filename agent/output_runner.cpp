// One output's worker: queue → batches → Output::flush → outcome sorting,
// the output's backoff (output_backoff.hpp), dead-lettering, drain. See
// output_runner.hpp.
#include "agent/output_runner.hpp"

#include <algorithm>
#include <deque>
#include <future>
#include <list>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include "agent/asio.hpp"
#include "agent/dead_letter_queue.hpp"
#include "agent/log.hpp"
#include "agent/output_backoff.hpp"
#include "agent/output_wakeups.hpp"
#include "agent/processor_chain.hpp"

namespace sluice {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// Everything here runs on the worker thread unless it says otherwise.
class OutputRunner::Worker final : public OutputContext {
 public:
  Worker(OutputRunner& owner, std::unique_ptr<Output> output, DeadLetter& dead_letter, Metrics& metrics)
      : work_(asio::make_work_guard(io_)),
        owner_(owner),
        output_(std::move(output)),
        dead_letter_(dead_letter),
        metrics_(metrics),
        settings_(owner.settings_),
        flush_timer_(io_),
        deadline_timer_(io_),
        backoff_timer_(io_),
        backend_(Backoff(settings_.retry_base, settings_.retry_cap)),
        rng_(std::random_device{}()),
        records_in_(metrics.counter("sluice_output_records_total", "output", owner.instance_, false,
                                    "Records routed to the output (taken into its buffer).")),
        records_out_(metrics.counter("sluice_output_records_delivered_total", "output", owner.instance_, false,
                                     "Records the backend accepted.")),
        retried_(metrics.counter("sluice_output_records_retried_total", "output", owner.instance_, false,
                                  "Records scheduled for another attempt after a retryable failure.")),
        dead_lettered_(metrics.counter(
            "sluice_output_records_dead_lettered_total", "output", owner.instance_, false,
            "Records written to the dead-letter file (permanent failure or retries exhausted).")),
        dropped_(metrics.counter("sluice_output_records_dropped_total", "output", owner.instance_, false,
                                  "Records dropped by buffer.when_full (drop_newest, drop_oldest).")),
        batches_(metrics.counter("sluice_output_batches_total", "output", owner.instance_, false,
                                  "Flushes started (first attempts and retries).")),
        buffer_bytes_(metrics.counter("sluice_output_buffer_bytes", "output", owner.instance_, true,
                                       "Memory held by the records in the output's buffer, against mem_buf_limit.")),
        retry_queue_(metrics.counter("sluice_output_retry_queue", "output", owner.instance_, true,
                                      "Batches that failed and wait to be sent again.")),
        backoff_active_(metrics.counter(
            "sluice_output_backoff_active", "output", owner.instance_, true,
            "1 while the output backs off from a failing or throttling backend (one probe request per "
            "interval, the rest waits), else 0.")) {}

  asio::io_context& io() override { return io_; }
  Metrics& metrics() override { return metrics_; }
  const std::string& instance() const override { return owner_.instance_; }
  void charge_memory(int64_t delta) override {
    owner_.queued_bytes_.fetch_add(static_cast<uint64_t>(delta), std::memory_order_relaxed);
    buffer_bytes_.set(owner_.queued_bytes_.load(std::memory_order_relaxed));
  }

  void start() {
    thread_ = std::thread([this] {
      log::Scope scope(owner_.settings_.log_level);  // all the output logs, it logs on this thread
      output_->start(*this);
      io_.run();
    });
  }

  // Main thread, or a predecessor's worker handing over at a reload
  // (counted: the records were already counted in by the output's previous
  // version). The chunk waits in the inbox; the worker is woken only if it
  // won't look there by itself soon enough (see wake_needed) — while the
  // output backs off, that can be a while, so the records are counted in now.
  void post_chunk(SharedChunk chunk, uint64_t bytes, bool counted = false) {
    if (!counted) records_in_.add(chunk->events.size());
    uint64_t inbox_bytes = inbox_bytes_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
    bool wake;
    {
      std::lock_guard lock(inbox_mu_);
      if (inbox_.empty()) inbox_since_ = Clock::now();
      inbox_records_ += chunk->events.size();
      inbox_.push_back(std::move(chunk));
      Pending pending{inbox_records_ + queue_records_.load(std::memory_order_relaxed),
                      inbox_bytes + queue_bytes_.load(std::memory_order_relaxed),
                      inbox_bytes + owner_.queued_bytes_.load(std::memory_order_relaxed)};
      wake = !wake_posted_ && wake_needed(collects_later_, sends_held_, pending, settings_);
      wake_posted_ = wake_posted_ || wake;
    }
    if (wake) asio::post(io_, [this] { pump(); });
  }

  // A predecessor's worker: a batch it was retrying, to be sent again here
  // at once (with this version's settings and a fresh retry count).
  void adopt(Batch batch) {
    asio::post(io_, [this, batch = std::move(batch)]() mutable {
      if (stopped_) {
        for (const auto& p : batch.parts) p.chunk->fail_acks();
        return;
      }
      AttemptPtr a = new_attempt(std::move(batch));
      a->since = a->sent = Clock::now();  // health counts its wait in this output from here
      retry_.push_back(std::move(a));
      retry_queue_.add();
      pump();
    });
  }

  // Main thread: hot reload replaced this output. Queued chunks and batches
  // waiting for a retry go to the successor now; batches in flight finish
  // here, and a retryable answer to one goes to the successor too. Then the
  // output stops and `retired` runs (on this worker's thread). A backoff in
  // progress is not carried over (the reload may have fixed its cause), but
  // the successor probes before it sends more.
  void hand_over(Worker& successor, std::function<void()> retired) {
    asio::post(io_, [this, &successor, retired = std::move(retired)]() mutable {
      on_retired_ = std::move(retired);
      successor_ = &successor;
      flush_timer_.cancel();
      backoff_timer_.cancel();
      // Posted in this order, so they run in it there: the probe first, the
      // failed batches (the oldest data) before the queue.
      if (backend_.backing_off()) asio::post(successor.io_, [&successor] { successor.probe_first(); });
      retry_queue_.set(retry_queue_.value() - retry_.size());  // the gauge is shared with the successor
      for (const AttemptPtr& a : retry_) pass_on(a);
      retry_.clear();
      for (const SharedChunk& c : queue_) {
        successor.post_chunk(c, c->memory_bytes(), true);
        release(c);
      }
      queue_.clear();
      collect();  // what the main thread left before the reload, after those: forwarded by accept()
      arrivals_.clear();
      queue_records_ = 0;
      queue_bytes_ = 0;
      check_done();
      publish_waiting();
    });
  }

  uint64_t inbox_bytes() const { return inbox_bytes_.load(std::memory_order_relaxed); }
  // Any thread: what waits in the inbox (for health: while the output backs
  // off, new chunks stay there until the pause ends).
  std::pair<uint64_t, std::optional<Clock::time_point>> inbox_waiting() {
    std::lock_guard lock(inbox_mu_);
    if (inbox_.empty()) return {0, std::nullopt};
    return {inbox_records_, inbox_since_};
  }
  // Any thread.
  uint64_t retry_queue() const { return retry_queue_.value(); }
  uint64_t dead_lettered() const { return dead_lettered_.value(); }
  const DeadLetterQueue& dead_letters() const { return dead_letters_; }
  uint64_t wakeups() const { return wakeups_.load(std::memory_order_relaxed); }

  // Main thread: buffer.when_full drop_newest refused a chunk of n records.
  void dropped_newest(uint64_t n) {
    dropped_.add(n);
    if (uint64_t hits = drop_log_.hit())
      log::warn("output {}: buffer full (mem_buf_limit), dropped {} new records ({} drops so far)", owner_.instance_,
                n, hits);
  }

  // Main thread; blocks until drained or the deadline passed.
  uint64_t drain(Clock::time_point deadline) {
    std::promise<uint64_t> done;
    auto result = done.get_future();
    bool retired = false;
    {
      std::lock_guard lock(done_mu_);
      retired = finished_;
      if (!retired) drained_ = &done;
    }
    if (retired) {  // handed over at a reload: nothing left here
      if (thread_.joinable()) thread_.join();
      return 0;
    }
    asio::post(io_, [this, deadline] {
      if (stopped_) return;
      draining_ = true;
      deadline_timer_.expires_at(deadline);
      deadline_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) give_up();
      });
      pump();
      check_done();
    });
    uint64_t left = result.get();
    thread_.join();
    // Run what the stop left queued (cancelled retry timers, late flush
    // answers) so the chunks they hold are released now.
    io_.restart();
    io_.poll();
    return left;
  }

  ~Worker() {
    if (thread_.joinable()) {
      io_.stop();
      thread_.join();
    }
  }

 private:
  struct Attempt {
    Batch batch;
    int64_t retries = 0;  // its own failures so far (waiting out the output's backoff is none)
    Clock::time_point first_failure;
    Clock::time_point since;  // arrival of its oldest record in this output (health)
    Clock::time_point sent;   // its first send (health: what is due and not delivered)
    uint64_t ticket = 0;      // OutputBackoff::sent() of its latest send
    bool in_flight = false;   // sent, answer not yet in
  };
  using AttemptPtr = std::shared_ptr<Attempt>;

  // ---- holding chunks (memory accounting per output) ----
  void hold(const SharedChunk& c) {
    if (++holds_[c.get()] == 1) owner_.queued_bytes_.fetch_add(c->memory_bytes(), std::memory_order_relaxed);
    buffer_bytes_.set(owner_.queued_bytes_.load(std::memory_order_relaxed));
  }
  void release(const SharedChunk& c) {
    auto it = holds_.find(c.get());
    if (--it->second == 0) {
      holds_.erase(it);
      owner_.queued_bytes_.fetch_sub(c->memory_bytes(), std::memory_order_relaxed);
    }
    buffer_bytes_.set(owner_.queued_bytes_.load(std::memory_order_relaxed));
  }

  AttemptPtr new_attempt(Batch batch) {
    auto a = std::make_shared<Attempt>();
    a->batch = std::move(batch);
    for (const auto& p : a->batch.parts) hold(p.chunk);
    attempts_.push_back(a);
    return a;
  }
  void finish(const AttemptPtr& a) {
    for (const auto& p : a->batch.parts) release(p.chunk);
    attempts_.remove(a);
  }

  // ---- queue ----
  // Moves what the main thread left in the inbox to the queue.
  void collect() {
    std::vector<SharedChunk> chunks;
    {
      std::lock_guard lock(inbox_mu_);
      chunks.swap(inbox_);
      inbox_records_ = 0;
      wake_posted_ = false;  // a wake still queued finds the inbox empty: harmless
    }
    for (auto& chunk : chunks) {
      inbox_bytes_.fetch_sub(chunk->memory_bytes(), std::memory_order_relaxed);
      accept(std::move(chunk));
    }
  }

  void accept(SharedChunk chunk) {
    if (successor_ != nullptr) {  // posted before the hand-over ran (counted in here)
      uint64_t bytes = chunk->memory_bytes();
      successor_->post_chunk(std::move(chunk), bytes, true);
      return;
    }
    if (stopped_) {
      chunk->fail_acks();
      return;
    }
    auto now = Clock::now();
    if (queue_.empty()) oldest_ = now;
    arrivals_.push_back(now);
    queue_records_ += chunk->events.size();
    queue_bytes_ += chunk->memory_bytes();
    hold(chunk);
    queue_.push_back(std::move(chunk));
    if (settings_.when_full == WhenFull::DropOldest) {
      while (queue_.size() > 1 && owner_.queued_bytes_.load() > settings_.mem_buf_limit) {
        SharedChunk old = std::move(queue_.front());
        queue_.pop_front();
        arrivals_.pop_front();
        queue_records_ -= old->events.size();
        queue_bytes_ -= old->memory_bytes();
        dropped_.add(old->events.size());
        if (uint64_t n = drop_log_.hit())
          log::warn("output {}: buffer full (mem_buf_limit), dropped the oldest records ({} drops so far)",
                    owner_.instance_, n);
        release(old);
      }
    }
  }

  bool batch_due() const {
    if (queue_.empty()) return false;
    return draining_ || queue_records_ >= settings_.batch_max_records || queue_bytes_ >= settings_.batch_max_bytes ||
           Clock::now() - oldest_ >= settings_.flush;
  }

  Batch take_batch() {
    Batch b;
    uint64_t records = 0, bytes = 0;
    while (!queue_.empty()) {
      const SharedChunk& c = queue_.front();
      if (!b.parts.empty() &&
          (records + c->events.size() > settings_.batch_max_records || bytes + c->memory_bytes() > settings_.batch_max_bytes))
        break;
      records += c->events.size();
      bytes += c->memory_bytes();
      b.parts.push_back({c, {}});
      queue_.pop_front();
      arrivals_.pop_front();
    }
    queue_records_ -= records;
    queue_bytes_ -= bytes;
    oldest_ = Clock::now();
    return b;
  }

  // Every wakeup of the worker ends here: takes in the inbox, starts
  // flushes while the backend state lets them (output_backoff.hpp) and
  // something is due — failed batches first, oldest first —, arms the flush
  // timer if something waits for its age or the backoff timer for the end
  // of a pause, and tells the main thread whether it must wake the worker
  // for the next chunk.
  void pump() {
    wakeups_.fetch_add(1, std::memory_order_relaxed);
    for (;;) {
      collect();
      if (stopped_ || successor_ != nullptr) return;
      while (backend_.sendable(in_flight_, settings_.workers, Clock::now()) > 0) {
        if (!retry_.empty()) {
          AttemptPtr a = std::move(retry_.front());
          retry_.pop_front();
          retry_queue_.set(retry_queue_.value() - 1);
          send(a);
        } else if (batch_due()) {
          Clock::time_point since = arrivals_.front();
          Batch b = take_batch();
          AttemptPtr a = new_attempt(std::move(b));
          a->since = since;
          a->sent = Clock::now();
          for (const auto& p : a->batch.parts) release(p.chunk);  // the queue's hold moves to the attempt
          send(a);
        } else {
          break;
        }
      }
      bool holding = backend_.holding(Clock::now());
      if (!timer_armed_ && flush_timer_needed(queue_.empty(), in_flight_, settings_.workers, holding)) {
        timer_armed_ = true;
        flush_timer_.expires_at(oldest_ + settings_.flush);
        flush_timer_.async_wait([this](boost::system::error_code) {
          timer_armed_ = false;
          pump();
        });
      }
      arm_backoff_timer();
      publish_waiting();
      std::lock_guard lock(inbox_mu_);
      if (!inbox_.empty()) continue;  // arrived meanwhile, unwoken
      collects_later_ =
          collects_inbox_later(timer_armed_ || backoff_timer_armed_, in_flight_, settings_.workers, holding);
      sends_held_ = holding || in_flight_ >= settings_.workers;
      return;
    }
  }

  // While the output backs off, one timer ends the pause (not one per
  // batch). A pause that a late Retry-After moved on makes the timer fire
  // early once; pump() then arms it again.
  void arm_backoff_timer() {
    std::optional<Clock::time_point> ends = backend_.pause_ends();
    if (backoff_timer_armed_ || !ends || *ends <= Clock::now()) return;
    backoff_timer_armed_ = true;
    backoff_timer_.expires_at(*ends);
    backoff_timer_.async_wait([this](boost::system::error_code ec) {
      backoff_timer_armed_ = false;
      if (!ec) pump();
    });
  }

  // A reload's successor of an output that was backing off (see hand_over).
  void probe_first() {
    backend_.probe_first();
    backoff_active_.set(1);
  }

  // What health reads of the queue and the unfinished batches. Cost: one
  // pass over the unfinished batches (a few: `workers` in flight plus those
  // waiting for a retry).
  void publish_waiting() {
    int64_t undelivered = 0, pending = 0;
    uint64_t records = queue_records_;
    if (!arrivals_.empty()) undelivered = arrivals_.front().time_since_epoch().count();
    for (const auto& a : attempts_) {
      int64_t since = a->since.time_since_epoch().count(), sent = a->sent.time_since_epoch().count();
      if (since != 0 && (undelivered == 0 || since < undelivered)) undelivered = since;
      if (sent != 0 && (pending == 0 || sent < pending)) pending = sent;
      records += a->batch.size();
    }
    owner_.oldest_undelivered_.store(undelivered, std::memory_order_relaxed);
    owner_.oldest_pending_.store(pending, std::memory_order_relaxed);
    owner_.undelivered_records_.store(records, std::memory_order_relaxed);
  }

  void send(const AttemptPtr& a) {
    ++in_flight_;
    a->in_flight = true;
    a->ticket = backend_.sent();
    batches_.add();
    output_->flush(a->batch, [this, a](FlushResult r) {
      asio::post(io_, [this, a, r = std::move(r)]() mutable { on_result(a, std::move(r)); });
    });
  }

  void on_result(const AttemptPtr& a, FlushResult r) {
    --in_flight_;
    a->in_flight = false;
    if (stopped_) return;  // gave up at the deadline: acks already failed
    size_t n = a->batch.size();
    if (!r.per_record.empty() && r.per_record.size() != n) {
      log::error("output {}: bug: {} outcomes for {} records; retrying the batch", owner_.instance_,
                 r.per_record.size(), n);
      r = FlushResult::retry("output reported a wrong number of outcomes");
    }
    auto now = Clock::now();
    if (successor_ == nullptr) note_backend(a, r, now);  // a retired version's state no longer matters
    if (r.per_record.empty()) {
      if (r.outcome == Outcome::Delivered) {
        records_out_.add(n);
        note_delivered();
      } else if (r.outcome == Outcome::Permanent) {
        dead_letter(a->batch, r.reason);
      } else {
        AttemptPtr again = new_attempt(a->batch);
        again->retries = a->retries;
        again->first_failure = a->first_failure;
        again->since = a->since;
        again->sent = a->sent;
        schedule_retry(again, r.reason, now);
      }
    } else {
      sort_records(a, r, now);
    }
    finish(a);
    pump();
    check_done();
  }

  // Per-record outcomes: delivered ones are done, permanent ones go to the
  // dead-letter file, retryable ones form a smaller batch.
  void sort_records(const AttemptPtr& a, const FlushResult& r, Clock::time_point now) {
    Batch retry;
    size_t k = 0;
    uint64_t delivered = 0;
    std::string retry_reason;
    for (const auto& part : a->batch.parts) {
      BatchPart again{part.chunk, {}};
      auto visit = [&](uint32_t index) {
        const RecordOutcome& o = r.per_record[k++];
        if (o.outcome == Outcome::Delivered) {
          ++delivered;
        } else if (o.outcome == Outcome::Permanent) {
          write_dead_letter(part.chunk, index, o.reason);
        } else {
          again.only.push_back(index);
          if (retry_reason.empty()) retry_reason = o.reason;
        }
      };
      if (part.only.empty()) {
        for (uint32_t i = 0; i < part.chunk->events.size(); ++i) visit(i);
      } else {
        for (uint32_t i : part.only) visit(i);
      }
      if (!again.only.empty()) retry.parts.push_back(std::move(again));
    }
    records_out_.add(delivered);
    if (delivered > 0) note_delivered();
    if (!retry.parts.empty()) {
      AttemptPtr again = new_attempt(std::move(retry));
      again->retries = a->retries;
      again->first_failure = a->first_failure;
      again->since = a->since;
      again->sent = a->sent;
      schedule_retry(again, retry_reason, now);
    }
  }

  // What an answer says about the backend (output_backoff.hpp): any record
  // to send again means it is failing or throttling; otherwise it answers.
  void note_backend(const AttemptPtr& a, const FlushResult& r, Clock::time_point now) {
    bool retry = r.per_record.empty() ? r.outcome == Outcome::Retry
                                      : std::any_of(r.per_record.begin(), r.per_record.end(),
                                                    [](const RecordOutcome& o) { return o.outcome == Outcome::Retry; });
    int64_t failures = backend_.failures();
    if (retry) {
      backend_.failed(a->ticket, r.retry_after, now, rng_);
    } else if (backend_.answered(a->ticket)) {
      if (uint64_t n = recovery_log_.hit())
        log::info("output {}: the backend answers again after {} failed attempts in a row; sending what waited "
                  "({} batches to retry, {} records queued) ({} recoveries so far)",
                  owner_.instance_, failures, retry_.size(), queue_records_.load(), n);
    }
    backoff_active_.set(backend_.backing_off() ? 1 : 0);
  }

  // A batch (or what is left of one) failed: it waits in retry_ until the
  // output may send again, unless it ran out of retries.
  void schedule_retry(const AttemptPtr& a, const std::string& reason, Clock::time_point now) {
    if (successor_ != nullptr) {  // the output's new version retries it
      pass_on(a);
      return;
    }
    if (a->retries == 0) a->first_failure = now;
    ++a->retries;
    if (settings_.retry_limit && a->retries > *settings_.retry_limit) {
      dead_letter(a->batch, "retries exhausted after " + std::to_string(a->retries) + " attempts: " + reason);
      finish(a);
      return;
    }
    if (settings_.retry_max_duration && now - a->first_failure >= *settings_.retry_max_duration) {
      dead_letter(a->batch, "retry_max_duration exceeded: " + reason);
      finish(a);
      return;
    }
    retried_.add(a->batch.size());
    note_failure(reason);
    // The wait is the output's: the rest of its pause (the probe goes then,
    // and this batch with it or right after a probe that got through).
    std::optional<Clock::time_point> ends = backend_.pause_ends();
    auto wait = ends && *ends > now ? *ends - now : Clock::duration::zero();
    if (uint64_t hits = retry_log_.hit())
      log::warn("output {}: {} records will be retried in {} ms (attempt {}): {} ({} retries so far)",
                owner_.instance_, a->batch.size(),
                std::chrono::duration_cast<std::chrono::milliseconds>(wait).count(), a->retries + 1, reason, hits);
    // Oldest first (by first send), so that the probe is always the oldest
    // failed batch, whatever order the answers came in.
    auto at = std::find_if(retry_.begin(), retry_.end(), [&](const AttemptPtr& b) { return b->sent > a->sent; });
    retry_.insert(at, a);
    retry_queue_.add();
  }

  // What /api/v1/health reports: failing from a retried failure until
  // something is delivered again.
  void note_failure(const std::string& reason) {
    std::lock_guard lock(owner_.health_mu_);
    auto wall = std::chrono::system_clock::now();
    if (!owner_.health_.failing) owner_.health_.failing_since = wall;
    owner_.health_.failing = true;
    owner_.health_.last_error = reason;
    owner_.health_.last_error_at = wall;
  }
  void note_delivered() {
    auto wall = std::chrono::system_clock::now();
    auto now = Clock::now();
    std::lock_guard lock(owner_.health_mu_);
    owner_.health_.failing = false;
    owner_.health_.last_success = wall;
    owner_.health_.last_success_steady = now;
  }
  // A permanent failure (dead-lettered): the reason is shown, the output is
  // not "failing" (nothing waits for it).
  void note_error(const std::string& reason) {
    std::lock_guard lock(owner_.health_mu_);
    owner_.health_.last_error = reason;
    owner_.health_.last_error_at = std::chrono::system_clock::now();
  }

  void dead_letter(const Batch& batch, const std::string& reason) {
    for (const auto& p : batch.parts) {
      if (p.only.empty()) {
        for (uint32_t i = 0; i < p.chunk->events.size(); ++i) write_dead_letter(p.chunk, i, reason);
      } else {
        for (uint32_t i : p.only) write_dead_letter(p.chunk, i, reason);
      }
    }
  }

  // The record joins the dead letters of this turn; they are written
  // together, once this answer is sorted (write_dead_letters).
  void write_dead_letter(const SharedChunk& chunk, uint32_t index, const std::string& reason) {
    dead_letters_.add(chunk, index, reason);
    note_error(reason);
    if (uint64_t n = dead_log_.hit())
      log::error("output {}: record sent to dead-letter file {}: {} ({} so far)", owner_.instance_,
                 dead_letter_.path(), reason, n);
    if (!dl_write_posted_) {
      dl_write_posted_ = true;
      asio::post(io_, [this] { write_dead_letters(); });
    }
  }

  // Writes the dead letters waiting with one append. While the store can't
  // be written they stay, unacknowledged (inputs pause: dead_letter_blocked),
  // and are tried again every kDeadLetterRetry and with the next dead letter.
  void write_dead_letters() {
    dl_write_posted_ = false;
    if (stopped_ || dead_letters_.empty()) return;
    uint64_t written = dead_letters_.write();
    dl_waiting_.set(dead_letters_.waiting());
    if (written > 0) {
      dead_lettered_.add(written);
      check_done();
      return;
    }
    if (dl_timer_armed_) return;
    dl_timer_armed_ = true;
    dl_timer_.expires_after(kDeadLetterRetry);
    dl_timer_.async_wait([this](boost::system::error_code ec) {
      dl_timer_armed_ = false;
      if (!ec) write_dead_letters();
    });
  }

  void pass_on(const AttemptPtr& a) {
    successor_->adopt(a->batch);
    finish(a);
  }

  // Drained at shutdown, or handed over at a reload: nothing left here.
  void check_done() {
    if (stopped_ || !queue_.empty() || !attempts_.empty() || !dead_letters_.empty()) return;
    if (draining_) {
      complete(0);
    } else if (successor_ != nullptr && !completing_) {
      // After the handlers of the retry timers hand_over() cancelled, which
      // hold the last references to their batches' chunks (so the inputs
      // hear back before the runner counts as retired).
      completing_ = true;
      asio::post(io_, [this] { complete(0); });
    }
  }

  // Deadline reached: whatever is left stays unacknowledged (a tail input
  // will read it again at the next start).
  void give_up() {
    if (stopped_) return;
    uint64_t left = 0;
    for (const auto& c : queue_) {
      c->fail_acks();
      left += c->events.size();
    }
    for (const auto& a : attempts_) {
      for (const auto& p : a->batch.parts) p.chunk->fail_acks();
      left += a->batch.size();
    }
    left += dead_letters_.fail_all();  // the store stayed unwritable: read again at the next start
    complete(left);
  }

  void complete(uint64_t left) {
    if (stopped_) return;
    stopped_ = true;
    flush_timer_.cancel();
    deadline_timer_.cancel();
    dl_timer_.cancel();
    backoff_timer_.cancel();
    {
      std::lock_guard lock(inbox_mu_);
      for (const auto& chunk : inbox_) {
        chunk->fail_acks();
        inbox_bytes_.fetch_sub(chunk->memory_bytes(), std::memory_order_relaxed);
      }
      inbox_.clear();
      inbox_records_ = 0;
      collects_later_ = false;  // later chunks wake the (stopped) worker: drain() runs them, failing them
    }
    queue_.clear();
    arrivals_.clear();
    retry_queue_.set(retry_queue_.value() - retry_.size());
    retry_.clear();
    attempts_.clear();
    publish_waiting();
    holds_.clear();
    owner_.queued_bytes_.store(0);
    output_->stop();
    work_.reset();
    io_.stop();
    {
      std::lock_guard lock(done_mu_);
      finished_ = true;
      if (drained_ != nullptr) drained_->set_value(left);
      drained_ = nullptr;
    }
    if (on_retired_) std::exchange(on_retired_, nullptr)();
  }

  // io_ first: the output's sockets and timers must be destroyed before it.
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  OutputRunner& owner_;
  std::unique_ptr<Output> output_;
  DeadLetter& dead_letter_;
  Metrics& metrics_;
  const OutputSettings& settings_;
  asio::steady_timer flush_timer_;
  asio::steady_timer deadline_timer_;
  asio::steady_timer backoff_timer_;  // the end of the output's pause
  std::thread thread_;

  // Chunks handed over by the main thread, not yet in queue_.
  std::mutex inbox_mu_;
  std::vector<SharedChunk> inbox_;      // guarded by inbox_mu_
  uint64_t inbox_records_ = 0;          // guarded by inbox_mu_
  Clock::time_point inbox_since_;       // guarded by inbox_mu_: when its first chunk came
  bool wake_posted_ = false;            // guarded by inbox_mu_: a pump() is posted for the inbox
  bool collects_later_ = false;         // guarded by inbox_mu_: a timer or an answer will run pump()
  bool sends_held_ = false;             // guarded by inbox_mu_: no request can start before that
  std::atomic<uint64_t> inbox_bytes_{0};
  std::atomic<uint64_t> wakeups_{0};

  std::deque<SharedChunk> queue_;
  std::deque<Clock::time_point> arrivals_;  // when each chunk of queue_ arrived (health)
  // Written by the worker only; read by the main thread to decide on a wakeup.
  std::atomic<uint64_t> queue_records_{0};
  std::atomic<uint64_t> queue_bytes_{0};
  Clock::time_point oldest_;
  std::list<AttemptPtr> attempts_;  // every batch not yet finished
  std::deque<AttemptPtr> retry_;    // batches that failed, waiting to be sent again (oldest first)
  std::unordered_map<const Chunk*, int> holds_;
  int in_flight_ = 0;
  bool timer_armed_ = false;
  bool backoff_timer_armed_ = false;
  bool draining_ = false;
  bool stopped_ = false;
  Worker* successor_ = nullptr;       // set by hand_over()
  bool completing_ = false;           // handed over; complete() is posted
  std::function<void()> on_retired_;  // runs once handed over
  std::mutex done_mu_;                // drain() (main thread) vs complete() (worker)
  bool finished_ = false;
  std::promise<uint64_t>* drained_ = nullptr;
  OutputBackoff backend_;  // the backend's state: healthy or backing off
  std::mt19937_64 rng_;
  log::RateLimit retry_log_{100};
  log::RateLimit dead_log_{100};
  log::RateLimit recovery_log_{100};
  log::RateLimit drop_log_{1000};  // drop_oldest on the worker, drop_newest on the main thread

  Counter& records_in_;
  Counter& records_out_;
  Counter& retried_;
  Counter& dead_lettered_;
  Counter& dropped_;
  Counter& batches_;
  Counter& buffer_bytes_;
  Counter& retry_queue_;
  Counter& backoff_active_;

  // Dead letters on their way to the store (write_dead_letter).
  DeadLetterQueue dead_letters_{owner_.instance_, dead_letter_};
  asio::steady_timer dl_timer_{io_};
  bool dl_timer_armed_ = false;
  bool dl_write_posted_ = false;
  Counter& dl_waiting_ = metrics_.counter(
      "sluice_output_dead_letter_waiting_records", "output", owner_.instance_, true,
      "Records waiting to be written to the dead-letter file, which can't be written (0 when it can).");
};

OutputRunner::OutputRunner(std::string instance, std::unique_ptr<Output> output, OutputSettings settings,
                           TagMatcher match, DeadLetter& dead_letter, Metrics& metrics)
    : instance_(std::move(instance)), match_(std::move(match)), settings_(std::move(settings)) {
  wants_metadata_ = output->wants_metadata();
  worker_ = std::make_unique<Worker>(*this, std::move(output), dead_letter, metrics);
}

OutputRunner::~OutputRunner() = default;

void OutputRunner::start() { worker_->start(); }

void OutputRunner::set_processors(std::unique_ptr<ProcessorChain> processors) { processors_ = std::move(processors); }

void OutputRunner::enqueue(SharedChunk chunk) {
  uint64_t bytes = chunk->memory_bytes();
  uint64_t held = queued_bytes_.load(std::memory_order_relaxed) + worker_->inbox_bytes();
  // An empty buffer always takes a chunk, however large.
  if (settings_.when_full == WhenFull::DropNewest && held > 0 && held + bytes > settings_.mem_buf_limit) {
    worker_->dropped_newest(chunk->events.size());
    return;  // dropped on purpose: the input may commit past it
  }
  worker_->post_chunk(std::move(chunk), bytes);
}

bool OutputRunner::blocking_full() const {
  return settings_.when_full == WhenFull::Block &&
         queued_bytes_.load(std::memory_order_relaxed) + worker_->inbox_bytes() >= settings_.mem_buf_limit;
}

uint64_t OutputRunner::drain(Clock::time_point deadline) { return worker_->drain(deadline); }

void OutputRunner::hand_over(OutputRunner& successor, std::function<void()> retired) {
  worker_->hand_over(*successor.worker_, std::move(retired));
}

uint64_t OutputRunner::wakeups() const { return worker_->wakeups(); }

OutputRunner::Health OutputRunner::health() const {
  Health h;
  {
    std::lock_guard lock(health_mu_);
    h = health_;
  }
  auto at = [](const std::atomic<int64_t>& ns) -> std::optional<Clock::time_point> {
    int64_t v = ns.load(std::memory_order_relaxed);
    if (v == 0) return std::nullopt;
    return Clock::time_point(Clock::duration(v));
  };
  h.oldest_undelivered = at(oldest_undelivered_);
  h.oldest_pending = at(oldest_pending_);
  h.undelivered_records = undelivered_records_.load(std::memory_order_relaxed);
  auto [inbox_records, inbox_since] = worker_->inbox_waiting();
  h.undelivered_records += inbox_records;
  if (inbox_since && (!h.oldest_undelivered || *inbox_since < *h.oldest_undelivered))
    h.oldest_undelivered = inbox_since;
  h.retry_queue = worker_->retry_queue();
  h.dead_lettered = worker_->dead_lettered();
  h.dead_letter_waiting = worker_->dead_letters().waiting();
  if (h.dead_letter_waiting > 0) h.dead_letter_blocked = worker_->dead_letters().blocked_reason();
  h.buffer_bytes = queued_bytes_.load(std::memory_order_relaxed);
  h.buffer_full = blocking_full();
  return h;
}

std::string OutputRunner::dead_letter_blocked() const { return worker_->dead_letters().blocked_reason(); }

}  // namespace sluice
