// The table of input components: name → schema + factory.
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "agent/input.hpp"

namespace sluice {

struct InputPlugin {
  const config::PluginSchema* schema;
  std::function<std::unique_ptr<Input>(const config::ComponentConfig&, const BuildContext&)> make;
};

const std::vector<InputPlugin>& input_plugins();

}  // namespace sluice
