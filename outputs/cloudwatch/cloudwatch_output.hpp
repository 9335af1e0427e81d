// The `cloudwatch_logs` output: Amazon CloudWatch Logs through PutLogEvents,
// a codec (cloudwatch_codec) and the SigV4 signer on the shared HTTP sink.
#pragma once
#include <memory>

#include "agent/output.hpp"

namespace sluice {

const config::PluginSchema& cloudwatch_output_schema();
std::unique_ptr<Output> make_cloudwatch_output(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
