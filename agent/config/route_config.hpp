// Fluent Bit's record conditions as configured (before compiling): the
// `condition:` of a conditional route (an input's `routes:`) and of a
// processor. Plain data with the marks errors point at; agent/condition.hpp
// compiles it.
#pragma once
#include <string>
#include <vector>

#include "agent/config/mark.hpp"

namespace sluice::config {

struct RuleConfig {
  std::string field;                // record accessor: `$level`, `$kubernetes['ns']`, or `level`
  std::string op;                   // eq, neq, gt, lt, gte, lte, regex, not_regex, in, not_in
  std::vector<std::string> values;  // one for a scalar `value`, several for a list
  bool is_list = false;             // `value` was a YAML list
  Mark mark;                        // the rule's start
};

struct ConditionConfig {
  bool any = false;         // op: or (default and: every rule must hold)
  bool is_default = false;  // a route's `default: true`: records no other route took
  std::vector<RuleConfig> rules;
  Mark mark;
};

// One route of an input's `routes: logs:` list.
struct RouteConfig {
  std::string name;
  bool has_condition = false;  // no condition: every record takes this route
  ConditionConfig condition;
  std::vector<std::string> outputs;  // output names: alias, instance name (es.0) or plugin name
  Mark mark;     // the route's start
  Mark to_mark;  // its `to:` (errors about an output name point here)
};

}  // namespace sluice::config
