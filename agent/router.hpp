// Fluent Bit tag routing: `match` globs (`app.*`, `*`) and `match_regex`.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "agent/config/component_config.hpp"
#include "agent/regex.hpp"

namespace sluice {

// Immutable after construction.
class TagMatcher {
 public:
  // From a filter's or output's `match` / `match_regex` keys (ConfigError if
  // both are set or the regex doesn't compile). Neither set means `*`.
  static TagMatcher from_config(const config::ComponentConfig& cfg);
  static TagMatcher glob(std::string pattern);
  bool matches(std::string_view tag) const;

 private:
  std::string glob_;
  std::optional<Regex> regex_;
};

// `*` matches any run of characters (dots included, as in Fluent Bit).
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace sluice
