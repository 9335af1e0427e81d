// The `rewrite_tag` filter, as Fluent Bit's: a record whose KEY matches a
// rule's REGEX is sent again, under the tag the rule composes, through the
// whole pipeline from the first filter on (skipping this filter); the
// original is kept or dropped as the rule says.
#pragma once
#include <memory>

#include "agent/filter.hpp"

namespace sluice {

const config::PluginSchema& rewrite_tag_filter_schema();
std::unique_ptr<Filter> make_rewrite_tag_filter(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
