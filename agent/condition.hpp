// Fluent Bit's record conditions (`condition: {op, rules: [{field, op,
// value}]}`), used by conditional routes and by processors: compiled once
// from the configuration, evaluated per record without allocating.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "agent/config/route_config.hpp"
#include "agent/record_accessor.hpp"
#include "agent/regex.hpp"
#include "agent/value.hpp"

namespace sluice {

// Immutable after compile(); matches() may run on any thread.
//
// How a rule compares (as Fluent Bit, which compares the field's text):
// eq, neq, in, not_in compare text, a number in the record with a number in
// the rule compare as numbers (200 equals "200", 1.5 equals "1.50"); true,
// false and null read as those words; a missing field reads as the empty
// string (eq is false, neq true). gt, lt, gte, lte compare numbers (a string
// field is read as a number when it is one) and are false for a field that is
// missing or not a number. regex / not_regex search the field's text.
class Condition {
 public:
  // Throws config::ConfigError at the rule's line: an unknown operator, a
  // field the record accessor can't read, a value that isn't a number for
  // gt..lte, a list for an operator that takes one value, a bad regex.
  static Condition compile(const config::ConditionConfig& cfg);

  bool matches(const Value& record) const;

 private:
  enum class Op { Eq, Neq, Gt, Lt, Gte, Lte, Regex, NotRegex, In, NotIn };
  struct Rule {
    RecordAccessor field;
    Op op;
    std::vector<std::string> values;
    std::vector<std::optional<double>> numbers;  // each value's number, if it is one
    std::optional<Regex> regex;
  };
  bool holds(const Rule& rule, const Value& record) const;

  std::vector<Rule> rules_;
  bool any_ = false;
};

}  // namespace sluice
