// The `multiline` filter (Fluent Bit's filter_multiline, mode parser): joins
// the records of a stack trace, an exception or a split container line into
// one record, by the same multiline parsers tail's `multiline.parser` uses.
#pragma once
#include <memory>

#include "agent/filter.hpp"

namespace sluice {

const config::PluginSchema& multiline_filter_schema();
std::unique_ptr<Filter> make_multiline_filter(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
