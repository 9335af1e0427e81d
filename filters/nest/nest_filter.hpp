// The `nest` filter, as Fluent Bit's: `operation nest` moves the top-level
// keys matching `wildcard` into a map under `nest_under`; `operation lift`
// moves the keys of the map at `nested_under` up to the top level. Either
// can add or remove a prefix on the keys it moves.
#pragma once
#include <memory>

#include "agent/filter.hpp"

namespace sluice {

const config::PluginSchema& nest_filter_schema();
std::unique_ptr<Filter> make_nest_filter(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
