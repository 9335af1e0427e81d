// The `content_modifier` filter; see content_modifier_filter.hpp. What Fluent
// Bit 5.1 does (its processor_content_modifier), and where sluice differs,
// is in docs/filters/content_modifier.md.
#include "filters/content_modifier/content_modifier_filter.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/ascii_case.hpp"
#include "agent/hex.hpp"
#include "agent/log.hpp"
#include "agent/metrics.hpp"
#include "agent/record.hpp"
#include "agent/regex.hpp"
#include "filters/common/rule_syntax.hpp"
#include "outputs/common/crypto/digest.hpp"

namespace sluice {

namespace {

enum class Action { Insert, Upsert, Delete, Rename, Hash, Extract, Convert };
// Where the action applies: the record, its metadata, or a map inside the
// metadata's otlp (what the opentelemetry input puts there): the log's
// attributes, its resource's attributes, its scope's attributes, or the
// scope itself (name, version).
enum class Context { Body, Metadata, OtelLogAttributes, OtelResourceAttributes, OtelScopeAttributes, OtelScope };
enum class Type { String, Boolean, Int, Double };

struct Settings {
  Action action;
  Context context;
  std::string key;
  std::string value;
  std::optional<Regex> pattern;
  Type type = Type::String;
};

// A value's text as Fluent Bit's processor writes it (doubles with %.17g,
// null as "null"); nullopt for a map or an array.
std::optional<std::string> text_of(const Value& v) {
  if (v.is_null()) return std::string("null");
  if (v.is_double()) {
    char buf[40];
    int n = std::snprintf(buf, sizeof buf, "%.17g", v.as_double());
    return std::string(buf, static_cast<size_t>(n));
  }
  char buf[32];
  std::string_view text;
  if (!rule_syntax::value_text(&v, buf, text)) return std::nullopt;
  return std::string(text);
}

std::optional<Value> convert(const Value& v, Type type, Arena& arena) {
  switch (type) {
    case Type::String: {
      auto text = text_of(v);
      if (!text) return std::nullopt;
      return record::string(arena, *text);
    }
    case Type::Boolean:
      if (v.is_string()) {
        std::string_view s = v.as_string();
        return Value::boolean(s.size() == 4 && (s[0] | 0x20) == 't' && (s[1] | 0x20) == 'r' && (s[2] | 0x20) == 'u' &&
                              (s[3] | 0x20) == 'e');
      }
      if (v.is_bool()) return v;
      if (v.is_int()) return Value::boolean(v.as_int() != 0);
      if (v.is_double()) return Value::boolean(v.as_double() != 0.0);
      if (v.is_null()) return Value::boolean(false);
      return std::nullopt;
    case Type::Int:
      if (v.is_string()) {
        std::string_view s = v.as_string();
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        if (s.empty()) return Value::integer(0);
        if (s.front() == '+') s.remove_prefix(1);
        int64_t i = 0;
        auto r = std::from_chars(s.data(), s.data() + s.size(), i);
        if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
        return Value::integer(i);
      }
      if (v.is_int()) return v;
      if (v.is_double()) {
        double d = std::round(v.as_double());
        if (!(d >= -9.2233720368547758e18 && d < 9.2233720368547758e18)) return std::nullopt;
        return Value::integer(static_cast<int64_t>(d));
      }
      if (v.is_bool()) return Value::integer(v.as_bool() ? 1 : 0);
      if (v.is_null()) return Value::integer(0);
      return std::nullopt;
    case Type::Double:
      if (v.is_string()) {
        std::string text(v.as_string());
        char* end = nullptr;
        errno = 0;
        double d = std::strtod(text.c_str(), &end);
        if (end == text.c_str() || errno == ERANGE) return std::nullopt;  // no number at all, or out of range
        return Value::real(d);
      }
      if (v.is_double()) return v;
      if (v.is_int()) return Value::real(static_cast<double>(v.as_int()));
      if (v.is_bool()) return Value::real(v.as_bool() ? 1.0 : 0.0);
      if (v.is_null()) return Value::real(0.0);
      return std::nullopt;
  }
  return std::nullopt;
}

class ContentModifierFilter final : public Filter {
 public:
  explicit ContentModifierFilter(Settings s) : s_(std::move(s)) {}

  void start(FilterContext& ctx) override {
    skipped_ = &ctx.metrics().counter(
        "sluice_filter_content_modifier_skipped_total", "filter", ctx.instance(), false,
        "Records the action could not apply to (a missing key to convert or extract, a value that doesn't convert, "
        "no match): passed on unchanged.");
  }

