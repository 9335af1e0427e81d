// The `ibm_cloud_logs` output's configuration: its keys and the settings
// read from them once at build time.
#pragma once
#include <optional>
#include <string>

#include "agent/config/component_config.hpp"
#include "agent/input.hpp"
#include "agent/record_accessor.hpp"
#include "outputs/common/http_output_config.hpp"
#include "agent/record_template.hpp"

namespace sluice::ibm {

inline constexpr size_t kMaxRequestBytes = 2'000'000;  // IBM Cloud Logs: 2 MB per request

struct Settings {
  http::HttpOutputSettings http;  // the instance's ingress endpoint
  std::string target;             // <path>/logs/v1/singles
  RecordTemplate application;     // applicationName (falls back to application_fallback)
  std::string application_fallback;
  RecordTemplate subsystem;
  std::string subsystem_fallback;
  std::string computer_name;
  std::optional<RecordAccessor> severity_key;
  std::optional<RecordAccessor> log_key;  // text = this field instead of the whole record
  std::string api_key;                    // for the IAM token
  std::string iam_endpoint;
};

const config::PluginSchema& schema();
// Validates and reads cfg; ConfigError (cfg.fail) on a bad value.
Settings read_settings(const config::ComponentConfig& cfg, const BuildContext& ctx);

// IBM Cloud Logs' severity (1 debug, 2 verbose, 3 info, 4 warning, 5 error,
// 6 critical) for a record's value: a name (any case) or a syslog number
// (0-7); 0 when it means none of them.
int severity_of(const Value& v);

}  // namespace sluice::ibm
