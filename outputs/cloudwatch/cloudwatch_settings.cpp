// The `cloudwatch_logs` output's keys and their validation; see cloudwatch_settings.hpp.
#include "outputs/cloudwatch/cloudwatch_settings.hpp"

#include <algorithm>
#include <array>

#include "agent/config/compat_keys.hpp"

namespace sluice::cloudwatch {

namespace {

using config::KeyType;

// PutRetentionPolicy's allowed retentionInDays.
constexpr std::array<int64_t, 22> kRetentionDays = {1,   3,   5,   7,   14,   30,   60,   90,   120,  150,  180,
                                                    365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653};

std::vector<config::KeyDecl> own_keys() {
  return {
      {"region", KeyType::String, "", "AWS region of the log group, e.g. eu-west-1.", true},
      {"log_group_name", KeyType::String, "",
       "Log group to send to (and the fallback of log_group_template)."},
      {"log_group_template", KeyType::String, "",
       "Log group from each record: text with record accessors and $TAG / $TAG[n], e.g. "
       "`/eks/$kubernetes['namespace_name']`. A record without a named field goes to log_group_name."},
      {"log_stream_name", KeyType::String, "", "Log stream to send to (or set log_stream_prefix)."},
      {"log_stream_prefix", KeyType::String, "", "Log stream named prefix + the record's tag."},
      config::compat_note("auto_retry_requests", KeyType::Bool,
                          "a failed request is retried with the output's backoff (retry_base, retry_limit), not "
                          "once at once."),
      config::compat_note("extra_user_agent", KeyType::String, "sluice sends its own User-Agent."),
      {"log_stream_template", KeyType::String, "",
       "Log stream from each record, as log_group_template; falls back to log_stream_name or the prefix."},
      {"log_key", KeyType::String, "",
       "Send only this field's value as the message (a string as it is, anything else as JSON) instead of the "
       "whole record as JSON. A record without it is dead-lettered."},
      {"auto_create_group", KeyType::Bool, "off",
       "Create a missing log group (streams are always created when missing)."},
      {"log_retention_days", KeyType::Int, "0",
       "Retention of a log group sluice creates, in days (1, 3, 5, 7, 14, 30, 60, 90, ... 3653); 0 = never expire."},
      {"max_event_size", KeyType::Size, "256k",
       "Longest message sent; a longer one is cut at a UTF-8 character boundary to fit (counted in "
       "sluice_output_cloudwatch_truncated_total). At most 1048550 bytes, CloudWatch's limit per event."},
      {"endpoint", KeyType::String, "",
       "CloudWatch Logs endpoint URL: https://host[:port], or http:// for a local emulator (LocalStack). A bare "
       "host means https. Default https://logs.<region>.amazonaws.com."},
      {"sts_endpoint", KeyType::String, "",
       "STS endpoint URL for role_arn and web identity credentials. Default https://sts.<region>.amazonaws.com."},
      {"role_arn", KeyType::String, "", "IAM role to assume (STS AssumeRole) with the credentials found."},
      {"external_id", KeyType::String, "", "External id for role_arn, when the role's trust policy asks for one."},
      {"profile", KeyType::String, "", "Profile of the shared credentials and config files (else AWS_PROFILE)."},
  };
}

}  // namespace

std::string group_name_error(std::string_view name) {
  if (name.empty() || name.size() > 512) return "must be 1 to 512 characters";
  for (char c : name) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '/' || c == '#';
    if (!ok) return std::string("may hold only letters, digits and . - _ / #; found '") + c + "'";
  }
  return "";
}

std::string stream_name_error(std::string_view name) {
  if (name.empty() || name.size() > 512) return "must be 1 to 512 characters";
  if (name.find_first_of(":*") != std::string_view::npos) return "may not hold ':' or '*'";
  return "";
}

const config::PluginSchema& schema() {
  static const config::PluginSchema s = [] {
    config::PluginSchema schema{
        "cloudwatch_logs",
        "Sends records to Amazon CloudWatch Logs (PutLogEvents, SigV4-signed), batched within CloudWatch's limits, "
        "with credentials from the AWS SDKs' chain.",
        own_keys()};
    for (auto& k : http::http_output_keys("443", {"host", "port", "tls", "http_user", "http_passwd", "compress"}))
      schema.keys.push_back(std::move(k));
    return schema;
  }();
  return s;
}

