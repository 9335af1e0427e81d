// The `cloudwatch_logs` output's configuration: its keys (Fluent Bit's
// names) and the immutable settings read from them once at build time.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "agent/config/component_config.hpp"
#include "agent/input.hpp"
#include "agent/record_accessor.hpp"
#include "outputs/common/aws/aws_credentials.hpp"
#include "outputs/common/http_output_config.hpp"
#include "agent/record_template.hpp"

namespace sluice::cloudwatch {

// PutLogEvents limits (CloudWatch Logs API reference, PutLogEvents).
inline constexpr size_t kMaxEventsPerCall = 10'000;
inline constexpr size_t kMaxBytesPerCall = 1'048'576;  // sum of UTF-8 message bytes + 26 per event
inline constexpr size_t kEventOverhead = 26;
inline constexpr int64_t kMaxSpanMs = 24LL * 3600 * 1000;      // one call spans less than 24 h
inline constexpr int64_t kMaxAgeMs = 14LL * 24 * 3600 * 1000;  // older events are refused
inline constexpr int64_t kMaxAheadMs = 2LL * 3600 * 1000;      // as are events more than 2 h ahead

// Where each record goes and what its message is.
struct NamingSettings {
  std::string group;                            // log_group_name
  std::optional<RecordTemplate> group_template;  // log_group_template: falls back to group
  std::string stream;                           // log_stream_name ("" with a prefix)
  std::string stream_prefix;                    // log_stream_prefix: prefix + tag
  std::optional<RecordTemplate> stream_template;
  std::optional<RecordAccessor> log_key;  // send this field's value instead of the whole record
  size_t max_event_bytes = 256 * 1024;    // longer messages are cut (see docs/outputs/cloudwatch_logs.md)
  bool auto_create_group = false;
  int64_t retention_days = 0;  // log_retention_days: set when sluice creates the group; 0 = never expire
};

struct Settings {
  http::HttpOutputSettings http;  // the endpoint's client, extra headers
  std::string path = "/";         // the endpoint URL's path (a proxy or emulator prefix), else "/"
  NamingSettings naming;
  aws::CredentialsSettings aws;  // region, profile, role_arn, external_id, sts_endpoint
};

const config::PluginSchema& schema();
// Validates and reads cfg; ConfigError (cfg.fail) on a bad value.
Settings read_settings(const config::ComponentConfig& cfg, const BuildContext& ctx);

// CloudWatch's name rules: groups 1-512 of [.-_/#A-Za-z0-9], streams 1-512
// without ':' or '*'. "" when the name is valid, else why not.
std::string group_name_error(std::string_view name);
std::string stream_name_error(std::string_view name);

}  // namespace sluice::cloudwatch
