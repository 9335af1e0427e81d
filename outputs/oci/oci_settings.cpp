// The `oci_logging` output's keys and their validation; see oci_settings.hpp.
#include "outputs/oci/oci_settings.hpp"

#include "agent/host_name.hpp"

namespace sluice::oci {

namespace {

using config::KeyType;

std::vector<config::KeyDecl> own_keys() {
  return {
      {"log_id", KeyType::String, "", "The custom log's OCID (ocid1.log.oc1…).", true},
      {"region", KeyType::String, "",
       "The log's region (us-ashburn-1, eu-frankfurt-1, …); default the config file profile's region, or with "
       "instance_principal the instance's."},
      {"endpoint", KeyType::String, "",
       "Ingestion endpoint URL; default https://ingestion.logging.<region>.oci.oraclecloud.com (http:// only for a "
       "local stand-in)."},
      {"auth_type", KeyType::String, "api_key",
       "api_key (an API key or session token, from the OCI config file or the keys below) or instance_principal (a "
       "compute instance's own identity).",
       false, false, {"api_key", "instance_principal"}},
      {"config_file_location", KeyType::String, "", "The OCI config file; default OCI_CONFIG_FILE, else ~/.oci/config."},
      {"profile_name", KeyType::String, "", "The config file's profile; default OCI_CLI_PROFILE, else DEFAULT."},
      {"user", KeyType::String, "", "api_key: the user's OCID, instead of the profile's."},
      {"tenancy", KeyType::String, "", "api_key: the tenancy's OCID, instead of the profile's."},
      {"fingerprint", KeyType::String, "", "api_key: the API key's fingerprint (aa:bb:…), checked against key_file."},
      {"key_file", KeyType::String, "", "api_key: the PEM private key, instead of the profile's."},
      {"pass_phrase", KeyType::String, "", "api_key: the key file's passphrase, when it is encrypted.", false, true},
      {"security_token_file", KeyType::String, "",
       "api_key: a session token (oci session authenticate), read again when it changes; key_file is its session key."},
      {"metadata_url", KeyType::String, "http://169.254.169.254/opc/v2",
       "instance_principal: the instance metadata service (v2)."},
      {"federation_endpoint", KeyType::String, "",
       "instance_principal: where the instance's certificate is traded for a token; default "
       "https://auth.<region>.<realm domain>."},
      {"source", KeyType::String, "", "The entries' source; default this host's name."},
      {"type", KeyType::String, "sluice", "The entries' type (a namespaced name such as com.example.app)."},
      {"subject", KeyType::String, "", "The entries' subject (optional)."},
      {"log_key", KeyType::String, "",
       "Send only this field as each entry's data (a string as it is) instead of the whole record as JSON."},
  };
}

}  // namespace

std::string ingestion_host(const std::string& region, const std::string& realm_domain) {
  return "ingestion.logging." + region + ".oci." + realm_domain;
}

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
  s.signer.region = cfg.get_string("region");
  std::string url = cfg.get_string("endpoint");
  if (url.empty()) {
    // A placeholder host until the credentials name the region.
    s.endpoint_from_credentials = s.signer.region.empty();
    url = "https://" + ingestion_host(s.signer.region.empty() ? "region" : s.signer.region);
  }
  auto endpoint = http::parse_endpoint(url);
  if (!endpoint) cfg.fail("endpoint", "expects https://host[:port], got '" + url + "'");
  s.http = http::read_http_output_settings(cfg, ctx.base_dir, endpoint);
  s.target = endpoint->path + "/20200831/logs/" + log_id + "/actions/push";
  s.source = cfg.get_string("source");
  if (s.source.empty()) s.source = host_name();
  s.type = cfg.get_string("type");
  if (s.type.empty()) cfg.fail("type", "can't be empty: OCI Logging requires a type");
  s.subject = cfg.get_string("subject");
  if (std::string key = cfg.get_string("log_key"); !key.empty()) {
    std::string error;
    s.log_key = RecordAccessor::compile(key, &error);
    if (!s.log_key) cfg.fail("log_key", error);
  }
  SignerSettings& a = s.signer;
  a.auth_type = cfg.get_string("auth_type") == "instance_principal" ? AuthType::InstancePrincipal : AuthType::ApiKey;
  auto path_key = [&](const char* key) {
    std::string v = cfg.get_string(key);
    // "~/…" is expanded by the OCI reader; other relative paths start in the config file's folder.
    if (!v.empty() && v.front() != '/' && v.front() != '~' && !ctx.base_dir.empty()) v = ctx.base_dir + "/" + v;
    return v;
  };
  a.config_file = path_key("config_file_location");
  a.profile = cfg.get_string("profile_name");
  a.user = cfg.get_string("user");
  a.tenancy = cfg.get_string("tenancy");
  a.fingerprint = cfg.get_string("fingerprint");
  a.key_file = path_key("key_file");
  a.pass_phrase = cfg.get_string("pass_phrase");
  a.security_token_file = path_key("security_token_file");
  a.metadata_url = cfg.get_string("metadata_url");
  a.federation_endpoint = cfg.get_string("federation_endpoint");
  a.http_timeout = s.http.client.request_timeout;
  for (const char* key : {"metadata_url", "federation_endpoint"}) {
    std::string v = cfg.get_string(key);
    if (!v.empty() && !http::parse_endpoint(v)) cfg.fail(key, "expects http(s)://host[:port][/path], got '" + v + "'");
  }
  return s;
}

}  // namespace sluice::oci
