// The `es` output's keys and their validation; see es_settings.hpp.
#include "outputs/es/es_settings.hpp"

#include <array>

#include "agent/config/compat_keys.hpp"
#include "outputs/common/percent_encoding.hpp"

namespace sluice::es {

namespace {

using config::KeyType;

std::vector<config::KeyDecl> own_keys() {
  return {
      {"index", KeyType::String, "fluent-bit",
       "Index (or data stream) to write to. strftime patterns are filled from each record's time in UTC, "
       "e.g. `logs-%Y.%m.%d`."},
      {"type", KeyType::String, "",
       "Mapping type sent as `_type` (Elasticsearch 6 and older); unset = no `_type`."},
      {"suppress_type_name", KeyType::Bool, "off", "Never send `_type`, even when `type` is set (Elasticsearch 7.0+)."},
      {"write_operation", KeyType::String, "create",
       "Bulk action for every record: `create` (fails with 409 on an existing `_id`; the only action data streams "
       "accept), `index` (replaces a document with the same `_id`), `update` (merges the record into the "
       "existing document with its `_id`; a missing one is a permanent error) or `upsert` (the same, creating "
       "it when missing). update and upsert need id_key or generate_id.",
       false, false, {"create", "index", "update", "upsert"}},
      {"op_type", KeyType::String, "",
       "Elasticsearch's name for write_operation (`create` or `index`); set one of the two.", false, false,
       {"create", "index"}},
      {"logstash_format", KeyType::Bool, "off",
       "Write to `<logstash_prefix><logstash_prefix_separator><logstash_dateformat>` (one index per day) "
       "instead of `index`."},
      {"logstash_prefix", KeyType::String, "logstash", "Index name prefix with logstash_format."},
      {"logstash_prefix_separator", KeyType::String, "-", "Between the prefix and the date with logstash_format."},
      {"logstash_dateformat", KeyType::String, "%Y.%m.%d",
       "strftime format of the date part of the index with logstash_format (the record's time, UTC)."},
      {"logstash_prefix_key", KeyType::String, "",
       "Record field (record accessor, e.g. `$kubernetes['namespace_name']`) whose value replaces "
       "logstash_prefix when the record has it."},
      {"current_time_index", KeyType::Bool, "off",
       "Fill the index's date from the time of sending instead of the record's time."},
      {"time_key", KeyType::String, "@timestamp",
       "Field that carries the record's time in each document (RFC 3339 UTC with milliseconds by default); "
       "a record that already has this field keeps its own. Empty: no time field."},
      {"time_key_format", KeyType::String, "%Y-%m-%dT%H:%M:%S",
       "strftime format of time_key; the fraction of a second and `Z` are appended."},
      {"time_key_nanos", KeyType::Bool, "off", "Nanoseconds (9 digits) instead of milliseconds in time_key."},
      {"include_tag_key", KeyType::Bool, "off", "Add the record's tag to each document under tag_key."},
      {"tag_key", KeyType::String, "flb-key", "Field for the tag with include_tag_key."},
      {"generate_id", KeyType::Bool, "off",
       "Set `_id` to a hash of the tag, time and record (128 bits of SHA-256, hex), so that a batch sent again "
       "after a lost answer creates no duplicates: with `create`, a 409 conflict counts as delivered."},
      {"id_key", KeyType::String, "",
       "Record field (record accessor) to use as `_id`; overrides generate_id. Records without it get an id "
       "from Elasticsearch."},
      {"pipeline", KeyType::String, "", "Ingest pipeline to run on the documents (`?pipeline=`)."},
      {"path", KeyType::String, "", "Path prefix before `/_bulk`, for Elasticsearch behind a reverse proxy."},
      {"cloud_id", KeyType::String, "",
       "Elastic Cloud deployment id (`name:base64`): sets host, port 443 and TLS."},
      {"cloud_auth", KeyType::String, "", "Elastic Cloud credentials `user:password` (basic auth).", false, true},
      {"http_api_key", KeyType::String, "",
       "API key, as `id:key` or already base64-encoded; sent as `Authorization: ApiKey ...`.", false, true},
      {"max_request_bytes", KeyType::Size, "5M",
       "Largest _bulk request body before compression; a batch is split into several requests to stay under "
       "it. A single record larger than this goes to the dead-letter file."},
      {"replace_dots", KeyType::Bool, "off", "Replace `.` in field names with `_` (Elasticsearch 2.x)."},
      {"aws_auth", KeyType::Bool, "off",
       "Sign requests with AWS SigV4 (Amazon OpenSearch Service and Serverless), with credentials from the AWS "
       "SDKs' chain (environment, web identity, shared files, container, instance metadata)."},
      {"aws_region", KeyType::String, "", "The domain's AWS region, with aws_auth."},
      {"aws_service_name", KeyType::String, "es",
       "es (OpenSearch Service) or aoss (OpenSearch Serverless), with aws_auth.", false, false, {"es", "aoss"}},
      {"aws_sts_endpoint", KeyType::String, "", "STS endpoint URL for aws_role_arn and web identity credentials."},
      {"aws_role_arn", KeyType::String, "", "IAM role to assume (STS AssumeRole) with the credentials found."},
      {"aws_external_id", KeyType::String, "", "External id for aws_role_arn."},
      {"aws_profile", KeyType::String, "", "Profile of the shared credentials and config files (else AWS_PROFILE)."},
      {"trace_error", KeyType::Bool, "off",
       "Log the request and the answer (their first 4 KiB) when Elasticsearch reports an error."},
      config::compat_note("trace_output", KeyType::Bool,
                          "sluice doesn't print the requests it sends; trace_error logs a request and its answer "
                          "when Elasticsearch reports an error, and a stdout output beside es shows the records."),
      {"buffer_size", KeyType::String, "",
       "Accepted for Fluent Bit configurations and ignored: sluice always reads the whole answer."},
  };
}

std::string escape_percent(std::string_view s) {
  std::string out;
  for (char c : s) {
    out.push_back(c);
    if (c == '%') out.push_back('%');
  }
  return out;
}

std::optional<RecordAccessor> accessor(const config::ComponentConfig& cfg, std::string_view key) {
  std::string text = cfg.get_string(key);
  if (text.empty()) return std::nullopt;
  std::string error;
  auto ra = RecordAccessor::compile(text, &error);
  if (!ra) cfg.fail(key, "expected a record accessor such as `$key` or `$a['b']`: " + error);
  return ra;
}

// strftime patterns: a lone `%` at the end, or an empty result, would make
// every index name wrong; refuse them here rather than at the first record.
void check_pattern(const config::ComponentConfig& cfg, std::string_view key, const std::string& pattern) {
  if (pattern.empty()) cfg.fail(key, "expected a non-empty name");
  size_t percents = 0;
  for (size_t i = pattern.size(); i > 0 && pattern[i - 1] == '%'; --i) ++percents;
  if (percents % 2 == 1) cfg.fail(key, "a strftime pattern can't end with a single `%`");
}

EncoderSettings read_encoder(const config::ComponentConfig& cfg) {
  EncoderSettings e;
  std::string op = cfg.get_string("write_operation");
  if (cfg.has("op_type")) {
    if (cfg.has("write_operation") && cfg.get_string("op_type") != op)
      cfg.fail("op_type", "op_type and write_operation disagree; set only one of them");
    op = cfg.get_string("op_type");
  }
  e.op_type = op == "index" ? OpType::Index : op == "update" ? OpType::Update : op == "upsert" ? OpType::Upsert
                                                                                       : OpType::Create;

  if (cfg.get_bool("logstash_format")) {
    e.date_format = cfg.get_string("logstash_dateformat");
    check_pattern(cfg, "logstash_dateformat", e.date_format);
    e.prefix_separator = cfg.get_string("logstash_prefix_separator");
    e.index = escape_percent(cfg.get_string("logstash_prefix")) + escape_percent(e.prefix_separator) + e.date_format;
    e.prefix_key = accessor(cfg, "logstash_prefix_key");
  } else {
    e.index = cfg.get_string("index");
    check_pattern(cfg, "index", e.index);
    if (cfg.has("logstash_prefix_key")) cfg.fail("logstash_prefix_key", "logstash_prefix_key needs logstash_format on");
  }
  e.current_time_index = cfg.get_bool("current_time_index");
  if (!cfg.get_bool("suppress_type_name")) e.type = cfg.get_string("type");
  e.time_key = cfg.get_string("time_key");
  e.time_key_format = cfg.get_string("time_key_format");
  if (!e.time_key.empty()) check_pattern(cfg, "time_key_format", e.time_key_format);
  e.time_key_nanos = cfg.get_bool("time_key_nanos");
  if (cfg.get_bool("include_tag_key")) {
    e.tag_key = cfg.get_string("tag_key");
    if (e.tag_key.empty()) cfg.fail("tag_key", "expected a field name for the tag");
  }
  e.id_key = accessor(cfg, "id_key");
  e.generate_id = cfg.get_bool("generate_id") && !e.id_key;
  if ((e.op_type == OpType::Update || e.op_type == OpType::Upsert) && !e.id_key && !e.generate_id)
    cfg.fail(cfg.has("op_type") ? "op_type" : "write_operation",
             op + " needs id_key or generate_id: the document to change is named by its _id");
  e.replace_dots = cfg.get_bool("replace_dots");
  e.max_request_bytes = cfg.get_size("max_request_bytes");
  // Room for at least a small record with its action line.
  if (e.max_request_bytes < 1024) cfg.fail("max_request_bytes", "expected at least 1k");
  return e;
}

// cloud_id → host, port and TLS; a host given as well would be ambiguous.
void apply_cloud_id(const config::ComponentConfig& cfg, http::HttpOutputSettings& http) {
  std::string error;
  auto endpoint = decode_cloud_id(cfg.get_string("cloud_id"), &error);
  if (!endpoint) cfg.fail("cloud_id", error);
  if (cfg.has("host")) cfg.fail("host", "host and cloud_id both name the endpoint; set only one of them");
  if (cfg.has("tls") && !cfg.get_bool("tls")) cfg.fail("tls", "Elastic Cloud (cloud_id) needs tls on");
  http.client.host = endpoint->host;
  if (!cfg.has("port")) http.client.port = endpoint->port;
  http.client.tls.enabled = true;
}

void apply_auth(const config::ComponentConfig& cfg, http::HttpOutputSettings& http) {
  int methods = cfg.has("http_user") + cfg.has("http_api_key") + cfg.has("cloud_auth");
  if (methods > 1) {
    std::string_view key = cfg.has("cloud_auth") ? "cloud_auth" : "http_api_key";
    cfg.fail(key, "set only one of http_user, http_api_key and cloud_auth");
  }
  if (cfg.has("http_api_key")) {
    std::string key = cfg.get_string("http_api_key");
    if (key.empty()) cfg.fail("http_api_key", "expected `id:key` or its base64 encoding");
    http.headers.push_back({"Authorization", api_key_header(key)});
  }
  if (cfg.has("cloud_auth")) {
    std::string auth = cfg.get_string("cloud_auth");
    size_t colon = auth.find(':');
    if (colon == std::string::npos) cfg.fail("cloud_auth", "expected `user:password`");
    http.headers.push_back({"Authorization", http::basic_auth(auth.substr(0, colon), auth.substr(colon + 1))});
  }
}

// aws_auth: SigV4 instead of (not beside) the other authentications.
void read_aws(const config::ComponentConfig& cfg, EsSettings& s) {
  if (!cfg.get_bool("aws_auth")) {
    for (const char* key : {"aws_region", "aws_sts_endpoint", "aws_role_arn", "aws_external_id", "aws_profile"})
      if (cfg.has(key)) cfg.fail(key, "is used only with aws_auth: on");
    return;
  }
  if (cfg.has("http_user") || cfg.has("http_api_key") || cfg.has("cloud_auth"))
    cfg.fail("aws_auth", "signs every request: remove http_user, http_api_key and cloud_auth");
  aws::CredentialsSettings a;
  a.region = cfg.get_string("aws_region");
  if (a.region.empty()) cfg.fail("aws_auth", "needs aws_region (the domain's region, e.g. eu-west-1)");
  a.sts_endpoint = cfg.get_string("aws_sts_endpoint");
  if (!a.sts_endpoint.empty() && !http::parse_endpoint(a.sts_endpoint))
    cfg.fail("aws_sts_endpoint", "expects https://host[:port] or http://host[:port], got '" + a.sts_endpoint + "'");
  a.role_arn = cfg.get_string("aws_role_arn");
  a.external_id = cfg.get_string("aws_external_id");
  if (!a.external_id.empty() && a.role_arn.empty()) cfg.fail("aws_external_id", "is used only with aws_role_arn");
  a.profile = cfg.get_string("aws_profile");
  s.aws = std::move(a);
  s.aws_service = cfg.get_string("aws_service_name");
}

std::string bulk_target(const config::ComponentConfig& cfg) {
  std::string path = cfg.get_string("path");
  if (!path.empty() && path.front() != '/') path.insert(path.begin(), '/');
  while (!path.empty() && path.back() == '/') path.pop_back();
  std::string target = path + "/_bulk";
  if (std::string pipeline = cfg.get_string("pipeline"); !pipeline.empty()) target += "?pipeline=" + http::percent_encode(pipeline);
  return target;
}

}  // namespace

namespace {
config::PluginSchema make_schema(std::string_view name, std::string_view description) {
  config::PluginSchema s{name, description, own_keys()};
  for (auto& k : http::http_output_keys("9200")) s.keys.push_back(k);
  return s;
}
}  // namespace

const config::PluginSchema& es_schema() {
  static const config::PluginSchema schema =
      make_schema("es",
                  "Sends records to Elasticsearch 7/8 or OpenSearch through the _bulk API, reading the answer per "
                  "item: only failed items are retried, rejected ones are dead-lettered.");
  return schema;
}

const config::PluginSchema& opensearch_schema() {
  static const config::PluginSchema schema =
      make_schema("opensearch",
                  "Fluent Bit's opensearch output: the es output under that name (OpenSearch 1/2 and Amazon "
                  "OpenSearch Service, aws_auth with aws_service_name es or aoss), the same keys.");
  return schema;
}

EsSettings read_es_settings(const config::ComponentConfig& cfg, const std::string& base_dir) {
  EsSettings s;
  s.http = http::read_http_output_settings(cfg, base_dir);
  if (cfg.has("cloud_id")) apply_cloud_id(cfg, s.http);
  apply_auth(cfg, s.http);
  s.encoder = read_encoder(cfg);
  s.target = bulk_target(cfg);
  s.trace_error = cfg.get_bool("trace_error");
  read_aws(cfg, s);
  return s;
}

std::optional<CloudEndpoint> decode_cloud_id(std::string_view cloud_id, std::string* error) {
  // The deployment name before the first ':' is only a label.
  size_t colon = cloud_id.find(':');
  std::string_view encoded = colon == std::string_view::npos ? cloud_id : cloud_id.substr(colon + 1);
  auto decoded = base64_decode(encoded);
  if (!decoded) {
    *error = "expected `name:base64`; the part after ':' is not base64";
    return std::nullopt;
  }
  // host[:port]$es_uuid[:port]$kibana_uuid
  std::string_view text = *decoded;
  size_t d1 = text.find('$');
  size_t d2 = d1 == std::string_view::npos ? d1 : text.find('$', d1 + 1);
  std::string_view host = text.substr(0, d1);
  std::string_view es = d1 == std::string_view::npos ? std::string_view{} : text.substr(d1 + 1, d2 - d1 - 1);
  CloudEndpoint out;
  auto take_port = [&](std::string_view& part) -> bool {
    size_t c = part.rfind(':');
    if (c == std::string_view::npos) return true;
    auto port = config::parse_int(part.substr(c + 1));
    if (!port || *port <= 0 || *port > 65535) return false;
    out.port = static_cast<uint16_t>(*port);
    part = part.substr(0, c);
    return true;
  };
  if (!take_port(host) || !take_port(es) || host.empty() || es.empty()) {
    *error = "the decoded cloud_id is not `host$es_uuid$kibana_uuid`";
    return std::nullopt;
  }
  out.host = std::string(es) + "." + std::string(host);
  return out;
}

std::string api_key_header(std::string_view key) {
  // base64 has no ':', so a colon means the raw `id:key` form.
  if (key.find(':') != std::string_view::npos) return "ApiKey " + base64_encode(key);
  return "ApiKey " + std::string(key);
}

}  // namespace sluice::es
