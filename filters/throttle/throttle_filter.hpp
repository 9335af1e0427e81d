// The `throttle` filter, as Fluent Bit's: lets through an average of `rate`
// records per `interval`, averaged over a sliding window of `window`
// intervals, and drops the rest (counted in
// sluice_filter_records_dropped_total).
#pragma once
#include <memory>

#include "agent/filter.hpp"

namespace sluice {

const config::PluginSchema& throttle_filter_schema();
std::unique_ptr<Filter> make_throttle_filter(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
