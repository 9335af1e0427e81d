// Path helpers of the tail input: glob expansion with excludes, tag
// expansion, the directories to watch, and finding a file by inode.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice {
class Regex;
}

namespace sluice::tail {

// A followed file's identity: it survives renames, and a new file at the
// same path is a different file.
struct FileKey {
  uint64_t dev = 0;
  uint64_t ino = 0;
  auto operator<=>(const FileKey&) const = default;
};

// Paths matching any of the glob(3) patterns and none of the fnmatch(3)
// excludes, sorted and without duplicates. Directories are left out.
std::vector<std::string> expand_globs(const std::vector<std::string>& patterns,
                                      const std::vector<std::string>& excludes);

bool excluded(const std::string& path, const std::vector<std::string>& excludes);

// Fluent Bit's rule: a `*` in the tag is replaced by the file's path with
// '/' turned into '.', without the leading dot ("app.*" + /var/log/a.log →
// "app.var.log.a.log").
std::string expand_tag(const std::string& tag, const std::string& path);

// tag_regex (Fluent Bit's rule): the regex runs on the file's path and each
// `<name>` of the tag becomes that named capture, `_` when the group took
// no part or captured nothing (every one of them when the regex doesn't
// match: *matched is then false).
std::string regex_tag(const std::string& tag, const Regex& re, const std::string& path, bool* matched);

// Directories whose IN_CREATE / IN_MOVED_TO may bring a new match: each
// pattern's directory when it holds no wildcard, and each match's directory.
std::vector<std::string> watch_dirs(const std::vector<std::string>& patterns, const std::vector<std::string>& matches);

// The path an open descriptor names now (it follows renames); nullopt when
// the file was deleted or /proc is unavailable.
std::optional<std::string> fd_path(int fd);

// Looks for a regular file with this identity directly in dir.
std::optional<std::string> find_in_dir(const std::string& dir, FileKey key);

std::string parent_dir(const std::string& path);

}  // namespace sluice::tail
