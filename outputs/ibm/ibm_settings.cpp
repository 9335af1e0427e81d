// The `ibm_cloud_logs` output's keys and their validation; see ibm_settings.hpp.
#include "outputs/ibm/ibm_settings.hpp"

#include <cctype>
#include <cstdlib>

#include "agent/host_name.hpp"

namespace sluice::ibm {

namespace {

using config::KeyType;

std::vector<config::KeyDecl> own_keys() {
  return {
      {"endpoint", KeyType::String, "",
       "The instance's ingress endpoint, https://<instance-id>.ingress.<region>.logs.cloud.ibm.com (or set "
       "instance_id and region)."},
      {"instance_id", KeyType::String, "", "The IBM Cloud Logs instance's GUID, with region."},
      {"region", KeyType::String, "", "The instance's region (eu-de, us-south, …), with instance_id."},
      {"private_endpoint", KeyType::Bool, "off",
       "With instance_id and region: the private ingress endpoint (…ingress.private.<region>…) and IAM's "
       "private endpoint."},
      {"api_key", KeyType::String, "",
       "The IBM Cloud API key traded for IAM tokens (the identity needs the Sender role); IBMCLOUD_API_KEY otherwise.",
       false, true},
      {"iam_endpoint", KeyType::String, "", "IAM's URL: default https://iam.cloud.ibm.com (private: https://private.iam.cloud.ibm.com)."},
      {"application_name", KeyType::String, "sluice",
       "applicationName of every entry: text with record accessors and $TAG; a record without a named field gets "
       "the text before the first '$' or 'sluice'."},
      {"subsystem_name", KeyType::String, "$TAG", "subsystemName of every entry, as application_name."},
      {"computer_name", KeyType::String, "", "computerName of every entry; default this host's name."},
      {"severity_key", KeyType::String, "level",
       "Record field of the severity: debug, verbose/trace, info, warning/warn, error/err, critical/fatal/… or a "
       "syslog number (0-7); else info."},
      {"log_key", KeyType::String, "",
       "Send only this field as the entry's text (a string as it is) instead of the whole record as JSON."},
  };
}

RecordTemplate read_template(const config::ComponentConfig& cfg, std::string_view key, std::string& fallback) {
  std::string text = cfg.get_string(key);
  if (text.empty()) cfg.fail(key, "can't be empty: IBM Cloud Logs requires it");
  RecordTemplate t = compile_template_key(cfg, key, text);
  fallback = text.substr(0, text.find('$'));
  if (fallback.empty()) fallback = "sluice";
  return t;
}

std::optional<RecordAccessor> read_accessor(const config::ComponentConfig& cfg, std::string_view key) {
  std::string text = cfg.get_string(key);
  if (text.empty()) return std::nullopt;
  std::string error;
  auto ra = RecordAccessor::compile(text, &error);
  if (!ra) cfg.fail(key, error);
  return ra;
}

}  // namespace

int severity_of(const Value& v) {
  if (v.is_int()) {
    static constexpr int kSyslog[] = {6, 6, 6, 5, 4, 3, 3, 1};  // emerg alert crit err warning notice info debug
    int64_t n = v.as_int();
    return n >= 0 && n <= 7 ? kSyslog[n] : 0;
  }
  if (!v.is_string()) return 0;
  std::string s(v.as_string());
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s == "debug") return 1;
  if (s == "verbose" || s == "trace") return 2;
  if (s == "info" || s == "information" || s == "notice") return 3;
  if (s == "warning" || s == "warn") return 4;
  if (s == "error" || s == "err") return 5;
  if (s == "critical" || s == "crit" || s == "fatal" || s == "alert" || s == "emergency" || s == "emerg" ||
      s == "panic")
    return 6;
  return 0;
}

const config::PluginSchema& schema() {
  static const config::PluginSchema s = [] {
    config::PluginSchema schema{
        "ibm_cloud_logs",
        "Sends records to IBM Cloud Logs (/logs/v1/singles) with an IAM token traded for an API key.", own_keys()};
    for (auto& k : http::http_output_keys("443", {"host", "port", "tls", "http_user", "http_passwd"}))
      schema.keys.push_back(std::move(k));
    return schema;
  }();
  return s;
}

Settings read_settings(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  Settings s;
  std::string url = cfg.get_string("endpoint");
  std::string instance = cfg.get_string("instance_id"), region = cfg.get_string("region");
  bool priv = cfg.get_bool("private_endpoint");
  if (url.empty()) {
    if (instance.empty() || region.empty())
      cfg.fail("endpoint", "is required (or instance_id and region): "
                           "https://<instance-id>.ingress.<region>.logs.cloud.ibm.com");
    url = "https://" + instance + (priv ? ".ingress.private." : ".ingress.") + region + ".logs.cloud.ibm.com";
  } else if (!instance.empty() || !region.empty()) {
    cfg.fail("endpoint", "set either endpoint or instance_id and region, not both");
  }
  auto endpoint = http::parse_endpoint(url);
  if (!endpoint) cfg.fail("endpoint", "expects https://host[:port], got '" + url + "'");
  s.http = http::read_http_output_settings(cfg, ctx.base_dir, endpoint);
  s.target = endpoint->path + "/logs/v1/singles";
  s.application = read_template(cfg, "application_name", s.application_fallback);
  s.subsystem = read_template(cfg, "subsystem_name", s.subsystem_fallback);
  s.computer_name = cfg.get_string("computer_name");
  if (s.computer_name.empty()) s.computer_name = host_name();
  s.severity_key = read_accessor(cfg, "severity_key");
  s.log_key = read_accessor(cfg, "log_key");
  s.api_key = cfg.get_string("api_key");
  if (s.api_key.empty())
    if (const char* env = std::getenv("IBMCLOUD_API_KEY")) s.api_key = env;
  if (s.api_key.empty()) cfg.fail("api_key", "is required (or IBMCLOUD_API_KEY): IAM tokens are traded for it");
  s.iam_endpoint = cfg.get_string("iam_endpoint");
  if (s.iam_endpoint.empty()) s.iam_endpoint = priv ? "https://private.iam.cloud.ibm.com" : "https://iam.cloud.ibm.com";
  if (!http::parse_endpoint(s.iam_endpoint))
    cfg.fail("iam_endpoint", "expects https://host[:port], got '" + s.iam_endpoint + "'");
  return s;
}

}  // namespace sluice::ibm
