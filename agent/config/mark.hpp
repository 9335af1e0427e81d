// Where something was written in a configuration file: what every
// configuration error points at.
#pragma once
#include <string>

namespace sluice::config {

struct Mark {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based
  std::string str() const;  // "FILE:LINE:COL" (component_config.cpp)
};

}  // namespace sluice::config
