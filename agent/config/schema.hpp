// Declarations of configuration keys: one per key of every component. The
// declaration drives validation, defaults, error messages and --help-plugin.
#pragma once
#include <string_view>
#include <vector>

namespace sluice::config {

enum class KeyType {
  String,
  Int,
  Double,
  Bool,      // on/off, true/false, yes/no, 1/0
  Duration,  // "250ms", "5s", "2m", "1h"; a bare number is seconds
  Size,      // "512", "32k", "5M", "1G" (powers of 1024, as Fluent Bit)
  List,      // a YAML sequence, or a scalar split on commas
  Multi,     // repeatable rule ("KEY VALUE"): a scalar is one entry, a sequence many
};

struct KeyDecl {
  std::string_view name;
  KeyType type;
  std::string_view default_value;  // "" with required=false: unset
  std::string_view description;
  bool required = false;
  bool secret = false;                     // never printed or logged
  std::vector<std::string_view> choices;   // allowed values (String only), empty = any
  // Fluent Bit's name for a key of sluice's: the value is stored under that key.
  std::string_view alias_of = {};
  // A key Fluent Bit has and sluice doesn't need: accepted, and setting it
  // logs this note at start ("what sluice does instead").
  std::string_view compat_note = {};
};

struct PluginSchema {
  std::string_view name;
  std::string_view description;
  std::vector<KeyDecl> keys;

  // A key declared as "prefix.*" (or "prefix_*") stands for every key
  // under that prefix (the kafka output's rdkafka.<property> pass-through,
  // tail's parser_N); its type and description hold for each, and the
  // component checks the names itself.
  const KeyDecl* find(std::string_view key) const {
    for (const auto& k : keys)
      if (k.name == key) return &k;
    for (const auto& k : keys)
      if (k.name.size() > 2 && (k.name.ends_with(".*") || k.name.ends_with("_*")) && key.size() > k.name.size() - 1 &&
          key.starts_with(k.name.substr(0, k.name.size() - 1)))
        return &k;
    return nullptr;
  }
};

std::string_view type_name(KeyType t);

}  // namespace sluice::config