  void filter(Chunk& chunk) override {
    uint64_t skipped = 0;
    const bool in_metadata = s_.context != Context::Body;
    if (in_metadata && chunk.metadata.empty()) {
      // Only the log's attributes and the metadata itself are made for a
      // record that has none; resource and scope belong to OTLP logs.
      if (s_.action != Action::Insert && s_.action != Action::Upsert && s_.context != Context::OtelLogAttributes) return;
      if (s_.context != Context::Metadata && s_.context != Context::OtelLogAttributes) return;
      chunk.metadata.assign(chunk.events.size(), Value());
    }
    // The key, the new name and the value live as long as the chunk: copied
    // into its arena once, shared by its records (strings aren't changed).
    texts_.key = chunk.arena.copy(s_.key);
    texts_.name = chunk.arena.copy(s_.value);
    texts_.value = Value::string(texts_.name);
    for (size_t i = 0; i < chunk.events.size(); ++i) {
      Value* target = in_metadata ? &chunk.metadata[i] : &chunk.events[i].record;
      if (!apply_to(*target, chunk.arena)) ++skipped;
    }
    if (skipped > 0) skipped_->add(skipped);
  }

 private:
  // The record, or its metadata (created when an insert needs it), or a map
  // inside the metadata's otlp: otlp.attributes (created, as Fluent Bit
  // creates it), otlp.resource.attributes, otlp.scope.attributes or
  // otlp.scope (only in the metadata of OTLP logs, which have otlp;
  // their missing maps are created).
  bool apply_to(Value& root, Arena& arena) {
    if (s_.context == Context::Body) return root.is_map() ? apply(root, arena) : false;
    if (s_.context != Context::Metadata && s_.context != Context::OtelLogAttributes) {
      const Value* otlp = root.is_map() ? root.find("otlp") : nullptr;
      if (otlp == nullptr) return true;  // not an OTLP log: nothing to act on
      if (!otlp->is_map()) return false;
    }
    if (!root.is_map()) {
      if (!root.is_null()) return false;
      root = record::empty_map();
    }
    static constexpr std::string_view kLog[] = {"otlp", "attributes"};
    static constexpr std::string_view kResource[] = {"otlp", "resource", "attributes"};
    static constexpr std::string_view kScopeAttributes[] = {"otlp", "scope", "attributes"};
    static constexpr std::string_view kScope[] = {"otlp", "scope"};
    switch (s_.context) {
      case Context::Metadata: return apply(root, arena);
      case Context::OtelLogAttributes: return apply_at(root, kLog, arena);
      case Context::OtelResourceAttributes: return apply_at(root, kResource, arena);
      case Context::OtelScopeAttributes: return apply_at(root, kScopeAttributes, arena);
      case Context::OtelScope: return apply_at(root, kScope, arena);
      case Context::Body: break;
    }
    return false;
  }

  // The action on the map at path under map (each missing map on the way
  // created); false when one on the way is not a map.
  bool apply_at(Value& map, std::span<const std::string_view> path, Arena& arena) {
    if (path.empty()) return apply(map, arena);
    std::string_view key = path.front();
    Value child = record::empty_map();
    if (const Value* c = map.find(key)) {
      if (!c->is_map()) return false;
      child = *c;
    }
    bool ok = apply_at(child, path.subspan(1), arena);
    record::set(map, arena, key, child);
    return ok;
  }

  // One action on one map (record.hpp's changes, in place); false when it
  // could not apply (the map is left as it was).
  bool apply(Value& map, Arena& arena) {
    Value* at = map.find(texts_.key);
    switch (s_.action) {
      case Action::Insert:
        record::add(map, arena, texts_.key, texts_.value);
        return true;
      case Action::Upsert:  // moved to the end, as Fluent Bit does
        record::remove(map, texts_.key);
        record::add(map, arena, texts_.key, texts_.value);
        return true;
      case Action::Delete:
        record::remove(map, texts_.key);
        return true;
      case Action::Rename:  // a key already named so gives way
        record::rename(map, arena, texts_.key, texts_.name, /*overwrite=*/true);
        return true;
      case Action::Hash: {
        if (at == nullptr) return true;
        auto text = text_of(*at);
        if (!text) return false;
        if (!text->empty()) *at = record::string(arena, hex::lower(crypto::sha256(*text)));
        return true;
      }
      case Action::Extract: {
        if (at == nullptr || !at->is_string()) return false;
        std::vector<std::pair<std::string_view, std::string_view>> found;
        bool matched = s_.pattern->named_captures(at->as_string(), [&](std::string_view name, std::string_view value) {
          found.emplace_back(name, value);
        });
        if (!matched || found.empty()) return false;
        for (auto& [name, value] : found) {
          // Keys of that name in any case give way; the group's name (the
          // pattern's) and the text are kept in the arena.
          for (size_t j = map.size(); j-- > 0;) {
            std::string_view k = map.members()[j].key.view();
            if (ascii_iequals(k, name)) record::remove(map, k);
          }
          record::add(map, arena, arena.copy(name), Value::string(value));
        }
        return true;
      }
      case Action::Convert: {
        if (at == nullptr) return false;
        auto converted = convert(*at, s_.type, arena);
        if (!converted) return false;
        record::remove(map, texts_.key);
        record::add(map, arena, texts_.key, *converted);
        return true;
      }
    }
    return false;
  }

