// The `loki` output's configuration: its keys (Fluent Bit's names) and the
// typed, validated settings read from them once at build time.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "agent/config/component_config.hpp"
#include "agent/input.hpp"
#include "agent/record_accessor.hpp"
#include "outputs/common/http_output_config.hpp"
#include "outputs/loki/loki_streams.hpp"

namespace sluice::loki {

enum class PushFormat { Protobuf, Json };

struct LokiOutputConfig {
  http::HttpOutputSettings http;
  std::string uri = "/loki/api/v1/push";
  PushFormat format = PushFormat::Protobuf;
  StreamRules streams;
  std::string tenant_id;                      // X-Scope-OrgID; "" = none (single-tenant Loki)
  std::optional<RecordAccessor> tenant_id_key;  // per-record tenant, falls back to tenant_id
  std::string bearer_token;
};

// The loki keys, then the shared HTTP keys (default port 3100).
std::vector<config::KeyDecl> loki_keys();

// The keys that shape streams and lines (labels, label_keys, label_map_path,
// structured_metadata, structured_metadata_map_keys, remove_keys,
// line_format, drop_single_key). ConfigError at the key on a bad value.
StreamRules read_stream_rules(const config::ComponentConfig& cfg, const BuildContext& ctx);

// Every key. ConfigError at the key on a bad value.
LokiOutputConfig read_loki_config(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice::loki