Settings read_settings(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  Settings s;
  s.aws.region = cfg.get_string("region");
  if (s.aws.region.empty() || s.aws.region.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos)
    cfg.fail("region", "expects an AWS region such as eu-west-1, got '" + s.aws.region + "'");
  std::string endpoint = cfg.get_string("endpoint");
  if (endpoint.empty()) endpoint = "https://logs." + s.aws.region + ".amazonaws.com";
  auto parsed = http::parse_endpoint(endpoint);
  if (!parsed) cfg.fail("endpoint", "expects https://host[:port] or http://host[:port], got '" + endpoint + "'");
  s.http = http::read_http_output_settings(cfg, ctx.base_dir, parsed);
  if (!parsed->path.empty()) s.path = parsed->path;
  s.aws.sts_endpoint = cfg.get_string("sts_endpoint");
  if (!s.aws.sts_endpoint.empty() && !http::parse_endpoint(s.aws.sts_endpoint))
    cfg.fail("sts_endpoint", "expects https://host[:port] or http://host[:port], got '" + s.aws.sts_endpoint + "'");
  s.aws.role_arn = cfg.get_string("role_arn");
  if (!s.aws.role_arn.empty() && s.aws.role_arn.rfind("arn:", 0) != 0)
    cfg.fail("role_arn", "expects a role ARN such as arn:aws:iam::123456789012:role/logs, got '" + s.aws.role_arn + "'");
  s.aws.external_id = cfg.get_string("external_id");
  if (!s.aws.external_id.empty() && s.aws.role_arn.empty()) cfg.fail("external_id", "is used only with role_arn");
  s.aws.profile = cfg.get_string("profile");

  NamingSettings& n = s.naming;
  n.group = cfg.get_string("log_group_name");
  n.group_template = read_template_key(cfg, "log_group_template");
  if (n.group.empty() && !n.group_template)
    cfg.fail("log_group_name", "is required (or log_group_template, with log_group_name as its fallback)");
  if (!n.group.empty())
    if (auto e = group_name_error(n.group); !e.empty()) cfg.fail("log_group_name", "'" + n.group + "' " + e);
  n.stream = cfg.get_string("log_stream_name");
  n.stream_prefix = cfg.get_string("log_stream_prefix");
  n.stream_template = read_template_key(cfg, "log_stream_template");
  if (!n.stream.empty() && !n.stream_prefix.empty())
    cfg.fail("log_stream_prefix", "set either log_stream_name or log_stream_prefix, not both");
  if (n.stream.empty() && n.stream_prefix.empty() && !n.stream_template)
    cfg.fail("log_stream_name", "is required (or log_stream_prefix, to name each stream prefix + tag, or "
                                "log_stream_template)");
  if (!n.stream.empty())
    if (auto e = stream_name_error(n.stream); !e.empty()) cfg.fail("log_stream_name", "'" + n.stream + "' " + e);
  if (std::string key = cfg.get_string("log_key"); !key.empty()) {
    std::string error;
    n.log_key = RecordAccessor::compile(key, &error);
    if (!n.log_key) cfg.fail("log_key", error);
  }
  n.auto_create_group = cfg.get_bool("auto_create_group");
  n.retention_days = cfg.get_int("log_retention_days");
  if (n.retention_days != 0 &&
      std::find(kRetentionDays.begin(), kRetentionDays.end(), n.retention_days) == kRetentionDays.end())
    cfg.fail("log_retention_days", "expects 0 (never expire) or one of CloudWatch's values 1, 3, 5, 7, 14, 30, 60, "
                                   "90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653; got " +
                                       std::to_string(n.retention_days));
  uint64_t max_event = cfg.get_size("max_event_size");
  if (max_event < 1024 || max_event > kMaxBytesPerCall - kEventOverhead)
    cfg.fail("max_event_size", "expects 1k to 1048550 bytes, got " + std::to_string(max_event));
  n.max_event_bytes = static_cast<size_t>(max_event);
  return s;
}

}  // namespace sluice::cloudwatch
