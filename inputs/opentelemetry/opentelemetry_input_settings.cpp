// The opentelemetry input's key declarations and their validation; see
// opentelemetry_input_settings.hpp.
#include "inputs/opentelemetry/opentelemetry_input_settings.hpp"

#include "agent/config/compat_keys.hpp"
#include "agent/value.hpp"
#include "inputs/opentelemetry/opentelemetry_input.hpp"

namespace sluice {

namespace {

constexpr std::string_view kLogsOnly =
    "sluice's opentelemetry input takes logs (POST /v1/logs); traces, metrics and profiles are answered 404.";

}  // namespace

const config::PluginSchema& opentelemetry_input_schema() {
  using config::KeyType;
  static const config::PluginSchema schema = [] {
    config::PluginSchema s{
        "opentelemetry",
        "Receives logs over OTLP/HTTP (POST /v1/logs) and OTLP/gRPC (LogsService/Export over HTTP/2, on the same "
        "port) as OpenTelemetry SDKs, the OpenTelemetry Collector and Fluent Bit export them: protobuf "
        "(application/x-protobuf) or OTLP/JSON (application/json), optionally gzip or deflate. Each log is "
        "one record: its body when that is a map, else {\"log\": body}; the rest "
        "(time, severity, attributes, trace and span ids, resource, scope) is the record's metadata under "
        "`otlp`, as in Fluent Bit. A request is accepted whole or not at all: 200 with an empty "
        "ExportLogsServiceResponse once its logs are in the pipeline, else 400 with a google.rpc.Status "
        "naming the log and field, 401, 404, 405, 413, 415, or 503 with Retry-After while the pipeline is "
        "full (OTLP clients retry it); over gRPC the same outcomes as grpc-status (0, 3, 16, 12, 8, 14).",
        {
            {"tag_key", KeyType::String, "",
             "Take each record's tag from this key of the record (its body) when the value is a string; "
             "records without it keep the request's tag."},
            {"tag_from_uri", KeyType::Bool, "on",
             "Without `tag`: tag the records v1_logs (from the path /v1/logs), as Fluent Bit does; off: the "
             "plugin's name."},
            {"successful_response_code", KeyType::Int, "200",
             "Status of an accepted request: 200 (the OTLP specification's, with an empty "
             "ExportLogsServiceResponse body), 201 (Fluent Bit's default) or 204 (both without a body)."},
            {"logs_metadata_key", KeyType::String, "otlp",
             "The metadata key holding a log's OTLP fields (time, severity, attributes, ids, resource, scope)."},
            {"logs_body_key", KeyType::String, "",
             "Put every log's body under this key of the record, a map too (default: a map body is the "
             "record, any other body goes under `log`)."},
            {"logs_metadata_in_record", KeyType::Bool, "off",
             "Also add the OTLP fields to the record, under logs_metadata_key, so that outputs (which send "
             "records, not metadata) send severity, attributes, trace ids and the resource. A body that has "
             "the key keeps its own."},
            config::compat_note("raw_traces", KeyType::Bool, kLogsOnly),
            config::compat_note("profiles_support", KeyType::Bool, kLogsOnly),
            config::compat_note("encode_profiles_as_log", KeyType::Bool, kLogsOnly),
        }};
    auto server = http_server_keys("4318");
    s.keys.insert(s.keys.begin(), server.begin(), server.end());
    return s;
  }();
  return schema;
}

OpentelemetryInputSettings make_opentelemetry_input_settings(const config::ComponentConfig& cfg,
                                                             const BuildContext& ctx) {
  OpentelemetryInputSettings s;
  read_http_server_settings(cfg, ctx, s.http);
  s.tag = cfg.get_string("tag");
  if (s.tag.empty()) s.tag = cfg.get_bool("tag_from_uri") ? "v1_logs" : std::string(cfg.plugin());
  s.tag_key = cfg.get_string("tag_key");
  if (cfg.has("tag_key") && s.tag_key.empty()) cfg.fail("tag_key", "expected a record key");
  int64_t code = cfg.get_int("successful_response_code");
  if (code != 200 && code != 201 && code != 204)
    cfg.fail("successful_response_code", "expected 200, 201 or 204, got " + std::to_string(code));
  s.success_code = static_cast<int>(code);
  s.logs.metadata_key = cfg.get_string("logs_metadata_key");
  if (s.logs.metadata_key.empty() || !Key::fits(s.logs.metadata_key))
    cfg.fail("logs_metadata_key", "expected a key of 1 to 65535 bytes");
  s.logs.body_key = cfg.get_string("logs_body_key");
  if (cfg.has("logs_body_key") && (s.logs.body_key.empty() || !Key::fits(s.logs.body_key)))
    cfg.fail("logs_body_key", "expected a key of 1 to 65535 bytes");
  s.logs.metadata_in_record = cfg.get_bool("logs_metadata_in_record");
  return s;
}

}  // namespace sluice
