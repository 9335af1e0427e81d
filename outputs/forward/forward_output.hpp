// The `forward` output: sends records to Fluentd or Fluent Bit over the
// Forward protocol (Fluent Bit's out_forward keys).
#pragma once
#include <memory>

#include "agent/output.hpp"

namespace sluice {

const config::PluginSchema& forward_output_schema();
std::unique_ptr<Output> make_forward_output(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
