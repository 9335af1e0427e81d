// The tail input's offsets file; see tail_db.hpp.
//
// Format, one file per line after a header:
//   # sluice tail offsets v1
//   <dev> <ino> <offset> <size> <path, with '%' and '\n' as %25 and %0A>
#include "inputs/tail/tail_db.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "agent/storage/file_io.hpp"
#include "inputs/tail/fluent_bit_db.hpp"

namespace sluice::tail {

namespace {

constexpr std::string_view kHeader = "# sluice tail offsets v1";

std::string escape(const std::string& path) {
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    if (c == '%') out += "%25";
    else if (c == '\n') out += "%0A";
    else out += c;
  }
  return out;
}

std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && s.substr(i, 3) == "%25") { out += '%'; i += 2; }
    else if (s[i] == '%' && s.substr(i, 3) == "%0A") { out += '\n'; i += 2; }
    else out += s[i];
  }
  return out;
}

bool next_number(std::string_view& s, uint64_t& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p == s.data() + s.size() || *p != ' ') return false;
  s.remove_prefix(static_cast<size_t>(p - s.data()) + 1);
  return true;
}

bool write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

std::string errno_text(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

}  // namespace

TailDb::TailDb(std::string path, bool sync) : path_(std::move(path)), sync_(sync) {
  if (storage::is_sqlite_file(path_)) {
    fluent_bit_db_ = path_;
    path_ += ".sluice";
  }
}

bool TailDb::load(DbEntries& out, std::string& error) {
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec) && !ec) {
    // sluice's first start on Fluent Bit's db: its offsets, once. Later
    // starts read sluice's own file, which is newer.
    if (fluent_bit_db_.empty()) return true;
    size_t before = out.size();
    if (!import_fluent_bit_db(fluent_bit_db_, out, error)) {
      error = fluent_bit_db_ + " is Fluent Bit's offsets database, but " + error;
      return false;
    }
    imported_ = out.size() - before;
    return true;
  }
  std::ifstream in(path_);
  if (!in) {
    error = "can't read " + path_;
    return false;
  }
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    if (++lineno == 1 && line != kHeader) {
      // Never overwrite what isn't ours (a Fluent Bit SQLite db, say).
      error = path_ + " is not a sluice offsets file; leaving it alone";
      return false;
    }
    if (line.empty() || line[0] == '#') continue;
    std::string_view s = line;
    FileKey key;
    DbEntry e;
    if (!next_number(s, key.dev) || !next_number(s, key.ino) || !next_number(s, e.offset) ||
        !next_number(s, e.size) || s.empty()) {
      error = path_ + ":" + std::to_string(lineno) + ": malformed entry skipped";
      continue;
    }
    e.path = unescape(s);
    out[key] = std::move(e);
  }
  return true;
}

std::chrono::milliseconds TailDb::rewrite_interval(size_t entries) {
  constexpr size_t kPerStep = 1000;
  constexpr auto kStep = std::chrono::milliseconds(500);
  constexpr auto kMax = std::chrono::milliseconds(10'000);
  size_t steps = std::max<size_t>(1, (entries + kPerStep - 1) / kPerStep);
  return steps >= static_cast<size_t>(kMax / kStep) ? kMax : kStep * static_cast<int64_t>(steps);
}

bool TailDb::save(const DbEntries& entries, std::string& error) const {
  std::string text(kHeader);
  text += '\n';
  for (const auto& [key, e] : entries) {
    text += std::to_string(key.dev) + ' ' + std::to_string(key.ino) + ' ' + std::to_string(e.offset) + ' ' +
            std::to_string(e.size) + ' ' + escape(e.path) + '\n';
  }
  std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = errno_text("can't create", tmp);
    return false;
  }
  bool ok = write_all(fd, text) && (!sync_ || ::fsync(fd) == 0);
  if (!ok) error = errno_text("can't write", tmp);
  ::close(fd);
  if (ok && ::rename(tmp.c_str(), path_.c_str()) != 0) {
    error = errno_text("can't rename to", path_);
    ok = false;
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    return false;
  }
  if (!sync_) return true;
  // The rename itself is durable only once the directory is synced.
  int dir = ::open(parent_dir(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return true;
}

}  // namespace sluice::tail
