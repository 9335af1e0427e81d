// The `datadog` output's keys (Fluent Bit's) and factory; see datadog_output.hpp.
#include "outputs/datadog/datadog_output.hpp"

#include "outputs/common/http_sink.hpp"
#include "outputs/datadog/datadog_codec.hpp"

namespace sluice {

const config::PluginSchema& datadog_output_schema() {
  using config::KeyType;
  static const config::PluginSchema s = [] {
    config::PluginSchema schema{
        "datadog",
        "Sends records to Datadog's Logs intake (HTTP API v2, /api/v2/logs), as Fluent Bit's datadog output does: "
        "a JSON array of the records with their time in milliseconds, ddsource, service, hostname and ddtags.",
        {
            {"apikey", KeyType::String, "", "The Datadog API key, sent as DD-API-KEY.", true, true},
            {"host", KeyType::String, datadog::kDefaultHost,
             "The intake's host: your Datadog site's (http-intake.logs.datadoghq.eu, "
             "http-intake.logs.us5.datadoghq.com, ...), or a local agent or pipeline."},
            {"port", KeyType::Int, "", "The intake's port; default 443 with TLS, 80 without (as Fluent Bit)."},
            {"tls", KeyType::Bool, "",
             "Use TLS (HTTPS). Default: on for Datadog's hosts (*.datadoghq.com, *.datadoghq.eu, *.ddog-gov.com), "
             "off for any other host (Fluent Bit's default)."},
            {"dd_service", KeyType::String, "",
             "The service (your application's name) added to each entry as `service`, unless the record has one."},
            {"dd_source", KeyType::String, "",
             "The source (the technology: nginx, postgres...) added to each entry as `ddsource`, unless the record "
             "has one."},
            {"dd_tags", KeyType::String, "",
             "Tags (\"team:logs,env:prod\") sent as the entry's `ddtags` (after the ECS tags with provider ecs)."},
            {"dd_hostname", KeyType::String, "",
             "The host added to each entry as `hostname`, unless the record has one."},
            {"dd_message_key", KeyType::String, "log", "The record's key sent as `message`."},
            {"include_tag_key", KeyType::Bool, "off", "Add the record's tag to each entry, as tag_key."},
            {"tag_key", KeyType::String, "tagkey", "The key of the tag when include_tag_key is on."},
            {"json_date_key", KeyType::String, "timestamp",
             "The key of the record's time, in milliseconds since the epoch; false or off sends none (Datadog "
             "then takes the time of arrival)."},
            {"provider", KeyType::String, "",
             "ecs: move the ECS attributes of the record (container_id, container_name, container_image, "
             "ecs_cluster, ecs_task_definition, ecs_task_arn) into ddtags, as Fluent Bit does.",
             false, false, {"", "ecs"}},
        }};
    for (auto& k : http::http_output_keys("443", {"host", "port", "tls", "http_user", "http_passwd"}))
      schema.keys.push_back(std::move(k));
    return schema;
  }();
  return s;
}

std::unique_ptr<Output> make_datadog_output(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  datadog::Settings s = datadog::read_settings(cfg, ctx);
  http::ClientSettings client = s.http.client;
  return std::make_unique<http::HttpSink>(std::move(client), std::make_unique<datadog::Codec>(std::move(s)));
}

}  // namespace sluice
