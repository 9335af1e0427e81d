// Reading the `loki` output's keys; see loki_settings.hpp.
#include "outputs/loki/loki_settings.hpp"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "agent/config/accessor_key.hpp"
#include "agent/config/compat_keys.hpp"
#include "agent/parse/json_format.hpp"

namespace sluice::loki {

using config::KeyType;

std::vector<config::KeyDecl> loki_keys() {
  std::vector<config::KeyDecl> keys = {
      {"uri", KeyType::String, "/loki/api/v1/push", "Path of Loki's push endpoint; must start with '/'."},
      {"format", KeyType::String, "protobuf",
       "Body of the push request: `protobuf` (snappy-compressed logproto.PushRequest, what Promtail and Alloy "
       "send) or `json` (gzip with `compress gzip`).",
       false, false, {"protobuf", "json"}},
      {"tenant_id", KeyType::String, "",
       "Tenant sent as X-Scope-OrgID; empty: no header (a single-tenant Loki)."},
      {"tenant_id_key", KeyType::String, "",
       "Record accessor of the tenant (`$tenant`, `$kubernetes['namespace_name']`): a batch is split into one "
       "request per tenant; records without a string there use tenant_id."},
      {"labels", KeyType::List, "job=sluice",
       "Stream labels, comma separated: `name=value`, `name=$record_accessor`, or `$record_accessor` (named by its "
       "keys joined with '_': `$sub['stream']` is `sub_stream`). Names are sanitized to [a-zA-Z_][a-zA-Z0-9_]*. "
       "A record with no label value gets job=\"sluice\"."},
      {"label_keys", KeyType::List, "",
       "Record keys that become stream labels, as `$record_accessor` (named as in labels)."},
      {"label_map_path", KeyType::String, "",
       "JSON file mapping record keys to label names: {\"sub\": {\"stream\": \"stream\"}} makes label `stream` from "
       "$sub['stream']."},
      {"auto_kubernetes_labels", KeyType::Bool, "off",
       "Every string value of the record's kubernetes.labels map (what Fluent Bit's kubernetes filter adds) "
       "becomes a stream label too, its name sanitized; a label of labels / label_keys / label_map_path wins a "
       "clash. The map stays in the line, as in Fluent Bit."},
      {"structured_metadata", KeyType::List, "",
       "Structured metadata of each line (Loki 3.0+), comma separated, same syntax as labels. Values that are maps "
       "or arrays are sent as JSON."},
      {"structured_metadata_map_keys", KeyType::List, "",
       "Record accessors of maps whose every entry becomes structured metadata (`$kubernetes`); structured_metadata "
       "wins over an entry of the same name."},
      {"remove_keys", KeyType::List, "",
       "Keys (`key` or `$record_accessor`) left out of the line. Keys read by labels, label_keys and "
       "structured_metadata are left out too."},
      {"drop_single_key", KeyType::String, "off",
       "When one key is left in the record: `on` sends only its value (JSON, so a string keeps its quotes with "
       "line_format json), `raw` sends a string value without quotes, `off` sends the record."},
      {"line_format", KeyType::String, "json",
       "The line: `json` (the record as JSON) or `key_value` (`key=\"value\" n=1`, logfmt quoting).", false, false,
       {"json", "key_value"}},
      {"bearer_token", KeyType::String, "", "Sent as `Authorization: Bearer <token>`.", false, true},
      config::compat_note("buffer_size", KeyType::Size, "sluice reads the whole answer to a push (Loki's are short)."),
  };
  for (auto& k : http::http_output_keys("3100")) keys.push_back(std::move(k));
  return keys;
}

namespace {

// A label source: its rule and the key it was configured with (for errors).
struct NamedRule {
  KvRule rule;
  std::string_view key;
};

KvRule kv_rule(const config::ComponentConfig& cfg, std::string_view key, const std::string& entry) {
  std::string error;
  auto rule = parse_kv_rule(entry, &error);
  if (!rule) cfg.fail(key, error);
  return std::move(*rule);
}


// `label_keys` entries are accessors; a plain `key` means `$key`.
KvRule label_key_rule(const config::ComponentConfig& cfg, const std::string& entry) {
  return kv_rule(cfg, "label_keys", entry.empty() || entry[0] == '$' ? entry : "$" + entry);
}

std::string quoted_key(const std::string& key) {
  std::string out = "['";
  for (char c : key) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "']";
}

// Fluent Bit's label map: nested JSON objects are the record path, a string
// leaf is the label name.
void map_rules(const config::ComponentConfig& cfg, const Value& v, const std::string& path, std::vector<NamedRule>& out) {
  for (const auto& m : v.members()) {
    std::string here = path.empty() ? "$" + std::string(m.key) : path + quoted_key(std::string(m.key));
    if (m.value.is_map()) {
      map_rules(cfg, m.value, here, out);
    } else if (m.value.is_string() && !m.value.as_string().empty()) {
      out.push_back({kv_rule(cfg, "label_map_path", std::string(m.value.as_string()) + "=" + here), "label_map_path"});
    } else {
      cfg.fail("label_map_path", "the value at " + here + " must be a label name (a string) or an object");
    }
  }
}

void load_label_map(const config::ComponentConfig& cfg, const BuildContext& ctx, std::vector<NamedRule>& out) {
  std::filesystem::path path = cfg.get_string("label_map_path");
  if (path.is_relative() && !ctx.base_dir.empty()) path = std::filesystem::path(ctx.base_dir) / path;
  std::ifstream in(path);
  if (!in) cfg.fail("label_map_path", "cannot read " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  Arena arena;
  Value map;
  if (!make_json_format()->parse(text.str(), arena, map))
    cfg.fail("label_map_path", path.string() + " is not a JSON object");
  map_rules(cfg, map, "", out);
}

LabelRules label_rules(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  std::vector<NamedRule> named;
  for (const auto& entry : cfg.get_list("labels")) named.push_back({kv_rule(cfg, "labels", entry), "labels"});
  for (const auto& entry : cfg.get_list("label_keys")) named.push_back({label_key_rule(cfg, entry), "label_keys"});
  if (!cfg.get_string("label_map_path").empty()) load_label_map(cfg, ctx, named);
  std::set<std::string> seen;
  std::vector<KvRule> rules;
  for (auto& n : named) {
    if (!seen.insert(n.rule.name).second)
      cfg.fail(n.key, "label '" + n.rule.name + "' is set twice (labels, label_keys and label_map_path share names)");
    rules.push_back(std::move(n.rule));
  }
  std::optional<RecordAccessor> kubernetes;
  if (cfg.get_bool("auto_kubernetes_labels"))
    kubernetes = config::accessor_at(cfg, "auto_kubernetes_labels", "$kubernetes['labels']");
  return LabelRules(std::move(rules), {"job", "sluice"}, std::move(kubernetes));
}

DropSingleKey drop_single_key(const config::ComponentConfig& cfg) {
  std::string v = cfg.get_string("drop_single_key");
  if (v == "raw") return DropSingleKey::Raw;
  auto b = config::parse_bool(v);
  if (!b) cfg.fail("drop_single_key", "expected on, off or raw, got '" + v + "'");
  return *b ? DropSingleKey::On : DropSingleKey::Off;
}

}  // namespace

StreamRules read_stream_rules(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  StreamRules r;
  r.labels = label_rules(cfg, ctx);
  for (const auto& entry : cfg.get_list("structured_metadata")) r.metadata.push_back(kv_rule(cfg, "structured_metadata", entry));
  for (const auto& entry : cfg.get_list("structured_metadata_map_keys")) {
    if (entry.empty() || entry[0] != '$')
      cfg.fail("structured_metadata_map_keys", "'" + entry + "' must be a record accessor starting with '$'");
    r.metadata_maps.push_back(config::accessor_at(cfg, "structured_metadata_map_keys", entry));
  }
  r.line_format = cfg.get_string("line_format") == "key_value" ? LineFormat::KeyValue : LineFormat::Json;
  r.drop_single_key = drop_single_key(cfg);
  // What became a label or metadata is not repeated in the line (as Fluent Bit).
  for (const auto& entry : cfg.get_list("remove_keys"))
    r.removed.push_back(config::accessor_at(cfg, "remove_keys", entry));
  for (const auto& rule : r.labels.rules())
    if (rule.accessor) r.removed.push_back(*rule.accessor);
  for (const auto& rule : r.metadata)
    if (rule.accessor) r.removed.push_back(*rule.accessor);
  for (const auto& ra : r.metadata_maps) r.removed.push_back(ra);
  return r;
}

LokiOutputConfig read_loki_config(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  LokiOutputConfig c;
  c.http = http::read_http_output_settings(cfg, ctx.base_dir);
  c.uri = cfg.get_string("uri");
  if (c.uri.empty() || c.uri[0] != '/') cfg.fail("uri", "must start with '/', e.g. /loki/api/v1/push");
  c.format = cfg.get_string("format") == "json" ? PushFormat::Json : PushFormat::Protobuf;
  if (c.format == PushFormat::Protobuf && c.http.gzip)
    cfg.fail("compress", "gzip applies to format json; the protobuf body is snappy-compressed already");
  c.streams = read_stream_rules(cfg, ctx);
  c.tenant_id = cfg.get_string("tenant_id");
  if (std::string key = cfg.get_string("tenant_id_key"); !key.empty())
    c.tenant_id_key = config::accessor_at(cfg, "tenant_id_key", key);
  c.bearer_token = cfg.get_string("bearer_token");
  if (!c.bearer_token.empty() && !cfg.get_string("http_user").empty())
    cfg.fail("bearer_token", "set either bearer_token or http_user/http_passwd, not both");
  return c;
}

}  // namespace sluice::loki
