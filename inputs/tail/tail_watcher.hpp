// inotify for the tail input, read through an asio stream_descriptor on the
// main io_context: growth, truncation, rename and deletion of followed
// files, and files created in or moved into watched directories.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "agent/asio.hpp"

namespace sluice::tail {

class TailWatcher {
 public:
  // wd, inotify mask; wd is -1 with IN_Q_OVERFLOW (events were lost).
  using Callback = std::function<void(int wd, uint32_t mask)>;

  // nullptr with error set when inotify is unavailable (the caller polls).
  static std::unique_ptr<TailWatcher> create(boost::asio::io_context& io, Callback cb, std::string& error);
  ~TailWatcher();
  TailWatcher(const TailWatcher&) = delete;
  TailWatcher& operator=(const TailWatcher&) = delete;

  // Watches the file open as fd (its inode, not whatever path names it
  // later; through path if /proc is unavailable); -1 on failure.
  int add_file(int fd, const std::string& path);
  int add_dir(const std::string& dir);
  void remove(int wd);
  // Stops reading events; the callback is not called afterwards.
  void close();

 private:
  TailWatcher(boost::asio::io_context& io, int fd, Callback cb);
  void arm();
  void drain();

  boost::asio::posix::stream_descriptor sd_;
  int fd_;
  Callback cb_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sluice::tail
