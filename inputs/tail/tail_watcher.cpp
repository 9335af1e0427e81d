// inotify watcher of the tail input; see tail_watcher.hpp.
#include "inputs/tail/tail_watcher.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sluice::tail {

namespace {
// IN_ATTRIB: unlinking a file we hold open changes its link count, and
// IN_DELETE_SELF only comes once the last descriptor is closed.
constexpr uint32_t kFileMask = IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF;
constexpr uint32_t kDirMask = IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR;
}  // namespace

std::unique_ptr<TailWatcher> TailWatcher::create(boost::asio::io_context& io, Callback cb, std::string& error) {
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    error = std::string("inotify_init1: ") + std::strerror(errno);
    return nullptr;
  }
  std::unique_ptr<TailWatcher> w(new TailWatcher(io, fd, std::move(cb)));
  w->arm();
  return w;
}

TailWatcher::TailWatcher(boost::asio::io_context& io, int fd, Callback cb) : sd_(io, fd), fd_(fd), cb_(std::move(cb)) {}

TailWatcher::~TailWatcher() { close(); }

int TailWatcher::add_file(int fd, const std::string& path) {
  if (!sd_.is_open()) return -1;
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  int wd = inotify_add_watch(fd_, link.c_str(), kFileMask);
  return wd >= 0 ? wd : inotify_add_watch(fd_, path.c_str(), kFileMask);
}

int TailWatcher::add_dir(const std::string& dir) {
  if (!sd_.is_open()) return -1;
  return inotify_add_watch(fd_, dir.c_str(), kDirMask);
}

void TailWatcher::remove(int wd) {
  if (sd_.is_open() && wd >= 0) inotify_rm_watch(fd_, wd);
}

void TailWatcher::close() {
  *alive_ = false;
  boost::system::error_code ec;
  sd_.close(ec);  // closes fd_; the pending wait completes with operation_aborted
}

void TailWatcher::arm() {
  sd_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                 [this, alive = alive_](const boost::system::error_code& ec) {
                   if (ec || !*alive) return;
                   drain();
                   if (*alive) arm();
                 });
}

void TailWatcher::drain() {
  alignas(inotify_event) char buf[16 * 1024];
  std::shared_ptr<bool> alive = alive_;  // the callback may close this watcher
  while (*alive) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // EAGAIN: nothing more for now
    for (ssize_t off = 0; off < n && *alive;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
      cb_(ev->mask & IN_Q_OVERFLOW ? -1 : ev->wd, ev->mask);
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
    }
  }
}

}  // namespace sluice::tail
