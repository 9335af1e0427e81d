// The table of filter components: name → schema + factory.
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "agent/filter.hpp"

namespace sluice {

struct FilterPlugin {
  const config::PluginSchema* schema;
  std::function<std::unique_ptr<Filter>(const config::ComponentConfig&, const BuildContext&)> make;
};

const std::vector<FilterPlugin>& filter_plugins();

}  // namespace sluice
