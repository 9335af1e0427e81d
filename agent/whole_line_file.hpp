// An append-only file of text lines that only ever holds whole lines: what
// the dead-letter store and its replay marks are written with.
#pragma once
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>

namespace sluice {

// Thread-safe; several processes may append to the same file (each append
// holds an flock on it). The file is opened on the first append and opened
// again when its path no longer names it (moved or removed by the user).
class WholeLineFile {
 public:
  explicit WholeLineFile(std::string path) : path_(std::move(path)) {}
  ~WholeLineFile();
  WholeLineFile(const WholeLineFile&) = delete;
  WholeLineFile& operator=(const WholeLineFile&) = delete;

  // Appends `lines` (each ending in '\n') with one write and fdatasync: on
  // success all of them are on disk; on failure (disk full, permissions, an
  // I/O error) none are: a short write is cut back to the size before it.
  // Returns the error, or an empty error_code.
  std::error_code append(std::string_view lines);
  const std::string& path() const { return path_; }
  // At start: opens the file if it exists (creating nothing) and cuts a torn
  // last line, so it is whole before the first append. Errors are left for
  // append() to report.
  void repair();

  // Cuts a last line without its '\n' (a write torn by a crash) from the file
  // open as fd; returns how many bytes were cut (-1 and errno on an error).
  // The caller holds the file's flock.
  static int64_t cut_torn_tail(int fd);

 private:
  std::error_code open_locked(bool create = true);

  std::mutex mu_;
  std::string path_;
  int fd_ = -1;
};

}  // namespace sluice
