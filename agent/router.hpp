// Fluent Bit tag routing: `match` globs (`app.*`, `*`) and `match_regex`;
// and an input's conditional routes (Fluent Bit 4.2's `routes:`), which send
// each record to named outputs by a condition on its fields.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/condition.hpp"
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

// An input's `routes:`, compiled; immutable, shared by the chunks the input
// makes (Chunk::routes). A record takes every route whose condition it meets
// (a route without one takes every record); a `default: true` route takes the
// records no conditional route took; a record no route takes is dropped
// (counted). The pipeline sends each route's records on under the route's
// name as their tag, to that route's outputs (Pipeline::submit); outputs'
// `match` doesn't apply to the input's records.
class ConditionalRoutes {
 public:
  struct Route {
    std::string name;
    std::optional<Condition> condition;  // none: every record
    bool is_default = false;
    std::vector<std::string> outputs;  // as written: alias, instance name or plugin name
    config::Mark to_mark;
  };
  static constexpr size_t kMaxRoutes = 64;

  // Throws config::ConfigError (a bad condition, too many routes).
  static std::shared_ptr<const ConditionalRoutes> compile(const std::vector<config::RouteConfig>& routes);

  // The conditional routes (bit i: route i) whose condition the record
  // meets, else the default routes, as Fluent Bit: a default route takes
  // what no conditional route took. Routes without a condition aren't in it.
  uint64_t select(const Value& record) const;
  // The routes without a condition: they take the input's chunk as it is.
  uint64_t unconditional() const { return unconditional_; }
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
  uint64_t defaults_ = 0;  // bits of the default routes
  uint64_t unconditional_ = 0;
};

// The output a route's name means, among outputs named `instances` (alias or
// plugin.N) whose plugins are `plugins`: an instance name first, then the
// first output of that plugin (as Fluent Bit). npos if none.
size_t find_route_output(std::string_view name, const std::vector<std::string>& instances,
                         const std::vector<std::string>& plugins);

// `*` matches any run of characters (dots included, as in Fluent Bit).
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace sluice
