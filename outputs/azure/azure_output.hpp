// The `azure_logs_ingestion` output: Azure Monitor Logs through the Logs
// Ingestion API, a codec (azure_codec) and the Entra ID token signer
// (outputs/common/azure) on the shared HTTP sink; and `azure`, Fluent Bit's
// retired Data Collector output, which only explains where to go instead.
#pragma once
#include <memory>

#include "agent/output.hpp"

namespace sluice {

const config::PluginSchema& azure_logs_ingestion_schema();
std::unique_ptr<Output> make_azure_logs_ingestion_output(const config::ComponentConfig& cfg, const BuildContext& ctx);

const config::PluginSchema& azure_retired_schema();
// Always a configuration error, naming the replacement.
std::unique_ptr<Output> make_azure_retired_output(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
