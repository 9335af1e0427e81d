// The `azure_logs_ingestion` output's configuration: its keys (Fluent Bit's
// names) and the settings read from them once at build time.
#pragma once
#include <string>

#include "agent/config/component_config.hpp"
#include "agent/input.hpp"
#include "outputs/common/azure/azure_credentials.hpp"
#include "outputs/common/http_output_config.hpp"

namespace sluice::azure {

// One call to the Logs Ingestion API: at most 1 MB, counted before
// compression (gzip doesn't buy a larger batch).
inline constexpr size_t kMaxCallBytes = 1'000'000;

struct Settings {
  http::HttpOutputSettings http;  // the DCE's client
  std::string target;             // /dataCollectionRules/<dcr>/streams/<stream>?api-version=…
  std::string time_key;           // with time_generated: the field the record's time is written to
  bool time_generated = false;
  azure::TokenSignerSettings credentials;  // where Entra ID tokens come from
};

const config::PluginSchema& schema();
// Validates and reads cfg; ConfigError (cfg.fail) on a bad value.
Settings read_settings(const config::ComponentConfig& cfg, const BuildContext& ctx);

// Fluent Bit's `azure` output spoke the HTTP Data Collector API, which
// Microsoft retired: a schema that takes its keys only to refuse them with
// a pointer to azure_logs_ingestion.
const config::PluginSchema& retired_schema();

}  // namespace sluice::azure
