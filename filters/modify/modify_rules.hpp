// The modify filter's compiled rules and conditions, and how each one changes
// or tests a record (Fluent Bit's filter_modify semantics).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/record_accessor.hpp"
#include "agent/regex.hpp"
#include "agent/value.hpp"

namespace sluice::modify {

enum class RuleType {
  Set, Add, Remove, RemoveWildcard, RemoveRegex, Rename, HardRename, Copy, HardCopy, MoveToStart, MoveToEnd,
};

struct Rule {
  RuleType type;
  std::string key;    // top-level key, wildcard prefix or regex text
  std::string value;  // set/add value, or the new key of rename/copy
  // A nested `$a['b']` path (set, add, remove only); empty for top-level keys.
  std::optional<RecordAccessor> path;
  std::optional<Regex> regex;  // remove_regex
};

enum class ConditionType {
  KeyExists, KeyDoesNotExist, AKeyMatches, NoKeyMatches, KeyValueEquals, KeyValueDoesNotEqual,
  KeyValueMatches, KeyValueDoesNotMatch, MatchingKeysHaveMatchingValues, MatchingKeysDoNotHaveMatchingValues,
};

struct Condition {
  ConditionType type;
  std::optional<RecordAccessor> key;  // the KEY of key_* conditions
  std::string value;                  // key_value_equals / does_not_equal
  std::optional<Regex> key_regex;     // a_key_matches, no_key_matches, matching_keys_*
  std::optional<Regex> value_regex;   // key_value_matches / does_not_match, matching_keys_*
};

// The strings of one rule copied into the chunk's arena (so records never
// point into the filter, which may be gone before an output is done).
struct RuleText {
  std::string_view key;
  std::string_view value;
};

// Whether the record passes the condition.
bool holds(const Condition& c, const Value& record);
// Applies the rule to a map record; scratch is reusable working space.
void apply(const Rule& rule, const RuleText& text, Value& record, Arena& arena, std::vector<Member>& scratch);

}  // namespace sluice::modify
