// Record conditions; see condition.hpp.
#include "agent/condition.hpp"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "agent/config/component_config.hpp"

namespace sluice {

namespace {

std::optional<double> number(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double d = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return d;
}

// The field's text for comparing: into buf for non-strings (no allocation).
// Maps and arrays have none.
std::optional<std::string_view> text(const Value* v, char (&buf)[40]) {
  if (v == nullptr) return std::string_view();
  switch (v->kind()) {
    case Kind::String: return v->as_string();
    case Kind::Null: return std::string_view("null");
    case Kind::Bool: return std::string_view(v->as_bool() ? "true" : "false");
    case Kind::Int: {
      auto r = fmt::format_to_n(buf, sizeof buf, "{}", v->as_int());
      return std::string_view(buf, r.size);
    }
    case Kind::Double: {
      auto r = fmt::format_to_n(buf, sizeof buf, "{}", v->as_double());
      return std::string_view(buf, std::min(r.size, sizeof buf));
    }
    default: return std::nullopt;
  }
}

std::optional<double> number_of(const Value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_number()) return v->as_double();
  if (v->is_string()) return number(v->as_string());
  return std::nullopt;
}

}  // namespace

Condition Condition::compile(const config::ConditionConfig& cfg) {
  static const std::pair<const char*, Op> kOps[] = {
      {"eq", Op::Eq},       {"neq", Op::Neq},           {"gt", Op::Gt}, {"lt", Op::Lt},        {"gte", Op::Gte},
      {"lte", Op::Lte},     {"regex", Op::Regex},       {"not_regex", Op::NotRegex}, {"in", Op::In},
      {"not_in", Op::NotIn}};
  Condition c;
  c.any_ = cfg.any;
  for (const auto& rc : cfg.rules) {
    std::optional<Op> op;
    for (const auto& [name, o] : kOps)
      if (rc.op == name) op = o;
    if (!op)
      throw config::ConfigError(rc.mark, "condition: unknown operator '" + rc.op +
                                             "' (known: eq, neq, gt, lt, gte, lte, regex, not_regex, in, not_in)");
    std::string error;
    auto field = RecordAccessor::compile(rc.field, &error);
    if (!field) throw config::ConfigError(rc.mark, "condition: field '" + rc.field + "': " + error);
    Rule rule{std::move(*field), *op, rc.values, {}, std::nullopt};
    bool takes_list = *op == Op::In || *op == Op::NotIn;
    if (rc.is_list && !takes_list)
      throw config::ConfigError(rc.mark, "condition: operator '" + rc.op + "' takes one value, not a list");
    for (const auto& v : rc.values) rule.numbers.push_back(number(v));
    if (*op == Op::Gt || *op == Op::Lt || *op == Op::Gte || *op == Op::Lte) {
      if (!rule.numbers.front() || !std::isfinite(*rule.numbers.front()))
        throw config::ConfigError(rc.mark, "condition: operator '" + rc.op + "' compares numbers; value '" +
                                               rc.values.front() + "' is not a number");
    }
    if (*op == Op::Regex || *op == Op::NotRegex) {
      rule.regex = Regex::compile(rc.values.front(), &error);
      if (!rule.regex)
        throw config::ConfigError(rc.mark, "condition: invalid regular expression '" + rc.values.front() +
                                               "': " + error);
    }
    c.rules_.push_back(std::move(rule));
  }
  return c;
}

bool Condition::holds(const Rule& rule, const Value& record) const {
  const Value* v = rule.field.get(record);
  switch (rule.op) {
    case Op::Gt:
    case Op::Lt:
    case Op::Gte:
    case Op::Lte: {
      auto n = number_of(v);
      if (!n) return false;
      double want = *rule.numbers.front();
      return rule.op == Op::Gt ? *n > want : rule.op == Op::Lt ? *n < want : rule.op == Op::Gte ? *n >= want : *n <= want;
    }
    default: break;
  }
  char buf[40];
  auto t = text(v, buf);
  if (rule.op == Op::Regex) return t && rule.regex->search(*t);
  if (rule.op == Op::NotRegex) return !t || !rule.regex->search(*t);
  bool equal = false;
  for (size_t i = 0; i < rule.values.size() && !equal; ++i) {
    if (v != nullptr && v->is_number() && rule.numbers[i]) equal = v->as_double() == *rule.numbers[i];
    else equal = t && *t == rule.values[i];
  }
  bool negated = rule.op == Op::Neq || rule.op == Op::NotIn;
  return negated ? !equal : equal;
}

bool Condition::matches(const Value& record) const {
  if (any_) {
    for (const auto& r : rules_)
      if (holds(r, record)) return true;
    return false;
  }
  for (const auto& r : rules_)
    if (!holds(r, record)) return false;
  return true;
}

}  // namespace sluice
