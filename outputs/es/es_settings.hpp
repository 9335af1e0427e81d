// The `es` output's configuration: its keys (Fluent Bit's names) and the
// immutable EsSettings read from them once at build time.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/base64.hpp"
#include "agent/config/component_config.hpp"
#include "agent/config/schema.hpp"
#include "agent/record_accessor.hpp"
#include "outputs/common/aws/aws_credentials.hpp"
#include "outputs/common/http_output_config.hpp"

namespace sluice::es {

// update and upsert send the record as a partial document (`doc`; upsert adds
// `doc_as_upsert`) to the `_id` that id_key or generate_id gives.
enum class OpType { Create, Index, Update, Upsert };

// What goes into each action line and source line (see EsBulkEncoder).
struct EncoderSettings {
  OpType op_type = OpType::Create;
  // strftime pattern applied to the record's time (UTC); no `%` = a fixed name.
  // With logstash_format it is prefix + separator + logstash_dateformat.
  std::string index = "fluent-bit";
  // logstash_prefix_key: a record field that replaces the prefix when present.
  std::optional<RecordAccessor> prefix_key;
  std::string prefix_separator = "-";  // between that field and the date
  std::string date_format;             // the logstash_dateformat, used with prefix_key
  bool current_time_index = false;     // index from the time of sending, not the record's
  std::string type;                    // `_type`; empty = none (also when suppress_type_name)
  std::string time_key = "@timestamp";  // empty: no time field added
  std::string time_key_format = "%Y-%m-%dT%H:%M:%S";
  bool time_key_nanos = false;  // 9 fraction digits instead of 3
  std::string tag_key;          // include_tag_key: the field for the tag; empty = off
  bool generate_id = false;
  std::optional<RecordAccessor> id_key;
  bool replace_dots = false;
  uint64_t max_request_bytes = 5 << 20;
};

struct EsSettings {
  http::HttpOutputSettings http;  // host/port/tls/auth/gzip/headers, after cloud_id and api keys
  EncoderSettings encoder;
  std::string target;  // path + "/_bulk" + query (pipeline)
  bool trace_error = false;
  std::optional<aws::CredentialsSettings> aws;  // aws_auth: sign with SigV4
  std::string aws_service = "es";               // es or aoss
};

const config::PluginSchema& es_schema();
// The same keys under Fluent Bit's other name for this output.
const config::PluginSchema& opensearch_schema();

// Validates and reads every key (cfg.fail on a bad value).
// base_dir: the config file's directory, for relative tls.* paths.
EsSettings read_es_settings(const config::ComponentConfig& cfg, const std::string& base_dir = "");

// Elastic Cloud: "name:base64(host[:port]$es_uuid$kibana_uuid)" → the
// Elasticsearch endpoint "<es_uuid>.<host>" and its port (443 unless given).
// nullopt with *error set when the id is malformed.
struct CloudEndpoint {
  std::string host;
  uint16_t port = 443;
};
std::optional<CloudEndpoint> decode_cloud_id(std::string_view cloud_id, std::string* error);

// "ApiKey <base64(id:key)>" from either "id:key" or the already encoded form.
std::string api_key_header(std::string_view key);


}  // namespace sluice::es
