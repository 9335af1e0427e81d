// The `datadog` output, as Fluent Bit's: records to Datadog's Logs intake
// (HTTP API v2). docs/outputs/datadog.md.
#pragma once
#include <memory>

#include "agent/output.hpp"

namespace sluice {

const config::PluginSchema& datadog_output_schema();
std::unique_ptr<Output> make_datadog_output(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
