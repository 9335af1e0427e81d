// The table of output components: name → schema + factory.
#pragma once
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "agent/output.hpp"

namespace sluice {

// The schema is built on first use: a pipeline builds only the schemas of
// the plugins it names (each holds all of a plugin's keys and texts; building
// every one at start touched most of the binary and raised idle memory).
struct OutputPlugin {
  std::string_view name;  // equals schema().name (a unit test checks it)
  const config::PluginSchema& (*schema)();
  std::function<std::unique_ptr<Output>(const config::ComponentConfig&, const BuildContext&)> make;
};

const std::vector<OutputPlugin>& output_plugins();

}  // namespace sluice
