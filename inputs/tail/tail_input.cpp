// The `tail` input: lifecycle, the reading pump, delivery acknowledgements
// and the offsets file. Discovery and rotation are in tail_discovery.cpp.
#include "inputs/tail/tail_input.hpp"

#include <chrono>
#include <filesystem>

#include "agent/log.hpp"
#include "inputs/tail/tail_input_impl.hpp"

namespace sluice {

namespace tail {

namespace {
// While paused, how often to look again: short, because an output drains its
// buffer in milliseconds and a long wait would idle the pipeline.
constexpr auto kPauseRecheck = std::chrono::milliseconds(5);
log::RateLimit g_db_error_log(20);
log::RateLimit g_undelivered_log(100);
}  // namespace

TailInput::~TailInput() {
  *alive_ = false;
  if (inbox_) inbox_->detach();
}

void TailInput::start(InputContext& ctx) {
  ctx_ = &ctx;
  auto& io = ctx.io();
  metrics_ = TailMetrics::make(ctx.metrics(), ctx.instance());
  fd_budget_ = descriptor_budget();
  inbox_ = std::make_shared<AckInbox>(io);
  inbox_->attach([this](const std::vector<AckInbox::Ack>& acks) { on_acks(acks); });
  poll_timer_.emplace(io);
  refresh_timer_.emplace(io);
  pause_timer_.emplace(io);
  db_timer_.emplace(io);
  ml_timer_.emplace(io);

  DbEntries saved;
  if (!cfg_.db.empty()) {
    db_.emplace(cfg_.db, cfg_.db_sync);
    std::error_code ec;
    std::filesystem::create_directories(parent_dir(cfg_.db), ec);
    std::string error;
    if (!db_->load(saved, error)) {
      log::error("tail: {}; offsets are kept in memory only", error);
      db_.reset();
    } else if (!error.empty()) {
      log::warn("tail: offsets file {}", error);
    }
    if (db_ && !db_->fluent_bit_db().empty()) {
      if (db_->imported() > 0)
        log::info("tail: {} is Fluent Bit's offsets database: {} files go on from its offsets; sluice keeps its own "
                  "in {} and leaves it as it is", db_->fluent_bit_db(), db_->imported(), db_->path());
      else
        log::info("tail: {} is Fluent Bit's offsets database, left as it is; sluice's own offsets are in {}",
                  db_->fluent_bit_db(), db_->path());
    }
  }
  if (carried_) {
    // Reloaded: the input this one replaces knew where each file was delivered
    // up to (it wrote the same to the db, if there is one).
    saved = std::move(*carried_);
    carried_.reset();
  }
  if (cfg_.inotify) {
    std::string error;
    watcher_ = TailWatcher::create(io, [this](int wd, uint32_t mask) { on_inotify(wd, mask); }, error);
    if (!watcher_) {
      log::warn("tail: inotify unavailable ({}); polling files every {} ms", error,
                std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.poll_interval).count());
    }
  }
  initial_scan(std::move(saved));
  started_ = true;
  update_polling();
  arm(*refresh_timer_, cfg_.refresh_interval, &TailInput::refresh);
  db_dirty();  // persist where each file starts, so lines written while stopped are read next time
  schedule_pump();
}

void TailInput::stop() {
  // Open multiline records go out now, to be delivered within the grace
  // period; their lines commit once they are.
  if (started_ && !stopped_ && !finished_) flush_multiline(true);
  stopped_ = true;
  for (auto* t : {&poll_timer_, &refresh_timer_, &pause_timer_, &db_timer_, &ml_timer_}) {
    if (*t) (*t)->cancel();
  }
  if (watcher_) watcher_->close();
}

void TailInput::finish() {
  if (!started_) return;
  if (inbox_) inbox_->deliver();  // acknowledgements posted but not yet run
  db_is_dirty_ = true;
  save_db();
}

namespace {
struct TailCarry final : InputCarry {
  DbEntries entries;
};
}  // namespace

std::unique_ptr<InputCarry> TailInput::carry_over() {
  auto carry = std::make_unique<TailCarry>();
  for (const auto& [key, f] : files_) carry->entries[key] = {f->committed(), f->size(), f->path()};
  for (const auto& [key, e] : aged_) carry->entries.emplace(key, e);
  for (const auto& [key, p] : parked_) carry->entries.emplace(key, p.at);
  return carry;
}

void TailInput::resume_from(std::unique_ptr<InputCarry> carry) {
  if (auto* tail = dynamic_cast<TailCarry*>(carry.get())) carried_ = std::move(tail->entries);
}

void TailInput::arm(Timer& t, std::chrono::nanoseconds after, void (TailInput::*fn)()) {
  t.expires_after(after);
  t.async_wait(guarded([this, fn](const boost::system::error_code& ec) {
    if (!ec && !stopped_) (this->*fn)();
  }));
}

void TailInput::queue(TailFile& f) {
  if (!f.queued) {
    f.queued = true;
    ready_.push_back(f.key());
  }
  schedule_pump();
}

void TailInput::schedule_pump() {
  if (pump_posted_ || pausing_ || stopped_ || finished_ || !started_) return;
  pump_posted_ = true;
  boost::asio::post(ctx_->io(), guarded([this] { pump(); }));
}

// One turn: at most one slice per ready file, then yield to other handlers.
void TailInput::pump() {
  pump_posted_ = false;
  if (stopped_ || finished_) return;
  if (ctx_->paused()) {
    // The file is the buffer: nothing is lost by reading later.
    pausing_ = true;
    pause_timer_->expires_after(kPauseRecheck);
    pause_timer_->async_wait(guarded([this](const boost::system::error_code& ec) {
      pausing_ = false;
      if (!ec) pump();
    }));
    return;
  }
  int64_t now = realtime_ns();
  for (size_t n = ready_.size(); n > 0 && !ready_.empty(); --n) {
    FileKey key = ready_.front();
    ready_.pop_front();
    auto it = files_.find(key);
    if (it == files_.end()) continue;
    TailFile& f = *it->second;
    f.queued = false;
    ReadResult r = f.read_slice(scratch_, now);
    if (r.truncated) db_dirty();
    bool more = r.more;
    deliver(f, std::move(r));
    if (more) queue(f);
    if (stopped_ || ctx_->paused()) break;
  }
  if (!ready_.empty()) {
    schedule_pump();
  } else {
    if (starved()) request_admit();  // files just read to their end may make room
    check_exit_on_eof();
  }
  arm_multiline();
}

void TailInput::arm_multiline() {
  if ((cfg_.multiline.empty() && !cfg_.docker_mode) || stopped_ || finished_ || !ml_timer_) return;
  std::optional<std::chrono::steady_clock::time_point> due;
  for (const auto& [key, f] : files_)
    if (auto d = f->multiline_due(); d && (!due || *d < *due)) due = d;
  if (!due || (ml_armed_ && *due >= ml_armed_for_)) return;
  ml_armed_ = true;
  ml_armed_for_ = *due;
  ml_timer_->expires_at(*due);
  ml_timer_->async_wait(guarded([this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled, or re-armed for an earlier record
    ml_armed_ = false;
    if (stopped_ || finished_) return;
    flush_multiline(false);
    arm_multiline();
  }));
}

void TailInput::flush_multiline(bool all) {
  int64_t now_ns = realtime_ns();
  auto now = std::chrono::steady_clock::now();
  for (auto& [key, f] : files_) {
    if (!f->multiline_due()) continue;
    ReadResult r = f->flush_multiline(scratch_, now_ns, now, all);
    if (r.chunk) deliver(*f, std::move(r));
  }
}

void TailInput::deliver(TailFile& f, ReadResult r) {
  if (!r.chunk) {
    if (f.progress(r.commit)) db_dirty();
    return;
  }
  uint64_t cookie = next_cookie_++;
  f.track(cookie, r.commit);
  cookies_.emplace(cookie, f.key());
  r.chunk->acks.push_back(inbox_->issue(cookie));
  ctx_->emit(std::move(r.chunk));
}

void TailInput::check_exit_on_eof() {
  // A parked file waiting for a descriptor isn't read yet (the others are at their end).
  if (!cfg_.exit_on_eof || finished_ || stopped_ || !started_ || !ready_.empty() || starved()) return;
  for (const auto& [key, f] : files_) {
    if (!f->at_eof()) return;
  }
  int64_t now = realtime_ns();
  for (auto& [key, f] : files_) deliver(*f, f->flush(scratch_, now));
  finished_ = true;
  poll_timer_->cancel();
  refresh_timer_->cancel();
  log::info("tail: every file was read to its end (exit_on_eof)");
  ctx_->finished();
}

void TailInput::on_acks(const std::vector<AckInbox::Ack>& acks) {
  bool changed = false;
  for (const auto& [cookie, delivered] : acks) {
    auto it = cookies_.find(cookie);
    if (it == cookies_.end()) continue;
    auto f = files_.find(it->second);
    cookies_.erase(it);
    if (f == files_.end()) continue;
    if (!delivered && g_undelivered_log.hit() != 0) {
      log::info("tail: lines of {} were not delivered; its offset stays before them, they are read again at the "
                "next start", f->second->path());
    }
    changed |= f->second->acknowledge(cookie, delivered);
  }
  if (changed) db_dirty();
  if (starved()) request_admit();  // delivered files may be closed to make room
}

void TailInput::db_dirty() {
  if (!db_) return;
  db_is_dirty_ = true;
  if (db_armed_ || stopped_) return;  // finish() writes the last version
  db_armed_ = true;
  // At most one write per rewrite_interval, but the first change after a
  // quiet spell is written at once: less to repeat after a crash.
  auto due = last_db_save_ + TailDb::rewrite_interval(files_.size() + parked_.size() + aged_.size());
  db_timer_->expires_at(std::max(due, std::chrono::steady_clock::now()));
  db_timer_->async_wait(guarded([this](const boost::system::error_code& ec) {
    db_armed_ = false;
    if (ec) return;
    save_db();
    if (db_is_dirty_) db_dirty();  // failed: try again later
  }));
}

void TailInput::save_db() {
  if (!db_ || !db_is_dirty_) return;
  DbEntries entries;
  for (const auto& [key, f] : files_) entries[key] = {f->committed(), f->size(), f->path()};
  for (const auto& [key, e] : aged_) entries.emplace(key, e);  // kept for when they are written again
  for (const auto& [key, p] : parked_) entries.emplace(key, p.at);
  std::string error;
  last_db_save_ = std::chrono::steady_clock::now();
  if (db_->save(entries, error)) {
    db_is_dirty_ = false;
  } else if (g_db_error_log.hit() != 0) {
    log::error("tail: offsets file: {}", error);
  }
}

}  // namespace tail

std::unique_ptr<Input> make_tail_input(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  return std::make_unique<tail::TailInput>(make_tail_config(cfg, ctx));
}

}  // namespace sluice
