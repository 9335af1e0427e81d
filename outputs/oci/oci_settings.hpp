// The `oci_logging` output's configuration: its keys and the settings read
// from them once at build time.
#pragma once
#include <optional>
#include <string>

#include "agent/config/component_config.hpp"
#include "agent/input.hpp"
#include "agent/record_accessor.hpp"
#include "outputs/common/http_output_config.hpp"

namespace sluice::oci {

inline constexpr size_t kMaxEntryBytes = 1'000'000;    // each entry under 1 MB (PutLogs reference)
inline constexpr size_t kMaxRequestBytes = 4'000'000;  // no documented cap: a few MB, split on 413

// Where the request signature's key comes from (see outputs/common/oci).
struct AuthKeys {
  std::string auth_type = "api_key";  // api_key or instance_principal
  std::string config_file;            // "" = OCI_CONFIG_FILE, else ~/.oci/config
  std::string profile;                // "" = OCI_CLI_PROFILE, else DEFAULT
};

struct Settings {
  http::HttpOutputSettings http;  // the region's ingestion endpoint
  std::string target;             // /20200831/logs/<log OCID>/actions/push
  std::string region;
  std::string source, type, subject;
  std::optional<RecordAccessor> log_key;  // data = this field instead of the whole record
  AuthKeys auth;
};

const config::PluginSchema& schema();
// Validates and reads cfg; ConfigError (cfg.fail) on a bad value.
Settings read_settings(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice::oci
