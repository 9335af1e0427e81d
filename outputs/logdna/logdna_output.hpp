// The `logdna` output: the LogDNA / Mezmo ingest API (/logs/ingest), with
// Fluent Bit's keys and record mapping, for Mezmo users and configs written
// for IBM Log Analysis (which IBM retired in 2025; IBM Cloud Logs is the
// `ibm_cloud_logs` output). A JSON-array codec on the shared HTTP sink.
#pragma once
#include <memory>

#include "agent/output.hpp"

namespace sluice {

const config::PluginSchema& logdna_output_schema();
std::unique_ptr<Output> make_logdna_output(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
