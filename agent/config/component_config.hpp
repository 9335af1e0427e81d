// One component's validated settings (a YAML map checked against its schema),
// with typed getters. Values were validated when loaded, so getters of a
// declared key cannot fail; fail() reports a semantic error at a key's line.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "agent/config/mark.hpp"
#include "agent/config/route_config.hpp"
#include "agent/config/schema.hpp"

namespace sluice::config {

// Every configuration problem a user can meet; what() reads
// "FILE:LINE:COL: message".
class ConfigError : public std::runtime_error {
 public:
  ConfigError(Mark mark, const std::string& message);
  ConfigError(const std::string& message) : std::runtime_error(message) {}
  const Mark& mark() const { return mark_; }
 private:
  Mark mark_;
};

struct Setting {
  std::vector<std::string> values;  // one for scalars; several for List/Multi
  Mark mark;
};

class ComponentConfig {
 public:
  ComponentConfig() = default;
  // Defined below Processor: its member initializers need the complete type
  // (clang instantiates the processors vector's destructor there).
  ComponentConfig(const PluginSchema* schema, std::string kind, Mark mark);

  const PluginSchema& schema() const { return *schema_; }
  std::string_view plugin() const { return schema_->name; }
  const std::string& kind() const { return kind_; }  // "input", "filter", "output", "parser", "service"
  const Mark& mark() const { return mark_; }
  // "input tail (conf.yaml:12)" style name for log lines and errors.
  std::string display_name() const;

  // True if the user set the key (defaults don't count).
  bool has(std::string_view key) const { return settings_.count(std::string(key)) > 0; }
  std::string get_string(std::string_view key) const;
  int64_t get_int(std::string_view key) const;
  double get_double(std::string_view key) const;
  bool get_bool(std::string_view key) const;
  std::chrono::nanoseconds get_duration(std::string_view key) const;
  uint64_t get_size(std::string_view key) const;
  std::vector<std::string> get_list(std::string_view key) const;
  // Where the key was set, or the component's own mark if it wasn't.
  const Mark& mark_of(std::string_view key) const;
  [[noreturn]] void fail(std::string_view key, const std::string& message) const;

  // Used by the loader.
  void set(std::string key, Setting s) { settings_[std::move(key)] = std::move(s); }

  // YAML only (Fluent Bit 3+): an input's or output's `processors: logs:`,
  // filters run at that position (kind "processor"), each with its optional
  // `condition:` (condition.rules empty: none).
  struct Processor;
  std::vector<Processor> processors;
  // An input's conditional `routes: logs:` (Fluent Bit 4.2+).
  std::vector<RouteConfig> routes;
  const std::map<std::string, Setting, std::less<>>& settings() const { return settings_; }

 private:
  const KeyDecl& decl(std::string_view key) const;
  std::vector<std::string> raw(std::string_view key) const;

  const PluginSchema* schema_ = nullptr;
  std::string kind_;
  Mark mark_;
  std::map<std::string, Setting, std::less<>> settings_;
};

struct ComponentConfig::Processor {
  ComponentConfig filter;
  ConditionConfig condition;
};

inline ComponentConfig::ComponentConfig(const PluginSchema* schema, std::string kind, Mark mark)
    : schema_(schema), kind_(std::move(kind)), mark_(std::move(mark)) {}

// The largest values a config may give: far beyond any sensible setting, and
// small enough that arithmetic on them can't overflow.
inline constexpr std::chrono::nanoseconds kMaxDuration = std::chrono::hours(24 * 3650);
inline constexpr std::string_view kMaxDurationText = "3650d";
inline constexpr uint64_t kMaxSize = uint64_t{1} << 50;
inline constexpr std::string_view kMaxSizeText = "1024T";

// Conversions shared by validation and getters; nullopt when malformed or
// beyond the limits above.
std::optional<bool> parse_bool(std::string_view s);
std::optional<int64_t> parse_int(std::string_view s);
std::optional<double> parse_double(std::string_view s);
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view s);
std::optional<uint64_t> parse_size(std::string_view s);

// A "name value" entry of a Multi key (Fluent Bit's `add_option`,
// `security.users`, `header`): the name up to the first space or tab, the
// value after the blanks that follow (inner blanks kept). nullopt when
// either is missing.
struct NameValue {
  std::string name;
  std::string value;
};
std::optional<NameValue> split_name_value(std::string_view entry);

}  // namespace sluice::config
