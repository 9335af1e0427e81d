// Loads the YAML pipeline file (Fluent Bit's YAML schema) into validated
// ComponentConfigs: ${VAR} / ${VAR:-default} interpolation, `includes`,
// nested maps flattened to dotted keys (tls: {verify: off} → tls.verify),
// unknown keys refused with the nearest valid one, every value checked
// against its declared type. Errors are config::ConfigError with file:line:col.
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/component_config.hpp"
#include "agent/config/multiline_config.hpp"

namespace sluice::config {

struct PipelineConfig {
  std::string path;      // the main file
  std::string base_dir;  // its directory: relative paths in the config start here
  ComponentConfig service;
  std::vector<ComponentConfig> inputs;
  std::vector<ComponentConfig> filters;
  std::vector<ComponentConfig> outputs;
  std::vector<ComponentConfig> parsers;
  std::vector<MultilineParserConfig> multiline_parsers;
  // The `env:` section (classic: @SET), as written: ${VAR} reads it, and Lua
  // scripts see it as the table FLB_ENV.
  std::map<std::string, std::string> env;
  // Things that load but deserve a word ("FILE:LINE:COL: ..."): an unset
  // ${VAR} that became an empty string, say. The caller logs them.
  std::vector<std::string> warnings;
};

PipelineConfig load_file(const std::string& path);
// For tests and --dry-run of generated text: `name` stands in for the file name.
PipelineConfig load_string(std::string_view yaml, const std::string& name = "<config>",
                           const std::string& base_dir = ".");

// Validates one component's YAML map (its text, without `name`) against a
// plugin schema plus the keys the core adds for that kind ("input", "filter",
// "output", "parser", "service"). For unit tests of components.
ComponentConfig load_component(const PluginSchema& schema, const std::string& kind, std::string_view yaml_map);

// The schema the loader validates a component with: the plugin's keys plus
// the core's keys for its kind (tag, match, retry_*, ...). Stable address.
const PluginSchema& effective_schema(const PluginSchema& plugin, const std::string& kind);

}  // namespace sluice::config
