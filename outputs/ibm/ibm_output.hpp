// The `ibm_cloud_logs` output: IBM Cloud Logs' ingestion API
// (/logs/v1/singles) with an IAM token traded for an API key. A JSON-array
// codec (ibm_codec) and the IAM signer (outputs/common/ibm) on the shared
// HTTP sink.
#pragma once
#include <memory>

#include "agent/output.hpp"

namespace sluice {

const config::PluginSchema& ibm_cloud_logs_schema();
std::unique_ptr<Output> make_ibm_cloud_logs_output(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
