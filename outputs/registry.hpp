// The table of output components: name → schema + factory.
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "agent/output.hpp"

namespace sluice {

struct OutputPlugin {
  const config::PluginSchema* schema;
  std::function<std::unique_ptr<Output>(const config::ComponentConfig&, const BuildContext&)> make;
};

const std::vector<OutputPlugin>& output_plugins();

}  // namespace sluice
