// The tail input's runtime, shared by tail_input.cpp (reading, delivery
// acknowledgements, offsets file) and tail_discovery.cpp (globs, new files,
// rotation, inotify). Everything runs on the main io_context.
#pragma once
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <sys/stat.h>

#include "agent/asio.hpp"
#include "agent/input.hpp"
#include "agent/log.hpp"
#include "inputs/tail/tail_acks.hpp"
#include "inputs/tail/tail_config.hpp"
#include "inputs/tail/tail_db.hpp"
#include "inputs/tail/tail_file.hpp"
#include "inputs/tail/tail_metrics.hpp"
#include "inputs/tail/tail_watcher.hpp"

namespace sluice::tail {

inline FileKey key_of(const struct stat& st) {
  return {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
}

// A followed file without a descriptor (tail_descriptors.cpp): one read to
// its end and delivered, closed to spare descriptors, or one not opened yet
// for want of one. It is opened again once it changes on disk.
struct ParkedFile {
  DbEntry at;             // where reading resumes, the size when closed, and the path naming it
  int64_t mtime_ns = -1;  // when closed; -1: never opened, so it wants a descriptor
  int wd = -1;            // its inotify watch, kept: a watch holds no descriptor
  bool rotated = false;   // no matching path names it any more (found beside its old path)
  bool waiting = false;   // in the queue for a descriptor
};

// Runs on the main io_context (InputContext::io()). Every handler it posts
// holds `alive_` and does nothing once the input is gone.
class TailInput final : public Input {
 public:
  explicit TailInput(TailInputConfig cfg) : cfg_(std::move(cfg)) {}
  ~TailInput() override;

  void start(InputContext& ctx) override;
  void stop() override;
  void finish() override;
  bool settled() const override { return cookies_.empty(); }
  std::unique_ptr<InputCarry> carry_over() override;
  void resume_from(std::unique_ptr<InputCarry> carry) override;
  void describe_health(json::Writer& out) const override;  // tail_health.cpp

 private:
  using Timer = boost::asio::steady_timer;

  // --- discovery (tail_discovery.cpp) ---
  void initial_scan(DbEntries saved);
  void resume_orphans(const DbEntries& orphans);
  void defer_at_start(const std::string& path, DbEntries& saved);
  void scan();
  void refresh();  // scan on refresh_interval
  void request_scan();
  // Opens path as a regular file; -1 (after a warning) if it can't be.
  int open_regular(const std::string& path, FileKey& key, uint64_t& size);
  TailFile& add_file(int fd, FileKey key, const std::string& path, uint64_t offset, bool rotated,
                     bool announce = true);
  // The tag of a file's records: tag_regex's captures, or `*` expanded.
  std::string file_tag(const std::string& path);
  // ignore_older: true when the open file was last modified too long ago.
  bool aged_out(int fd) const;
  bool too_old(const struct stat& st) const;
  // Remembers an aged-out file and closes fd; it is followed from offset
  // once it is written again.
  void set_aside(int fd, FileKey key, const std::string& path, uint64_t offset);
  void mark_rotated(TailFile& f);
  void release(TailFile& f);
  void update_dir_watches(const std::vector<std::string>& matches);
  void on_inotify(int wd, uint32_t mask);
  // Checks every followed file for growth, truncation and rotation, and lets
  // go of rotated files that are done.
  void check_files();
  void poll();
  // Polling every poll_interval is needed only when inotify can't tell us
  // everything: it is off or unavailable, a file has no watch, or a rotated
  // file waits for rotate_wait. Otherwise the input sleeps until an event,
  // and refresh_interval's scan is the safety net.
  bool needs_polling() const;
  void update_polling();

  // --- descriptors (tail_descriptors.cpp) ---
  // Files may be many more than descriptors (ulimit -n): at most
  // fd_budget_ are open at once, and when another must be opened, files
  // read to their end and delivered are closed (parked) first, least
  // recently active first. A parked file is opened again when it changes.
  static size_t descriptor_budget();
  // True when one more file may be opened now (after parking some if needed).
  bool room_for_one();
  bool parkable(const TailFile& f) const;
  void park(TailFile& f);
  // A matching file that can't have a descriptor now: followed from offset once it can.
  void defer(const std::string& path, const struct stat& st, uint64_t offset);
  bool wants_descriptor(const ParkedFile& p, const struct stat& st) const;
  // Opens the parked file key, which path names; false when it can't be now.
  bool unpark(FileKey key, const std::string& path_ref);
  void wait_for_descriptor(FileKey key);
  bool starved() const { return !waiting_.empty(); }
  // Opens the files waiting for a descriptor, in order, while descriptors last.
  void admit();
  void request_admit();
  // Opens the parked files changed on disk: those without an inotify watch,
  // or all of them (refresh_interval's safety net).
  void check_parked(bool all);
  // A parked file no matching path names any more (rotated or deleted while closed).
  void parked_vanished(FileKey key);
  void note_starved();

  // --- reading and delivery (tail_input.cpp) ---
  void queue(TailFile& f);
  void schedule_pump();
  void pump();
  void deliver(TailFile& f, ReadResult r);
  void check_exit_on_eof();
  // Multiline records: a timer for the earliest open record's flush
  // timeout, armed only while one is open.
  void arm_multiline();
  void flush_multiline(bool all);
  void on_acks(const std::vector<AckInbox::Ack>& acks);
  void db_dirty();
  void save_db();
  void arm(Timer& t, std::chrono::nanoseconds after, void (TailInput::*fn)());
  template <class F>
  auto guarded(F f) {
    // In the input's own log_level: these handlers run outside the core's calls.
    return [alive = alive_, level = ctx_ != nullptr ? ctx_->log_level() : -1, f = std::move(f)](auto&&... args) {
      log::Scope scope(level);
      if (*alive) f(std::forward<decltype(args)>(args)...);
    };
  }

  TailInputConfig cfg_;
  std::optional<DbEntries> carried_;  // a reload's predecessor's offsets, used instead of the db's
  InputContext* ctx_ = nullptr;
  std::optional<TailMetrics> metrics_;
  std::map<FileKey, std::unique_ptr<TailFile>> files_;
  std::deque<FileKey> ready_;
  std::unordered_map<uint64_t, FileKey> cookies_;  // chunks in flight
  uint64_t next_cookie_ = 1;
  std::shared_ptr<AckInbox> inbox_;
  std::unique_ptr<TailWatcher> watcher_;
  std::unordered_map<int, FileKey> file_wds_;
  std::map<std::string, int> dir_wds_;
  std::set<std::string> unreadable_;  // warned about once
  std::set<std::string> untagged_;    // tag_regex didn't match: warned about once
  DbEntries aged_;                    // ignore_older: files set aside, where to resume them
  std::map<FileKey, ParkedFile> parked_;
  size_t fd_budget_ = 0;
  std::deque<FileKey> waiting_;      // parked files that want a descriptor, first come first
  bool out_of_descriptors_ = false;  // the last open_regular failed with EMFILE/ENFILE
  bool starved_noted_ = false;
  bool admit_posted_ = false;
  std::optional<TailDb> db_;
  ReadScratch scratch_;
  std::optional<Timer> poll_timer_, refresh_timer_, pause_timer_, db_timer_, ml_timer_;
  bool ml_armed_ = false;
  std::chrono::steady_clock::time_point ml_armed_for_{};
  bool pump_posted_ = false;
  bool scan_posted_ = false;
  bool poll_armed_ = false;
  bool pausing_ = false;
  std::chrono::steady_clock::time_point last_db_save_{};
  bool db_armed_ = false;
  bool db_is_dirty_ = false;
  bool started_ = false;
  bool stopped_ = false;
  bool finished_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sluice::tail
