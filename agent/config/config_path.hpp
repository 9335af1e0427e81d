// A file or socket path as a config file gives it: a relative one is taken
// from the config file's directory (BuildContext::base_dir), as Fluent Bit
// does; an absolute one, or any path when there is no config file (a
// config from a string, in tests), is left as it is.
#pragma once
#include <string>

namespace sluice::config {

inline std::string path_from_config_dir(const std::string& base_dir, const std::string& p) {
  if (p.empty() || p[0] == '/' || base_dir.empty()) return p;
  return base_dir + "/" + p;
}

}  // namespace sluice::config
