// The table of input components: name → schema + factory.
#pragma once
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "agent/input.hpp"

namespace sluice {

// The schema is built on first use: a pipeline builds only the schemas of
// the plugins it names (each holds all of a plugin's keys and texts; building
// every one at start touched most of the binary and raised idle memory).
struct InputPlugin {
  std::string_view name;  // equals schema().name (a unit test checks it)
  const config::PluginSchema& (*schema)();
  std::function<std::unique_ptr<Input>(const config::ComponentConfig&, const BuildContext&)> make;
};

const std::vector<InputPlugin>& input_plugins();

}  // namespace sluice
