// The `splunk` output, as Fluent Bit's: records to Splunk's HTTP Event
// Collector (HEC). docs/outputs/splunk.md.
#pragma once
#include <memory>

#include "agent/output.hpp"

namespace sluice {

const config::PluginSchema& splunk_output_schema();
std::unique_ptr<Output> make_splunk_output(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
