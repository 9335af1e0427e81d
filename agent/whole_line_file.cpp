// Whole-line appends; see whole_line_file.hpp.
#include "agent/whole_line_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "agent/log.hpp"

namespace sluice {

namespace {

std::error_code last_error() { return {errno, std::generic_category()}; }

// Holds an exclusive flock for one append: a second process writing the same
// file (sluice and `sluice dead-letter replay`) can't interleave with it or
// see its size before a cut-back.
class FileLock {
 public:
  explicit FileLock(int fd) : fd_(fd) {
    while (::flock(fd_, LOCK_EX) < 0 && errno == EINTR) {
    }
  }
  ~FileLock() { ::flock(fd_, LOCK_UN); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

}  // namespace

WholeLineFile::~WholeLineFile() {
  if (fd_ >= 0) ::close(fd_);
}

int64_t WholeLineFile::cut_torn_tail(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) < 0) return -1;
  off_t end = st.st_size;
  if (end == 0) return 0;
  // Read backwards in blocks until the last '\n' (or the file's start).
  std::vector<char> block(64 * 1024);
  off_t pos = end;
  while (pos > 0) {
    off_t from = pos > static_cast<off_t>(block.size()) ? pos - static_cast<off_t>(block.size()) : 0;
    ssize_t n = ::pread(fd, block.data(), static_cast<size_t>(pos - from), from);
    if (n < 0 && errno == EINTR) continue;
    if (n != pos - from) return -1;
    for (ssize_t i = n; i > 0; --i) {
      if (block[static_cast<size_t>(i - 1)] == '\n') {
        off_t keep = from + i;
        if (keep == end) return 0;
        if (::ftruncate(fd, keep) < 0) return -1;
        return end - keep;
      }
    }
    pos = from;
  }
  if (::ftruncate(fd, 0) < 0) return -1;
  return end;
}

// Under mu_. Opens path_ (again when it no longer names the open file) and
// cuts a torn last line a crash left.
std::error_code WholeLineFile::open_locked(bool create) {
  if (fd_ >= 0) {
    struct stat open_st {}, path_st {};
    if (::fstat(fd_, &open_st) == 0 && ::stat(path_.c_str(), &path_st) == 0 && open_st.st_dev == path_st.st_dev &&
        open_st.st_ino == path_st.st_ino)
      return {};
    ::close(fd_);  // moved away or removed: a new file under the configured path
    fd_ = -1;
  }
  fd_ = ::open(path_.c_str(), O_RDWR | O_APPEND | O_CLOEXEC | (create ? O_CREAT : 0), 0640);
  if (fd_ < 0) return last_error();
  FileLock lock(fd_);
  int64_t cut = cut_torn_tail(fd_);
  if (cut < 0) {
    std::error_code ec = last_error();
    ::close(fd_);
    fd_ = -1;
    return ec;
  }
  if (cut > 0)
    log::warn("{}: cut {} bytes of a torn last line (a write interrupted by a crash or a full disk)", path_, cut);
  return {};
}

void WholeLineFile::repair() {
  std::lock_guard guard(mu_);
  open_locked(false);
}

std::error_code WholeLineFile::append(std::string_view lines) {
  if (lines.empty()) return {};
  std::lock_guard guard(mu_);
  if (std::error_code ec = open_locked()) return ec;
  std::error_code ec;
  bool cut_back_failed = false;
  {
    FileLock lock(fd_);
    struct stat st {};
    if (::fstat(fd_, &st) < 0) return last_error();
    const off_t before = st.st_size;
    size_t done = 0;
    while (done < lines.size()) {
      ssize_t n = ::write(fd_, lines.data() + done, lines.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        ec = last_error();
        break;
      }
      if (n == 0) {
        ec = std::make_error_code(std::errc::no_space_on_device);
        break;
      }
      done += static_cast<size_t>(n);
    }
    if (!ec && ::fdatasync(fd_) < 0) ec = last_error();
    if (ec && ::ftruncate(fd_, before) < 0) {
      log::error("{}: cannot cut a failed append back to {} bytes: {}", path_, static_cast<int64_t>(before),
                 last_error().message());
      cut_back_failed = true;
    }
  }
  if (cut_back_failed) {
    // Closed (after unlocking), so the next append opens it again and cuts
    // the torn line then.
    ::close(fd_);
    fd_ = -1;
  }
  return ec;
}

}  // namespace sluice
