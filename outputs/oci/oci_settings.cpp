// The `oci_logging` output's keys and their validation; see oci_settings.hpp.
#include "outputs/oci/oci_settings.hpp"

#include <unistd.h>

namespace sluice::oci {

namespace {

using config::KeyType;

std::vector<config::KeyDecl> own_keys() {
  return {
      {"log_id", KeyType::String, "", "The custom log's OCID (ocid1.log.oc1…).", true},
      {"region", KeyType::String, "",
       "The log's region (us-ashburn-1, eu-frankfurt-1, …); default the config file profile's region."},
      {"endpoint", KeyType::String, "",
       "Ingestion endpoint URL; default https://ingestion.logging.<region>.oci.oraclecloud.com (http:// only for a "
       "local stand-in)."},
      {"auth_type", KeyType::String, "api_key",
       "api_key (the user's key from the OCI config file) or instance_principal (a compute instance's identity).",
       false, false, {"api_key", "instance_principal"}},
      {"config_file_location", KeyType::String, "", "The OCI config file; default OCI_CONFIG_FILE, else ~/.oci/config."},
      {"profile_name", KeyType::String, "", "The config file's profile; default OCI_CLI_PROFILE, else DEFAULT."},
      {"source", KeyType::String, "", "The entries' source; default this host's name."},
      {"type", KeyType::String, "sluice", "The entries' type (a namespaced name such as com.example.app)."},
      {"subject", KeyType::String, "", "The entries' subject (optional)."},
      {"log_key", KeyType::String, "",
       "Send only this field as each entry's data (a string as it is) instead of the whole record as JSON."},
  };
}

std::string hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace

const config::PluginSchema& schema() {
  static const config::PluginSchema s = [] {
    config::PluginSchema schema{"oci_logging",
                                "Sends records to OCI Logging (PutLogs into a custom log), signing each request with "
                                "an OCI API key or an instance principal.",
                                own_keys()};
    for (auto& k : http::http_output_keys("443", {"host", "port", "tls", "http_user", "http_passwd", "compress"}))
      schema.keys.push_back(std::move(k));
    return schema;
  }();
  return s;
}

Settings read_settings(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  Settings s;
  std::string log_id = cfg.get_string("log_id");
  if (log_id.rfind("ocid1.log.", 0) != 0 || log_id.find_first_of("/?# ") != std::string::npos)
    cfg.fail("log_id", "expects the log's OCID, ocid1.log.oc1.<region>.<id>, got '" + log_id + "'");
  s.region = cfg.get_string("region");
  std::string url = cfg.get_string("endpoint");
  if (url.empty()) {
    if (s.region.empty()) cfg.fail("region", "is required (or endpoint): the ingestion endpoint is per region");
    url = "https://ingestion.logging." + s.region + ".oci.oraclecloud.com";
  }
  auto endpoint = http::parse_endpoint(url);
  if (!endpoint) cfg.fail("endpoint", "expects https://host[:port], got '" + url + "'");
  s.http = http::read_http_output_settings(cfg, ctx.base_dir, endpoint);
  s.target = endpoint->path + "/20200831/logs/" + log_id + "/actions/push";
  s.source = cfg.get_string("source");
  if (s.source.empty()) s.source = hostname();
  s.type = cfg.get_string("type");
  if (s.type.empty()) cfg.fail("type", "can't be empty: OCI Logging requires a type");
  s.subject = cfg.get_string("subject");
  if (std::string key = cfg.get_string("log_key"); !key.empty()) {
    std::string error;
    s.log_key = RecordAccessor::compile(key, &error);
    if (!s.log_key) cfg.fail("log_key", error);
  }
  s.auth.auth_type = cfg.get_string("auth_type");
  s.auth.config_file = cfg.get_string("config_file_location");
  if (!s.auth.config_file.empty() && s.auth.config_file.front() != '/' && s.auth.config_file.front() != '~' &&
      !ctx.base_dir.empty())
    s.auth.config_file = ctx.base_dir + "/" + s.auth.config_file;
  s.auth.profile = cfg.get_string("profile_name");
  return s;
}

}  // namespace sluice::oci
