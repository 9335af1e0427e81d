// Unix socket files; see unix_socket_file.hpp.
#include "agent/unix_socket_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/config/component_config.hpp"

namespace sluice::unix_socket {

void prepare(const std::string& path, std::string_view key, const config::Mark& mark) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;
  if (!S_ISSOCK(st.st_mode))
    throw config::ConfigError(mark, std::string(key) + ": '" + path +
                                        "' exists and is not a socket; refusing to replace it");
  // A socket file outlives the process that bound it: a previous run's.
  if (::unlink(path.c_str()) != 0)
    throw config::ConfigError(mark, std::string(key) + ": cannot remove the old socket '" + path +
                                        "': " + std::strerror(errno));
}

void set_mode(const std::string& path, unsigned perm, const config::Mark& mark) {
  if (::chmod(path.c_str(), static_cast<mode_t>(perm)) != 0)
    throw config::ConfigError(mark, "unix_perm: cannot set the mode of '" + path + "': " + std::strerror(errno));
}

std::optional<unsigned> parse_mode(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '7') return std::nullopt;
    value = value * 8 + static_cast<unsigned>(c - '0');
  }
  if (value > 07777) return std::nullopt;
  return value;
}

}  // namespace sluice::unix_socket
