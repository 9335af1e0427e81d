// The `grep` filter: keeps or drops records whose keys match regular expressions.
#pragma once
#include <memory>

#include "agent/filter.hpp"

namespace sluice {

const config::PluginSchema& grep_filter_schema();
std::unique_ptr<Filter> make_grep_filter(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
