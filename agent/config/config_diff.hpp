// What changed between two loads of the pipeline file, for hot reload: a
// component whose fingerprint is the same in both is kept running as it is.
#pragma once
#include <string>
#include <vector>

#include "agent/config/yaml_loader.hpp"

namespace sluice::config {

// The plugin and every value set, plus the content of the files a component
// reads once when built (Lua scripts, TLS certificates and keys, credential
// files: keys named `script` or ending in `_file`/`_credentials`, except the
// dead-letter file it writes), so editing a script and reloading rebuilds the
// filter even though its YAML is unchanged. Where a value was written (line,
// column) is not part of it.
std::string fingerprint(const ComponentConfig& cfg, const std::string& base_dir);

// The service keys whose values differ (set, unset or changed), sorted.
std::vector<std::string> changed_service_keys(const ComponentConfig& before, const ComponentConfig& after);

// Names of parsers added, removed or changed.
std::vector<std::string> changed_parsers(const PipelineConfig& before, const PipelineConfig& after);

// True if any value of cfg names one of the parsers (a component that uses a
// changed parser must be rebuilt with the new one).
bool uses_any(const ComponentConfig& cfg, const std::vector<std::string>& parser_names);

}  // namespace sluice::config
