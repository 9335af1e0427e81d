// Path helpers of the tail input; see tail_paths.hpp.
#include "inputs/tail/tail_paths.hpp"

#include <dirent.h>
#include <fnmatch.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "agent/regex.hpp"

namespace sluice::tail {

namespace {
bool has_wildcard(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }
}  // namespace

bool excluded(const std::string& path, const std::vector<std::string>& excludes) {
  return std::any_of(excludes.begin(), excludes.end(),
                     [&](const std::string& p) { return fnmatch(p.c_str(), path.c_str(), 0) == 0; });
}

std::vector<std::string> expand_globs(const std::vector<std::string>& patterns,
                                      const std::vector<std::string>& excludes) {
  std::vector<std::string> out;
  for (const auto& pattern : patterns) {
    glob_t g{};
    if (glob(pattern.c_str(), GLOB_NOSORT | GLOB_MARK, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) {
        std::string p = g.gl_pathv[i];
        if (!p.empty() && p.back() == '/') continue;  // GLOB_MARK flags directories
        if (!excluded(p, excludes)) out.push_back(std::move(p));
      }
    }
    globfree(&g);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string expand_tag(const std::string& tag, const std::string& path) {
  size_t star = tag.find('*');
  if (star == std::string::npos) return tag;
  std::string dotted = path;
  std::replace(dotted.begin(), dotted.end(), '/', '.');
  size_t skip = dotted.find_first_not_of('.');
  dotted.erase(0, skip == std::string::npos ? dotted.size() : skip);
  return tag.substr(0, star) + dotted + tag.substr(star + 1);
}

std::string regex_tag(const std::string& tag, const Regex& re, const std::string& path, bool* matched) {
  std::vector<std::pair<std::string_view, std::string_view>> captures;
  *matched = re.named_captures(path, [&](std::string_view name, std::string_view value) {
    if (!value.empty()) captures.emplace_back(name, value);
  });
  std::string out;
  size_t i = 0;
  while (i < tag.size()) {
    size_t open = tag.find('<', i);
    size_t close = open == std::string::npos ? std::string::npos : tag.find('>', open);
    if (close == std::string::npos) break;  // the config refuses this; kept as text
    out.append(tag, i, open - i);
    std::string_view name(tag.data() + open + 1, close - open - 1);
    auto it = std::find_if(captures.begin(), captures.end(), [&](const auto& c) { return c.first == name; });
    if (it != captures.end()) {
      out.append(it->second);
    } else {
      out += '_';
    }
    i = close + 1;
  }
  out.append(tag, i, std::string::npos);
  return out;
}

std::string parent_dir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::vector<std::string> watch_dirs(const std::vector<std::string>& patterns, const std::vector<std::string>& matches) {
  std::vector<std::string> dirs;
  for (const auto& p : patterns) {
    std::string dir = parent_dir(p);
    if (!has_wildcard(dir)) dirs.push_back(dir);
  }
  for (const auto& m : matches) dirs.push_back(parent_dir(m));
  std::sort(dirs.begin(), dirs.end());
  dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
  return dirs;
}

std::optional<std::string> fd_path(int fd) {
  char link[64];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  char buf[4096];
  ssize_t n = readlink(link, buf, sizeof buf - 1);
  if (n <= 0) return std::nullopt;
  std::string path(buf, static_cast<size_t>(n));
  static constexpr std::string_view kDeleted = " (deleted)";
  if (path.size() > kDeleted.size() && path.compare(path.size() - kDeleted.size(), kDeleted.size(), kDeleted) == 0) {
    return std::nullopt;
  }
  return path;
}

std::optional<std::string> find_in_dir(const std::string& dir, FileKey key) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return std::nullopt;
  std::optional<std::string> found;
  while (dirent* e = readdir(d)) {
    // No d_ino pre-filter: on overlayfs it may differ from st_ino. Startup only.
    std::string p = (dir == "/" ? "" : dir) + "/" + e->d_name;
    struct stat st {};
    if (stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && FileKey{st.st_dev, st.st_ino} == key) {
      found = std::move(p);
      break;
    }
  }
  closedir(d);
  return found;
}

}  // namespace sluice::tail
