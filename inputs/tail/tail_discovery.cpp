// The tail input's file discovery: globs at start (with saved offsets),
// new files later (refresh_interval, inotify on directories), rotation and
// deletion (a file no matching path names any more is read to its end,
// then let go), and polling. See tail_input_impl.hpp.
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "agent/log.hpp"
#include "inputs/tail/tail_input_impl.hpp"

namespace sluice::tail {

int TailInput::open_regular(const std::string& path, FileKey& key, uint64_t& size) {
  // O_NONBLOCK: a FIFO matching the glob must not block the main thread.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  out_of_descriptors_ = fd < 0 && (errno == EMFILE || errno == ENFILE);
  if (out_of_descriptors_) {
    // Not this file's fault (the caller parks it): something else holds the
    // descriptors the budget counted on, so the budget is what could be opened.
    fd_budget_ = std::max<size_t>(1, files_.size());
    return -1;
  }
  struct stat st {};
  if (fd >= 0 && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    unreadable_.erase(path);
    key = key_of(st);
    size = static_cast<uint64_t>(st.st_size);
    return fd;
  }
  int err = errno;
  bool regular = fd < 0 || S_ISREG(st.st_mode);
  if (fd >= 0) ::close(fd);
  if (unreadable_.insert(path).second) {
    if (regular) log::warn("tail: can't open {}: {}", path, std::strerror(err));
    else log::warn("tail: {} is not a regular file; skipped", path);
  }
  return -1;
}

TailFile& TailInput::add_file(int fd, FileKey key, const std::string& path, uint64_t offset, bool rotated,
                              bool announce) {
  auto file = std::make_unique<TailFile>(fd, key, path, file_tag(path), offset, cfg_, *metrics_);
  TailFile& f = *file;
  f.rotated = rotated;
  if (watcher_) {
    f.wd = watcher_->add_file(fd, path);
    if (f.wd >= 0) file_wds_[f.wd] = key;
  }
  files_[key] = std::move(file);
  metrics_->files_open->set(files_.size());
  if (announce) log::info("tail: following {}{} from offset {}", path, rotated ? " (rotated)" : "", offset);
  else log::debug("tail: {} changed; opened again at offset {}", path, offset);
  queue(f);
  return f;
}

std::string TailInput::file_tag(const std::string& path) {
  if (!cfg_.tag_regex) return expand_tag(cfg_.tag, path);
  bool matched = false;
  std::string tag = regex_tag(cfg_.tag, *cfg_.tag_regex, path, &matched);
  // Fluent Bit doesn't follow such a file; sluice does, rather than lose it.
  if (!matched && untagged_.insert(path).second) {
    log::warn("tail: tag_regex doesn't match {}; its records are tagged {}", path, tag);
  }
  return tag;
}

bool TailInput::aged_out(int fd) const {
  struct stat st {};
  return cfg_.ignore_older.count() > 0 && ::fstat(fd, &st) == 0 && too_old(st);
}

bool TailInput::too_old(const struct stat& st) const {
  if (cfg_.ignore_older.count() <= 0) return false;
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto mtime = std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec);
  return now - mtime > cfg_.ignore_older;
}

void TailInput::set_aside(int fd, FileKey key, const std::string& path, uint64_t offset) {
  struct stat st {};
  uint64_t size = ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : offset;
  ::close(fd);
  if (aged_.count(key) == 0) {
    log::info("tail: {} was last modified longer ago than ignore_older; not followed until it is written again",
              path);
  }
  aged_[key] = {offset, size, path};
}

void TailInput::initial_scan(DbEntries saved) {
  auto matches = expand_globs(cfg_.paths, cfg_.exclude_paths);
  for (const auto& path : matches) {
    FileKey key;
    uint64_t size = 0;
    int fd = room_for_one() ? open_regular(path, key, size) : -1;
    if (fd < 0 && (out_of_descriptors_ || files_.size() >= fd_budget_)) {
      defer_at_start(path, saved);
      continue;
    }
    if (fd < 0) continue;
    if (files_.count(key) != 0 || parked_.count(key) != 0) {  // a second name of a file already followed
      ::close(fd);
      continue;
    }
    uint64_t offset = cfg_.read_from_head ? 0 : size;
    auto it = saved.find(key);
    if (it != saved.end() && cfg_.db_compare_filename && it->second.path != path) {
      // db.compare_filename: the inode is another file's now (reused), or this one was renamed.
      log::info("tail: {}: the offset in db for its inode was saved for {}; read as a new file (db.compare_filename)",
                path, it->second.path);
      saved.erase(it);
      it = saved.end();
    }
    if (it != saved.end()) {
      offset = it->second.offset;
      if (size < offset) {
        log::info("tail: {} shrank while sluice was stopped (truncated); reading it from the start", path);
        metrics_->truncations->add();
        offset = 0;
      }
      saved.erase(it);
      if (aged_out(fd)) {
        set_aside(fd, key, path, offset);
        continue;
      }
    } else if (aged_out(fd)) {
      set_aside(fd, key, path, size);  // only what is written from now on is new
      continue;
    }
    add_file(fd, key, path, offset, false);
  }
  resume_orphans(saved);
  update_dir_watches(matches);
}

