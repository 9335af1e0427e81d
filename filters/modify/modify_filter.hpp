// The `modify` filter: sets, adds, renames, copies and removes keys, with conditions.
#pragma once
#include <memory>

#include "agent/filter.hpp"

namespace sluice {

const config::PluginSchema& modify_filter_schema();
std::unique_ptr<Filter> make_modify_filter(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
