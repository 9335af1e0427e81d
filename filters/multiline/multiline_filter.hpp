// The `multiline` filter (Fluent Bit's filter_multiline, mode parser): joins
// the records of a stack trace, an exception or a split container line into
// one record, by the same multiline parsers tail's `multiline.parser` uses;
// mode partial_message joins the parts of a line a container runtime split.
#pragma once
#include <memory>

#include "agent/filter.hpp"

namespace sluice {

const config::PluginSchema& multiline_filter_schema();
std::unique_ptr<Filter> make_multiline_filter(const config::ComponentConfig& cfg, const BuildContext& ctx);

// The counters both modes keep, registered for one filter instance.
struct MultilineCounters {
  Counter* joined = nullptr;  // records made of several
  Counter* cuts = nullptr;    // joined records sent on early
};
MultilineCounters multiline_counters(FilterContext& ctx);

struct MultilineFilterConfig;
// mode partial_message (partial_message_filter.cpp).
std::unique_ptr<Filter> make_partial_message_filter(MultilineFilterConfig cfg, bool debug);

}  // namespace sluice
