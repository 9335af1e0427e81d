// A key whose value is a record accessor (`$key`, `$a['b'][0]`), compiled at
// load: a bad one is a configuration error at that key, in the accessor's
// own words.
#pragma once
#include <string_view>

#include "agent/config/component_config.hpp"
#include "agent/record_accessor.hpp"

namespace sluice::config {

inline RecordAccessor accessor_at(const ComponentConfig& cfg, std::string_view key, std::string_view text) {
  std::string error;
  auto ra = RecordAccessor::compile(text, &error);
  if (!ra) cfg.fail(key, error);
  return std::move(*ra);
}

}  // namespace sluice::config