// A match found at start that can't have a descriptor yet: where it will be
// read from is decided now, as for the files opened.
void TailInput::defer_at_start(const std::string& path, DbEntries& saved) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
  FileKey key = key_of(st);
  if (files_.count(key) != 0 || parked_.count(key) != 0) return;
  auto size = static_cast<uint64_t>(st.st_size);
  uint64_t offset = cfg_.read_from_head ? 0 : size;
  if (auto it = saved.find(key); it != saved.end()) {
    offset = it->second.offset <= size ? it->second.offset : 0;
    saved.erase(it);
  }
  if (too_old(st)) {
    aged_[key] = {offset, size, path};
    return;
  }
  defer(path, st, offset);
}

// Saved files no glob matches: rotated (renamed) before sluice stopped and
// not finished. Look for the inode beside its old path and finish it.
void TailInput::resume_orphans(const DbEntries& orphans) {
  for (const auto& [key, e] : orphans) {
    if (auto found = find_in_dir(parent_dir(e.path), key)) {
      FileKey k;
      uint64_t size = 0;
      int fd = open_regular(*found, k, size);
      if (fd >= 0 && k == key && files_.count(k) == 0) {
        log::info("tail: {} was rotated to {} before it was read to its end; finishing it", e.path, *found);
        add_file(fd, key, e.path, size < e.offset ? 0 : e.offset, true);
        continue;
      }
      if (fd >= 0) ::close(fd);
    }
    if (e.size > e.offset) {
      metrics_->bytes_lost->add(e.size - e.offset);
      log::warn("tail: {} disappeared while sluice was stopped; at least {} bytes after offset {} were never read",
                e.path, e.size - e.offset, e.offset);
    }
  }
}

void TailInput::request_scan() {
  if (scan_posted_ || stopped_ || finished_) return;
  scan_posted_ = true;
  boost::asio::post(ctx_->io(), guarded([this] {
    scan_posted_ = false;
    if (!stopped_ && !finished_) scan();
  }));
}

void TailInput::refresh() {
  scan();
  check_files();  // with inotify, the safety net for events it missed
  check_parked(true);
  update_polling();
  arm(*refresh_timer_, cfg_.refresh_interval, &TailInput::refresh);
}

void TailInput::scan() {
  auto matches = expand_globs(cfg_.paths, cfg_.exclude_paths);
  std::set<FileKey> seen;
  for (const auto& path : matches) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) continue;
    if (auto it = files_.find(key_of(st)); it != files_.end()) {
      it->second->current_path = path;
      seen.insert(key_of(st));
      continue;
    }
    if (auto parked = parked_.find(key_of(st)); parked != parked_.end()) {
      seen.insert(parked->first);
      if (!parked->second.rotated) parked->second.at.path = path;
      // (One waiting for a descriptor already has its turn in admit().)
      if (!parked->second.waiting && wants_descriptor(parked->second, st)) unpark(parked->first, path);
      continue;
    }
    if (auto aged = aged_.find(key_of(st)); aged != aged_.end() && too_old(st)) {
      seen.insert(aged->first);
      continue;
    }
    FileKey key;
    uint64_t size = 0;
    int fd = room_for_one() ? open_regular(path, key, size) : -1;
    if (fd < 0 && (out_of_descriptors_ || files_.size() >= fd_budget_)) {
      // Appeared after start: read from its head (read_newly_discovered_files_from_head).
      auto at = static_cast<uint64_t>(st.st_size);
      uint64_t offset = cfg_.read_new_from_head ? 0 : at;
      if (auto aged = aged_.find(key_of(st)); aged != aged_.end()) {
        offset = aged->second.offset <= at ? aged->second.offset : 0;
        aged_.erase(aged);
      }
      seen.insert(key_of(st));
      defer(path, st, offset);
      continue;
    }
    if (fd < 0) continue;
    seen.insert(key);
    if (files_.count(key) != 0) {  // replaced between stat and open
      ::close(fd);
      continue;
    }
    // Appeared after start: read from its head (read_newly_discovered_files_from_head).
    uint64_t offset = cfg_.read_new_from_head ? 0 : size;
    if (auto aged = aged_.find(key); aged != aged_.end()) {
      offset = aged->second.offset <= size ? aged->second.offset : 0;  // written again (or truncated)
      aged_.erase(aged);
    } else if (aged_out(fd)) {
      set_aside(fd, key, path, size);
      continue;
    }
    add_file(fd, key, path, offset, false);
  }
  std::erase_if(aged_, [&](const auto& a) { return seen.count(a.first) == 0; });  // deleted or renamed away
  std::vector<FileKey> vanished;
  for (const auto& [key, p] : parked_)
    if (seen.count(key) == 0) vanished.push_back(key);
  for (FileKey key : vanished) parked_vanished(key);
  for (auto& [key, f] : files_) {
    if (seen.count(key) != 0) {
      f->rotated = false;  // moved back under a matching name
    } else if (!f->rotated) {
      mark_rotated(*f);
    }
  }
  update_dir_watches(matches);
  update_polling();
}

