// The tail input's descriptor budget: a glob may match more files than the
// process may hold open (ulimit -n; Fluent Bit keeps every one open and
// fails to open the rest). Files read to their end and delivered are closed
// (parked) when another needs a descriptor, and opened again when they
// change; files that couldn't be opened wait, parked, for a descriptor.
// See tail_input_impl.hpp.
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <limits>

#include "agent/log.hpp"
#include "inputs/tail/tail_input_impl.hpp"

namespace sluice::tail {

namespace {
// Descriptors left to the rest of the process (sockets, outputs, the
// offsets file): a quarter of the limit, at most this many.
constexpr size_t kReservedDescriptors = 256;

int64_t mtime_ns(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}
}  // namespace

size_t TailInput::descriptor_budget() {
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
      rl.rlim_cur >= std::numeric_limits<size_t>::max() / 2) {
    return std::numeric_limits<size_t>::max();
  }
  auto soft = static_cast<size_t>(rl.rlim_cur);
  return std::max<size_t>(1, soft - std::min(soft / 4, kReservedDescriptors));
}

bool TailInput::parkable(const TailFile& f) const {
  return f.at_eof() && !f.queued && !f.rotated && f.fully_acknowledged() && !f.has_held_data() &&
         f.committed() == f.read_offset() && f.size() == f.read_offset() && !f.multiline_due();
}

bool TailInput::room_for_one() {
  if (files_.size() < fd_budget_) return true;
  std::vector<TailFile*> done;
  for (auto& [key, f] : files_)
    if (parkable(*f)) done.push_back(f.get());
  if (done.empty()) return false;
  // A batch at a time, so the next opens needn't look again.
  size_t n = std::min(done.size(), std::max<size_t>(1, fd_budget_ / 8));
  std::partial_sort(done.begin(), done.begin() + static_cast<std::ptrdiff_t>(n), done.end(),
                    [](const TailFile* a, const TailFile* b) { return a->last_activity() < b->last_activity(); });
  for (size_t i = 0; i < n; ++i) park(*done[i]);
  return true;
}

void TailInput::park(TailFile& f) {
  struct stat st {};
  ParkedFile p;
  p.at = {f.committed(), f.size(), f.current_path};
  p.mtime_ns = ::fstat(f.fd(), &st) == 0 ? mtime_ns(st) : -1;
  p.wd = f.wd;  // file_wds_ keeps naming the key: an event on it opens the file again
  FileKey key = f.key();
  parked_[key] = std::move(p);
  files_.erase(key);  // closes the descriptor
  metrics_->files_open->set(files_.size());
}

void TailInput::defer(const std::string& path, const struct stat& st, uint64_t offset) {
  ParkedFile p;
  p.at = {offset, static_cast<uint64_t>(st.st_size), path};
  FileKey key = key_of(st);
  parked_[key] = std::move(p);
  wait_for_descriptor(key);
}

void TailInput::wait_for_descriptor(FileKey key) {
  auto it = parked_.find(key);
  if (it == parked_.end() || it->second.waiting) return;
  it->second.waiting = true;
  waiting_.push_back(key);
  note_starved();
}

void TailInput::note_starved() {
  if (starved_noted_) return;
  starved_noted_ = true;
  log::warn("tail: more files match than descriptors allow (at most {} open, from ulimit -n): files read to their "
            "end are closed and opened again when written, the others wait for a descriptor",
            fd_budget_);
}

bool TailInput::wants_descriptor(const ParkedFile& p, const struct stat& st) const {
  return p.mtime_ns < 0 || static_cast<uint64_t>(st.st_size) != p.at.offset || mtime_ns(st) != p.mtime_ns;
}

bool TailInput::unpark(FileKey key, const std::string& path_ref) {
  const std::string path = path_ref;  // the caller's may be the parked entry's own, erased below
  auto it = parked_.find(key);
  if (it == parked_.end()) return true;
  FileKey found;
  uint64_t size = 0;
  int fd = room_for_one() ? open_regular(path, found, size) : -1;
  if (fd < 0) {
    if (out_of_descriptors_ || files_.size() >= fd_budget_) {
      wait_for_descriptor(key);
      return false;
    }
    request_scan();  // gone between stat and open: the scan sorts it out
    return true;
  }
  if (found != key) {  // the path names another file now
    ::close(fd);
    request_scan();
    return true;
  }
  ParkedFile p = std::move(it->second);
  parked_.erase(it);
  uint64_t offset = p.at.offset;
  if (size < offset) {
    log::info("tail: {} was truncated while closed; reading it again from the start", path);
    metrics_->truncations->add();
    offset = 0;
  }
  // A file parked once was announced when it was first followed.
  TailFile& f = add_file(fd, key, p.rotated ? p.at.path : path, offset, p.rotated, p.mtime_ns < 0);
  if (p.rotated) f.current_path = path;
  return true;
}

void TailInput::request_admit() {
  if (admit_posted_ || stopped_ || finished_ || waiting_.empty()) return;
  admit_posted_ = true;
  boost::asio::post(ctx_->io(), guarded([this] {
    admit_posted_ = false;
    if (!stopped_ && !finished_) admit();
  }));
}

void TailInput::admit() {
  // First come, first opened: files never opened in the order found, then
  // closed ones in the order they changed.
  while (!waiting_.empty()) {
    FileKey key = waiting_.front();
    auto it = parked_.find(key);
    if (it == parked_.end() || !it->second.waiting) {  // opened or let go meanwhile
      waiting_.pop_front();
      continue;
    }
    if (!room_for_one()) break;
    waiting_.pop_front();
    it->second.waiting = false;
    std::string path = it->second.at.path;
    if (!unpark(key, path)) break;  // out of descriptors after all: queued again
  }
  if (starved()) update_polling();  // descriptors held elsewhere come back without an event
  check_exit_on_eof();
}

void TailInput::check_parked(bool all) {
  std::vector<std::pair<FileKey, std::string>> changed;
  for (const auto& [key, p] : parked_) {
    if (p.waiting || (!all && p.wd >= 0)) continue;  // queued already, or its watch will say
    struct stat st {};
    if (::stat(p.at.path.c_str(), &st) != 0 || key_of(st) != key) {
      if (!p.rotated) request_scan();  // renamed or deleted while closed
    } else if (wants_descriptor(p, st)) {
      changed.emplace_back(key, p.at.path);
    }
  }
  for (const auto& [key, path] : changed) unpark(key, path);
}

void TailInput::parked_vanished(FileKey key) {
  auto it = parked_.find(key);
  if (it == parked_.end()) return;
  ParkedFile& p = it->second;
  if (auto found = find_in_dir(parent_dir(p.at.path), key)) {
    // Rotated while closed: followed as any rotated file, read to its end
    // and let go once quiet for rotate_wait (its writer may not have
    // reopened yet).
    if (!p.rotated) {
      log::info("tail: {} was rotated to {} while closed; reading it to its end", p.at.path, *found);
      metrics_->rotations->add();
      p.rotated = true;
    }
    if (!unpark(key, *found)) p.at.path = *found;  // waits for a descriptor; admit() opens it there
    return;
  }
  if (p.at.size > p.at.offset) {
    metrics_->bytes_lost->add(p.at.size - p.at.offset);
    log::warn("tail: {} disappeared before {} bytes after offset {} could be read", p.at.path,
              p.at.size - p.at.offset, p.at.offset);
  }
  if (watcher_ && p.wd >= 0) {
    watcher_->remove(p.wd);
    file_wds_.erase(p.wd);
  }
  parked_.erase(it);
  db_dirty();
}

}  // namespace sluice::tail
