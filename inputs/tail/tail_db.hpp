// The tail input's offsets file (`db`): for each followed file, identified
// by (device, inode), the offset delivered up to and its path. Written
// atomically (temp file, fsync, rename) so a crash leaves the old or the
// new version, never a torn one. Main thread.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "inputs/tail/tail_paths.hpp"

namespace sluice::tail {

struct DbEntry {
  uint64_t offset = 0;  // committed: every line before it was delivered
  uint64_t size = 0;    // file size when last seen (to count bytes lost if it vanishes)
  std::string path;
};

using DbEntries = std::map<FileKey, DbEntry>;

class TailDb {
 public:
  // sync false (db.sync: off): the file and its directory are not fsynced,
  // so a power loss may leave an older version (lines are read again).
  // A path holding Fluent Bit's SQLite offsets database (fluent_bit_db.hpp)
  // is left as it is: sluice's own file is the path with ".sluice" added,
  // and the first load() starts from Fluent Bit's offsets.
  explicit TailDb(std::string path, bool sync = true);
  const std::string& path() const { return path_; }
  // Fluent Bit's database the offsets came from ("" if none), and how many.
  const std::string& fluent_bit_db() const { return fluent_bit_db_; }
  size_t imported() const { return imported_; }

  // Reads the file; a missing file is empty. Malformed lines are skipped
  // (and reported in error); returns false only when the file can't be read.
  bool load(DbEntries& out, std::string& error);
  // Replaces the file atomically; false with error set on failure.
  bool save(const DbEntries& entries, std::string& error) const;

  // How often the file may be rewritten while it lists `entries` files: it
  // is rewritten whole, so 500 ms per 1,000 files (at least 500 ms, at most
  // 10 s), which keeps its cost per second near that of 1,000 files
  // (10,000 files, one of them written 100 lines/s: 5x the CPU of a single
  // file when rewritten every 500 ms). A crash repeats at most that much more.
  static std::chrono::milliseconds rewrite_interval(size_t entries);

 private:
  std::string path_;
  bool sync_;
  std::string fluent_bit_db_;
  size_t imported_ = 0;
};

}  // namespace sluice::tail