  // The chunk's copies of the settings' texts (filter()).
  struct Texts {
    std::string_view key;
    std::string_view name;  // value: the new name of rename
    Value value;            // value: the string of insert and upsert
  };

  Settings s_;
  Texts texts_;
  Counter* skipped_ = nullptr;
};

}  // namespace

const config::PluginSchema& content_modifier_filter_schema() {
  using config::KeyType;
  static const config::PluginSchema schema{
      "content_modifier",
      "Fluent Bit's content_modifier processor: one action (insert, upsert, delete, rename, hash, extract, convert) "
      "on one key of each record or of its metadata; as a processor (processors: logs:) or a filter.",
      {
          {"action", KeyType::String, "", "insert, upsert, delete, rename, hash, extract or convert.", true, false,
           {"insert", "upsert", "delete", "rename", "hash", "extract", "convert"}},
          {"context", KeyType::String, "body",
           "Where: body (the record; also message, record), attributes (its metadata; also metadata), "
           "otel_log_attributes (metadata otlp.attributes), otel_resource_attributes (otlp.resource.attributes), "
           "otel_scope_attributes (otlp.scope.attributes), otel_scope_name and otel_scope_version (the map "
           "otlp.scope: key name or version); the last four act on logs from the opentelemetry input only.",
           false, false,
           {"body", "message", "record", "attributes", "metadata", "otel_log_attributes", "otel_resource_attributes",
            "otel_scope_name", "otel_scope_version", "otel_scope_attributes"}},
          {"key", KeyType::String, "", "The top-level key acted on (its exact name).", false, false, {}},
          {"value", KeyType::String, "",
           "insert, upsert: the value (a string); rename: the new name.", false, false, {}},
          {"pattern", KeyType::String, "",
           "extract: a regular expression whose named groups become keys, e.g. ^(?<method>\\S+) (?<path>\\S+)$.",
           false, false, {}},
          {"converted_type", KeyType::String, "", "convert: string, boolean, int or double.", false, false,
           {"string", "boolean", "int", "double"}},
      }};
  return schema;
}

std::unique_ptr<Filter> make_content_modifier_filter(const config::ComponentConfig& cfg, const BuildContext&) {
  Settings s;
  std::string action = ascii_lower(cfg.get_string("action"));
  s.action = action == "insert"    ? Action::Insert
             : action == "upsert"  ? Action::Upsert
             : action == "delete"  ? Action::Delete
             : action == "rename"  ? Action::Rename
             : action == "hash"    ? Action::Hash
             : action == "extract" ? Action::Extract
                                   : Action::Convert;
  std::string context = ascii_lower(cfg.get_string("context"));
  if (context == "body" || context == "message" || context == "record") s.context = Context::Body;
  else if (context == "attributes" || context == "metadata") s.context = Context::Metadata;
  else if (context == "otel_log_attributes") s.context = Context::OtelLogAttributes;
  else if (context == "otel_resource_attributes") s.context = Context::OtelResourceAttributes;
  else if (context == "otel_scope_attributes") s.context = Context::OtelScopeAttributes;
  else s.context = Context::OtelScope;
  s.key = cfg.get_string("key");
  if (!cfg.has("key")) cfg.fail("action", "key is required for action '" + action + "'");
  s.value = cfg.get_string("value");
  const bool needs_value = s.action == Action::Insert || s.action == Action::Upsert || s.action == Action::Rename;
  if (needs_value && !cfg.has("value")) cfg.fail("action", "value is required for action '" + action + "'");
  if (cfg.has("pattern")) {
    std::string error;
    s.pattern = Regex::compile(cfg.get_string("pattern"), &error);
    if (!s.pattern) cfg.fail("pattern", "invalid regex pattern: " + error);
    if (s.action == Action::Extract && s.pattern->group_names().empty())
      cfg.fail("pattern", "extract takes the pattern's named groups, (?<name>...), and it has none");
  }
  if (s.action == Action::Extract && !s.pattern)
    cfg.fail("action", "for 'extract' action, a regular expression in 'pattern' is required");
  std::string type = ascii_lower(cfg.get_string("converted_type"));
  if (s.action == Action::Convert && type.empty())
    cfg.fail("action", "converted_type is required for action 'convert'");
  s.type = type == "boolean" ? Type::Boolean : type == "int" ? Type::Int : type == "double" ? Type::Double : Type::String;
  return std::make_unique<ContentModifierFilter>(std::move(s));
}

}  // namespace sluice
