// Thin POSIX helpers for the filesystem buffer: whole writes and reads that
// retry EINTR and report errno, never throw.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::storage {

// 0 on success, else errno. A short write (disk full) is an error.
int write_all(int fd, std::string_view data);
int pread_all(int fd, char* out, size_t n, uint64_t offset);
// The whole file into *out; 0 or errno.
int read_whole(const std::string& path, std::string* out);
// Writes data to path through a temporary file, fsynced (unless !sync) and
// renamed over it.
int replace_file(const std::string& path, std::string_view data, bool sync = true);
// Whether the file at path begins with SQLite 3's header (a Fluent Bit
// offsets or cursor database, which sluice reads or leaves alone).
bool is_sqlite_file(const std::string& path);
// fsync of a directory, so that a file created or renamed in it survives a power loss.
void sync_dir(const std::string& dir);
// mkdir -p; 0 or errno.
int make_dirs(const std::string& dir);

}  // namespace sluice::storage
