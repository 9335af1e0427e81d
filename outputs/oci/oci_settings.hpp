// The `oci_logging` output's configuration: its keys and the settings read
// from them once at build time.
#pragma once
#include <optional>
#include <string>

#include "agent/config/component_config.hpp"
#include "agent/input.hpp"
#include "agent/record_accessor.hpp"
#include "outputs/common/http_output_config.hpp"
#include "outputs/common/oci/oci_credentials.hpp"

namespace sluice::oci {

inline constexpr size_t kMaxEntryBytes = 1'000'000;    // each entry under 1 MB (PutLogs reference)
inline constexpr size_t kMaxRequestBytes = 4'000'000;  // no documented cap: a few MB, split on 413

struct Settings {
  http::HttpOutputSettings http;  // the region's ingestion endpoint
  // No endpoint and no region: the host is ingestion.logging.<region>.oci.
  // <realm domain> of the credentials' region (the profile's, or the
  // instance's), set when the output is built (endpoint_for).
  bool endpoint_from_credentials = false;
  std::string target;  // /20200831/logs/<log OCID>/actions/push
  std::string source, type, subject;
  std::optional<RecordAccessor> log_key;  // data = this field instead of the whole record
  SignerSettings signer;                  // where the signature's key comes from
};

// The ingestion host of a region: ingestion.logging.<region>.oci.<realm domain>.
std::string ingestion_host(const std::string& region, const std::string& realm_domain = "oraclecloud.com");

const config::PluginSchema& schema();
// Validates and reads cfg; ConfigError (cfg.fail) on a bad value.
Settings read_settings(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice::oci
