// The `azure_logs_ingestion` output's keys and their validation; see azure_settings.hpp.
#include "outputs/azure/azure_settings.hpp"

#include <cctype>

#include "agent/config/config_path.hpp"

namespace sluice::azure {

namespace {

using config::KeyType;

std::vector<config::KeyDecl> own_keys() {
  return {
      {"dce_url", KeyType::String, "",
       "Logs ingestion endpoint: the data collection endpoint (https://<dce>.<region>-1.ingest.monitor.azure.com) "
       "or the data collection rule's own; http:// only for a local stand-in.",
       true},
      {"dcr_id", KeyType::String, "", "The data collection rule's immutable id (dcr-<32 hex>).", true},
      {"table_name", KeyType::String, "",
       "The custom table (MyTable_CL): records go to the stream Custom-<table_name>."},
      {"stream_name", KeyType::String, "",
       "The DCR's stream, when it isn't Custom-<table_name> (Microsoft-Syslog, a renamed stream)."},
      {"api_version", KeyType::String, "2023-01-01", "The Logs Ingestion API version."},
      {"time_generated", KeyType::Bool, "off", "Add the record's time (RFC 3339) under time_key."},
      {"time_key", KeyType::String, "@timestamp",
       "The field time_generated writes; TimeGenerated fills the table's column without a DCR transformation."},
      {"auth_method", KeyType::String, "",
       "How to get Entra ID tokens: client_secret, client_certificate, workload_identity (AKS) or "
       "managed_identity. Default: the first that is configured, in that order.",
       false, false, {"", "client_secret", "client_certificate", "workload_identity", "managed_identity"}},
      {"tenant_id", KeyType::String, "", "Entra ID tenant (directory) id; AZURE_TENANT_ID otherwise."},
      {"client_id", KeyType::String, "",
       "The application's (client) id, or with managed_identity a user-assigned identity's; AZURE_CLIENT_ID "
       "otherwise."},
      {"client_secret", KeyType::String, "", "The application's client secret.", false, true},
      {"client_certificate_file", KeyType::String, "",
       "PEM file with the application's certificate and its private key (a client assertion is signed with it)."},
      {"authority_host", KeyType::String, "",
       "Entra ID's host (sovereign clouds: https://login.microsoftonline.us, …); AZURE_AUTHORITY_HOST or "
       "https://login.microsoftonline.com otherwise."},
      {"auth_url", KeyType::String, "",
       "Fluent Bit's token endpoint override: the whole URL the application's token is asked of (instead of "
       "authority_host/tenant_id/oauth2/v2.0/token; tenant_id is then not needed). https, or http to "
       "localhost or 127.0.0.1."},
      {"federated_token_file", KeyType::String, "",
       "Workload identity: the projected service account token; AZURE_FEDERATED_TOKEN_FILE otherwise."},
      {"imds_endpoint", KeyType::String, "http://169.254.169.254", "The instance metadata service (managed identity)."},
  };
}

bool valid_dcr(std::string_view id) {
  if (id.size() < 5 || id.substr(0, 4) != "dcr-") return false;
  for (char c : id.substr(4))
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

const config::PluginSchema& schema() {
  static const config::PluginSchema s = [] {
    config::PluginSchema schema{
        "azure_logs_ingestion",
        "Sends records to Azure Monitor Logs through the Logs Ingestion API (a data collection rule and its stream), "
        "with Entra ID tokens from a client secret, a certificate, workload identity or a managed identity.",
        own_keys()};
    for (auto& k : http::http_output_keys("443", {"host", "port", "tls", "http_user", "http_passwd"}))
      schema.keys.push_back(std::move(k));
    return schema;
  }();
  return s;
}

Settings read_settings(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  Settings s;
  std::string url = cfg.get_string("dce_url");
  auto endpoint = http::parse_endpoint(url);
  if (!endpoint) cfg.fail("dce_url", "expects https://<endpoint>.ingest.monitor.azure.com, got '" + url + "'");
  s.http = http::read_http_output_settings(cfg, ctx.base_dir, endpoint);
  std::string dcr = cfg.get_string("dcr_id");
  if (!valid_dcr(dcr)) cfg.fail("dcr_id", "expects the rule's immutable id, dcr-<32 hex digits>, got '" + dcr + "'");
  std::string stream = cfg.get_string("stream_name");
  std::string table = cfg.get_string("table_name");
  if (stream.empty() && table.empty())
    cfg.fail("table_name", "is required (or stream_name): the stream is Custom-<table_name>");
  if (stream.empty()) stream = "Custom-" + table;
  if (stream.find_first_of("/?#% ") != std::string::npos)
    cfg.fail(cfg.has("stream_name") ? "stream_name" : "table_name", "may not hold '/', '?', '#', '%' or spaces");
  s.target = endpoint->path + "/dataCollectionRules/" + dcr + "/streams/" + stream + "?api-version=" +
             cfg.get_string("api_version");
  s.time_generated = cfg.get_bool("time_generated");
  s.time_key = cfg.get_string("time_key");
  if (s.time_generated && s.time_key.empty()) cfg.fail("time_key", "can't be empty with time_generated: on");

  azure::TokenSignerSettings& c = s.credentials;
  if (std::string method = cfg.get_string("auth_method"); !method.empty())
    c.auth_method = *azure::parse_auth_method(method);  // the schema's choices only
  c.tenant_id = cfg.get_string("tenant_id");
  c.client_id = cfg.get_string("client_id");
  c.client_secret = cfg.get_string("client_secret");
  c.client_certificate_file = config::path_from_config_dir(ctx.base_dir, cfg.get_string("client_certificate_file"));
  c.authority_host = cfg.get_string("authority_host");
  if (std::string url = cfg.get_string("auth_url"); !url.empty()) {
    auto target = url.find("://") == std::string::npos ? std::nullopt : http::parse_endpoint(url);
    bool loopback = target && (target->host == "localhost" || target->host == "127.0.0.1");
    if (!target || (!target->tls && !loopback))
      cfg.fail("auth_url", "expects an https:// URL, or http:// to localhost or 127.0.0.1, got '" + url + "'");
    c.token_url = url;
  }
  c.federated_token_file = cfg.get_string("federated_token_file");
  c.imds_endpoint = cfg.get_string("imds_endpoint");
  for (const char* key : {"authority_host", "imds_endpoint"}) {
    std::string v = cfg.get_string(key);
    if (!v.empty() && !http::parse_endpoint(v)) cfg.fail(key, "expects https://host[:port] or http://host[:port], got '" + v + "'");
  }
  return s;
}

const config::PluginSchema& retired_schema() {
  static const config::PluginSchema s{
      "azure",
      "Retired: Fluent Bit's `azure` output used Azure Monitor's HTTP Data Collector API, which Microsoft no longer "
      "supports (since 2026-09-14). Use azure_logs_ingestion (the Logs Ingestion API with a data collection rule).",
      {
          {"customer_id", KeyType::String, "", "The Log Analytics workspace id (refused: see azure_logs_ingestion)."},
          {"shared_key", KeyType::String, "", "The workspace key (refused).", false, true},
          {"log_type", KeyType::String, "", "The custom log type (refused)."},
          {"log_type_key", KeyType::String, "", "(refused)"},
          {"time_key", KeyType::String, "", "(refused)"},
          {"time_generated", KeyType::Bool, "off", "(refused)"},
      }};
  return s;
}

}  // namespace sluice::azure
