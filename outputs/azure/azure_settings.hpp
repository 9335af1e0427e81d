// The `azure_logs_ingestion` output's configuration: its keys (Fluent Bit's
// names) and the settings read from them once at build time.
#pragma once
#include <string>

#include "agent/config/component_config.hpp"
#include "agent/input.hpp"
#include "outputs/common/http_output_config.hpp"

namespace sluice::azure {

// One call to the Logs Ingestion API: at most 1 MB, counted before
// compression (gzip doesn't buy a larger batch).
inline constexpr size_t kMaxCallBytes = 1'000'000;

// Where Entra ID tokens come from (see outputs/common/azure).
struct CredentialKeys {
  std::string auth_method;  // "" = the Azure SDKs' order; client_secret, client_certificate, workload_identity, managed_identity
  std::string tenant_id, client_id, client_secret, client_certificate_file;
  std::string authority_host;  // "" = AZURE_AUTHORITY_HOST, else https://login.microsoftonline.com
  std::string managed_identity_client_id;
  std::string imds_endpoint;
  std::string federated_token_file;
};

struct Settings {
  http::HttpOutputSettings http;  // the DCE's client
  std::string target;             // /dataCollectionRules/<dcr>/streams/<stream>?api-version=…
  std::string time_key;           // with time_generated: the field the record's time is written to
  bool time_generated = false;
  CredentialKeys credentials;
};

const config::PluginSchema& schema();
// Validates and reads cfg; ConfigError (cfg.fail) on a bad value.
Settings read_settings(const config::ComponentConfig& cfg, const BuildContext& ctx);

// Fluent Bit's `azure` output spoke the HTTP Data Collector API, which
// Microsoft retired: a schema that takes its keys only to refuse them with
// a pointer to azure_logs_ingestion.
const config::PluginSchema& retired_schema();

}  // namespace sluice::azure