void TailInput::mark_rotated(TailFile& f) {
  f.rotated = true;
  metrics_->rotations->add();
  auto now = fd_path(f.fd());
  log::info("tail: {} was {}; reading it to its end", f.path(), now ? "rotated to " + *now : "deleted or renamed");
  queue(f);
}

void TailInput::release(TailFile& f) {
  if (watcher_ && f.wd >= 0) {
    watcher_->remove(f.wd);
    file_wds_.erase(f.wd);
  }
  log::info("tail: done with rotated file {} (read and delivered up to offset {})", f.path(), f.committed());
  files_.erase(f.key());  // destroys f
  metrics_->files_open->set(files_.size());
  db_dirty();
}

void TailInput::update_dir_watches(const std::vector<std::string>& matches) {
  if (!watcher_) return;
  for (const auto& dir : watch_dirs(cfg_.paths, matches)) {
    if (dir_wds_.count(dir) != 0) continue;
    int wd = watcher_->add_dir(dir);
    if (wd >= 0) dir_wds_[dir] = wd;
  }
}

void TailInput::on_inotify(int wd, uint32_t mask) {
  if (stopped_ || finished_) return;
  if (wd < 0) {  // the kernel queue overflowed: events were lost
    request_scan();
    for (auto& [key, f] : files_) queue(*f);
    return;
  }
  if (mask & IN_IGNORED) {  // the kernel dropped the watch (file gone, filesystem unmounted)
    if (auto it = file_wds_.find(wd); it != file_wds_.end()) {
      if (auto f = files_.find(it->second); f != files_.end()) f->second->wd = -1;
      if (auto p = parked_.find(it->second); p != parked_.end()) p->second.wd = -1;
      file_wds_.erase(it);
      update_polling();  // that file is now watched by polling only
    }
    std::erase_if(dir_wds_, [wd](const auto& d) { return d.second == wd; });
    return;
  }
  if (auto it = file_wds_.find(wd); it != file_wds_.end()) {
    auto f = files_.find(it->second);
    if (f == files_.end()) {
      if (auto p = parked_.find(it->second); p != parked_.end()) {
        if (mask & (IN_MOVE_SELF | IN_DELETE_SELF | IN_ATTRIB)) request_scan();
        if ((mask & IN_MODIFY) && !p->second.waiting) unpark(p->first, p->second.at.path);
      }
      return;
    }
    if (mask & (IN_MOVE_SELF | IN_DELETE_SELF | IN_ATTRIB)) request_scan();
    queue(*f->second);
    return;
  }
  request_scan();  // a directory changed: maybe a new file
}

void TailInput::check_files() {
  bool rescan = false;
  auto now = TailFile::Clock::now();
  std::vector<TailFile*> done;
  for (auto& [key, f] : files_) {
    bool changed = f->changed_on_disk();
    if (changed) queue(*f);
    if (!f->rotated) {
      struct stat st {};
      if (::stat(f->current_path.c_str(), &st) != 0 || key_of(st) != key) rescan = true;
      continue;
    }
    // A rotated file goes once read to its end, delivered, and quiet for rotate_wait.
    if (changed || !f->at_eof() || f->queued || now - f->last_activity() < cfg_.rotate_wait) continue;
    if (f->has_held_data()) {
      deliver(*f, f->flush(scratch_, realtime_ns()));
    } else if (f->fully_acknowledged()) {
      done.push_back(f.get());
    }
  }
  for (TailFile* f : done) release(*f);
  if (rescan) request_scan();
}

void TailInput::poll() {
  poll_armed_ = false;
  check_files();
  check_parked(false);  // without inotify (or a watch), the only way to see a closed file change
  admit();
  update_polling();
}

bool TailInput::needs_polling() const {
  if (!watcher_ || starved()) return true;
  for (const auto& [key, f] : files_)
    if (f->wd < 0 || f->rotated) return true;
  for (const auto& [key, p] : parked_)
    if (p.wd < 0) return true;
  return false;
}

void TailInput::update_polling() {
  if (poll_armed_ || stopped_ || finished_ || !started_ || !needs_polling()) return;
  poll_armed_ = true;
  arm(*poll_timer_, cfg_.poll_interval, &TailInput::poll);
}

}  // namespace sluice::tail
