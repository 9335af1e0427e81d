// The socket file of an input that listens on a unix socket (syslog's unix
// modes, the forward input's unix_path): a stale one from a previous run is
// replaced, any other file refused, and its mode set once bound.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "agent/config/mark.hpp"

namespace sluice::unix_socket {

// Before binding: removes a socket left at path by a previous run. Throws
// config::ConfigError (at mark, naming key) if path is another kind of file
// or can't be removed.
void prepare(const std::string& path, std::string_view key, const config::Mark& mark);
// After binding: sets the file's mode to perm (ConfigError naming unix_perm).
void set_mode(const std::string& path, unsigned perm, const config::Mark& mark);
// An octal file mode such as "0644" or "660"; nullopt unless octal digits up to 07777.
std::optional<unsigned> parse_mode(std::string_view text);

}  // namespace sluice::unix_socket
