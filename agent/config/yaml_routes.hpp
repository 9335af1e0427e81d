// Reads the YAML of Fluent Bit's record conditions (a processor's or a
// route's `condition:`) and of an input's conditional `routes:` into
// route_config.hpp's plain data. Shapes are checked here; what the values
// mean (operators, numbers, regexes, output names) when they are compiled.
// Only the YAML loader includes this (yaml-cpp stays out of other headers).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "agent/config/route_config.hpp"

namespace sluice::config {

// What the loader lends: where a node is, a scalar with ${VAR} replaced, and
// its warnings list.
struct YamlReader {
  std::function<Mark(const YAML::Node&)> mark;
  std::function<std::string(const YAML::Node&, const std::string& what)> scalar;
  std::vector<std::string>* warnings = nullptr;
};

// `condition: {op: and|or, rules: [{field, op, value}], default: true}`;
// `default` only where allowed (a route).
ConditionConfig read_condition(const YAML::Node& node, const YamlReader& in, bool allow_default);

// An input's `routes:` map: `logs:` (or `any:`) is a list of routes (or one
// route); `metrics:` and `traces:` are warned about and skipped.
std::vector<RouteConfig> read_routes(const YAML::Node& node, const YamlReader& in);

}  // namespace sluice::config
