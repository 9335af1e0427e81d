// Conditions and conditional routes from YAML; see yaml_routes.hpp.
#include "agent/config/yaml_routes.hpp"

#include <optional>

#include "agent/ascii_case.hpp"
#include "agent/config/component_config.hpp"
#include "agent/config/suggest.hpp"
#include "agent/join.hpp"

namespace sluice::config {

namespace {

[[noreturn]] void unknown_key(const Mark& at, const std::string& key, const std::vector<std::string_view>& known,
                              const std::string& where) {
  std::string msg = "unknown key '" + key + "' in " + where;
  std::string near = nearest(key, known);
  msg += near.empty() ? " (known: " + join(known) + ")" : "; did you mean '" + near + "'?";
  throw ConfigError(at, msg);
}

std::string key_of(const YAML::Node& key, const YamlReader& in) {
  if (!key.IsScalar()) throw ConfigError(in.mark(key), "a key must be a plain word, not a list or map");
  return ascii_lower(key.Scalar());
}

void expect_map(const YAML::Node& n, const YamlReader& in, const std::string& what) {
  if (!n.IsMap()) throw ConfigError(in.mark(n), what + " must be a map of keys");
}

std::optional<bool> yaml_bool(const std::string& v) {
  std::string s = ascii_lower(v);
  if (s == "true" || s == "on" || s == "yes") return true;
  if (s == "false" || s == "off" || s == "no") return false;
  return std::nullopt;
}

RuleConfig read_rule(const YAML::Node& node, const YamlReader& in, size_t n) {
  std::string where = "rule " + std::to_string(n) + " of a condition";
  expect_map(node, in, where);
  RuleConfig r;
  r.mark = in.mark(node);
  bool has_field = false, has_op = false, has_value = false;
  for (auto it = node.begin(); it != node.end(); ++it) {
    std::string key = key_of(it->first, in);
    YAML::Node value = it->second;
    if (key == "field") {
      r.field = in.scalar(value, "field");
      has_field = true;
    } else if (key == "op") {
      r.op = ascii_lower(in.scalar(value, "op"));
      has_op = true;
    } else if (key == "value") {
      has_value = true;
      if (value.IsSequence()) {
        r.is_list = true;
        for (const auto& item : value) r.values.push_back(in.scalar(item, "value"));
        if (r.values.empty()) throw ConfigError(in.mark(value), where + ": 'value' is an empty list");
      } else {
        r.values.push_back(in.scalar(value, "value"));
      }
    } else if (key == "context") {
      std::string c = ascii_lower(in.scalar(value, "context"));
      if (c != "body" && c != "record" && c != "record_body" && c != "message")
        throw ConfigError(in.mark(value), where + ": context '" + c +
                                              "' is not supported: sluice's records have a body only (no "
                                              "metadata, group or OpenTelemetry attributes); use body");
    } else {
      unknown_key(in.mark(it->first), key, {"field", "op", "value", "context"}, where);
    }
  }
  if (!has_field || !has_op || !has_value)
    throw ConfigError(r.mark, where + ": missing '" + std::string(!has_field ? "field" : !has_op ? "op" : "value") +
                                  "' (a rule is {field, op, value})");
  return r;
}

RouteConfig read_route(const YAML::Node& node, const YamlReader& in) {
  expect_map(node, in, "a route");
  RouteConfig route;
  route.mark = in.mark(node);
  bool has_to = false, has_name = false;
  for (auto it = node.begin(); it != node.end(); ++it) {
    std::string key = key_of(it->first, in);
    YAML::Node value = it->second;
    if (key == "name") {
      route.name = in.scalar(value, "name");
      has_name = true;
    } else if (key == "condition") {
      route.has_condition = true;
      route.condition = read_condition(value, in, true);
    } else if (key == "to") {
      has_to = true;
      route.to_mark = in.mark(value);
      // to: {outputs: [...]}, to: [...] or to: name
      // (yaml-cpp's Node::operator= writes into the node it refers to: bind once.)
      auto outputs_of = [&](const YAML::Node& to) {
        if (!to.IsMap()) return to;
        for (auto o = to.begin(); o != to.end(); ++o)
          if (key_of(o->first, in) != "outputs")
            unknown_key(in.mark(o->first), key_of(o->first, in), {"outputs"}, "route '" + route.name + "' to");
        return to["outputs"];
      };
      const YAML::Node outputs = outputs_of(value);
      auto add = [&](const YAML::Node& item) {
        if (item.IsMap()) {
          for (auto f = item.begin(); f != item.end(); ++f) {
            std::string k = key_of(f->first, in);
            if (k == "name") route.outputs.push_back(in.scalar(f->second, "name"));
            else if (k == "fallback")
              throw ConfigError(in.mark(f->first), "route '" + route.name +
                                                       "': 'fallback' is not supported: sluice retries a failing "
                                                       "output and dead-letters what it gives up on");
            else unknown_key(in.mark(f->first), k, {"name"}, "an output of route '" + route.name + "'");
          }
        } else {
          route.outputs.push_back(in.scalar(item, "to"));
        }
      };
      if (outputs.IsSequence()) {
        for (const auto& item : outputs) add(item);
      } else if (outputs.IsDefined() && !outputs.IsNull()) {
        add(outputs);
      }
    } else if (key == "per_record_routing") {
      in.warnings->push_back(in.mark(it->first).str() +
                             ": 'per_record_routing' is accepted for Fluent Bit; sluice always routes each record "
                             "by its own condition");
    } else if (key == "processors") {
      throw ConfigError(in.mark(it->first), "route '" + route.name +
                                                "': processors on a route are not supported; put them on the "
                                                "output (its processors run only on what reaches it)");
    } else {
      unknown_key(in.mark(it->first), key, {"name", "condition", "to", "per_record_routing"}, "a route");
    }
  }
  if (!has_name) throw ConfigError(route.mark, "a route without 'name'");
  if (!has_to || route.outputs.empty())
    throw ConfigError(has_to ? route.to_mark : route.mark,
                      "route '" + route.name + "': no outputs (to: {outputs: [name, ...]})");
  return route;
}

}  // namespace

ConditionConfig read_condition(const YAML::Node& node, const YamlReader& in, bool allow_default) {
  expect_map(node, in, "condition");
  ConditionConfig c;
  c.mark = in.mark(node);
  for (auto it = node.begin(); it != node.end(); ++it) {
    std::string key = key_of(it->first, in);
    YAML::Node value = it->second;
    if (key == "op") {
      std::string op = ascii_lower(in.scalar(value, "op"));
      if (op != "and" && op != "or")
        throw ConfigError(in.mark(value), "condition: 'op' expects and or or, got '" + op + "'");
      c.any = op == "or";
    } else if (key == "rules") {
      if (!value.IsSequence()) throw ConfigError(in.mark(value), "condition: 'rules' must be a list");
      size_t n = 0;
      for (const auto& rule : value) c.rules.push_back(read_rule(rule, in, ++n));
    } else if (key == "default" && allow_default) {
      auto b = yaml_bool(in.scalar(value, "default"));
      if (!b) throw ConfigError(in.mark(value), "condition: 'default' expects true or false");
      c.is_default = *b;
    } else {
      std::vector<std::string_view> known = {"op", "rules"};
      if (allow_default) known.push_back("default");
      unknown_key(in.mark(it->first), key, known, "condition");
    }
  }
  if (c.is_default && !c.rules.empty())
    throw ConfigError(c.mark, "condition: a default route takes the records no other route took; it has no rules");
  if (!c.is_default && c.rules.empty())
    throw ConfigError(c.mark, std::string("condition without rules") +
                                  (allow_default ? " (rules: [...], or default: true)" : " (rules: [...])"));
  return c;
}

std::vector<RouteConfig> read_routes(const YAML::Node& node, const YamlReader& in) {
  expect_map(node, in, "routes");
  std::vector<RouteConfig> routes;
  for (auto it = node.begin(); it != node.end(); ++it) {
    std::string signal = key_of(it->first, in);
    YAML::Node value = it->second;
    if (signal == "metrics" || signal == "traces") {
      in.warnings->push_back(in.mark(it->first).str() + ": routes for " + signal +
                             " are ignored: sluice carries logs only");
      continue;
    }
    if (signal != "logs" && signal != "any")
      unknown_key(in.mark(it->first), signal, {"logs", "any", "metrics", "traces"}, "routes");
    if (value.IsSequence()) {
      for (const auto& r : value) routes.push_back(read_route(r, in));
    } else {
      routes.push_back(read_route(value, in));
    }
  }
  for (size_t i = 0; i < routes.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (routes[i].name == routes[j].name)
        throw ConfigError(routes[i].mark, "two routes are named '" + routes[i].name + "'");
  return routes;
}

}  // namespace sluice::config
