// The `logdna` output's keys (Fluent Bit's) and factory; see logdna_output.hpp.
#include "outputs/logdna/logdna_output.hpp"

#include "agent/config/compat_keys.hpp"
#include "outputs/logdna/logdna_codec.hpp"

namespace sluice {

const config::PluginSchema& logdna_output_schema() {
  using config::KeyType;
  static const config::PluginSchema s = [] {
    config::PluginSchema schema{
        "logdna",
        "Sends records to Mezmo (formerly LogDNA) through its ingest API, as Fluent Bit's logdna output does.",
        {
            {"api_key", KeyType::String, "", "The ingestion key.", true, true},
            {"auth_header", KeyType::String, "basic",
             "How the key is sent: basic (the basic-auth user, as Fluent Bit does) or apikey (an `apikey` header).",
             false, false, {"basic", "apikey"}},
            {"logdna_host", KeyType::String, "logs.logdna.com", "Ingest host (Mezmo: logs.mezmo.com also works)."},
            {"logdna_port", KeyType::Int, "443", "Ingest port (HTTPS)."},
            {"logdna_endpoint", KeyType::String, "/logs/ingest", "Ingest path."},
            {"endpoint", KeyType::String, "",
             "The whole ingest URL instead of logdna_host/port/endpoint (http:// only for a local stand-in)."},
            {"hostname", KeyType::String, "", "The host the lines come from; default HOSTNAME, else this host's name."},
            {"mac_addr", KeyType::String, "", "The host's MAC address (optional)."},
            config::compat_alias("mac", KeyType::String, "mac_addr"),
            config::compat_alias("ip", KeyType::String, "ip_addr"),
            {"ip_addr", KeyType::String, "", "The host's IP address (optional)."},
            {"tags", KeyType::List, "", "Tags for every line."},
            {"file", KeyType::String, "", "The file name of lines whose record has no `file`."},
            {"app", KeyType::String, "sluice", "The app of lines whose record has no `app`."},
            {"exclude_promoted_keys", KeyType::Bool, "off",
             "Leave level, severity, meta, file and app (promoted to the line's own fields) out of `line`."},
        }};
    for (auto& k : http::http_output_keys("443", {"host", "port", "tls", "http_user", "http_passwd"}))
      schema.keys.push_back(std::move(k));
    return schema;
  }();
  return s;
}

std::unique_ptr<Output> make_logdna_output(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  logdna::Settings s = logdna::read_settings(cfg, ctx);
  http::ClientSettings client = s.http.client;
  return std::make_unique<http::HttpSink>(std::move(client), std::make_unique<logdna::Codec>(std::move(s)));
}

}  // namespace sluice
