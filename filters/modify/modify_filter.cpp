// The `modify` filter: config parsing and the per-chunk loop; the rules
// themselves are in modify_rules.cpp. See modify_filter.hpp.
#include "filters/modify/modify_filter.hpp"

#include <algorithm>
#include <cctype>
#include <tuple>

#include "agent/config/accessor_key.hpp"
#include "filters/common/rule_syntax.hpp"
#include "filters/modify/modify_rules.hpp"

namespace sluice {

namespace {

using modify::Condition;
using modify::ConditionType;
using modify::Rule;
using modify::RuleType;

struct RuleKey {
  std::string_view name;
  RuleType type;
  size_t args;  // 1: KEY; 2: KEY VALUE
  std::string_view description;
};

constexpr RuleKey kRuleKeys[] = {
    {"set", RuleType::Set, 2, "KEY VALUE: set KEY to VALUE (replacing it if present)."},
    {"add", RuleType::Add, 2, "KEY VALUE: add KEY with VALUE if KEY is absent."},
    {"remove", RuleType::Remove, 1, "KEY: remove KEY."},
    {"remove_wildcard", RuleType::RemoveWildcard, 1, "PREFIX: remove every key starting with PREFIX."},
    {"remove_regex", RuleType::RemoveRegex, 1, "REGEX: remove every key matching REGEX."},
    {"rename", RuleType::Rename, 2, "KEY NEW_KEY: rename KEY if present and NEW_KEY absent."},
    {"hard_rename", RuleType::HardRename, 2, "KEY NEW_KEY: rename KEY, replacing NEW_KEY if present."},
    {"copy", RuleType::Copy, 2, "KEY NEW_KEY: copy KEY's value to NEW_KEY if NEW_KEY is absent."},
    {"hard_copy", RuleType::HardCopy, 2, "KEY NEW_KEY: copy KEY's value to NEW_KEY, replacing it if present."},
    {"move_to_start", RuleType::MoveToStart, 1, "PREFIX: move keys starting with PREFIX to the start."},
    {"move_to_end", RuleType::MoveToEnd, 1, "PREFIX: move keys starting with PREFIX to the end."},
};

struct ConditionName {
  std::string_view name;
  ConditionType type;
  bool key_is_accessor;  // KEY is a record key (else a regex on key names)
  size_t args;           // after the condition name
};

constexpr ConditionName kConditions[] = {
    {"key_exists", ConditionType::KeyExists, true, 1},
    {"key_does_not_exist", ConditionType::KeyDoesNotExist, true, 1},
    {"a_key_matches", ConditionType::AKeyMatches, false, 1},
    {"no_key_matches", ConditionType::NoKeyMatches, false, 1},
    {"key_value_equals", ConditionType::KeyValueEquals, true, 2},
    {"key_value_does_not_equal", ConditionType::KeyValueDoesNotEqual, true, 2},
    {"key_value_matches", ConditionType::KeyValueMatches, true, 2},
    {"key_value_does_not_match", ConditionType::KeyValueDoesNotMatch, true, 2},
    {"matching_keys_have_matching_values", ConditionType::MatchingKeysHaveMatchingValues, false, 2},
    {"matching_keys_do_not_have_matching_values", ConditionType::MatchingKeysDoNotHaveMatchingValues, false, 2},
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Runs on the pipeline thread (FilterContext's main thread).
class ModifyFilter final : public Filter {
 public:
  ModifyFilter(std::vector<Condition> conditions, std::vector<Rule> rules)
      : conditions_(std::move(conditions)), rules_(std::move(rules)), texts_(rules_.size()) {}

  void filter(Chunk& chunk) override {
    if (rules_.empty()) return;
    bool interned = false;
    for (auto& event : chunk.events) {
      if (!event.record.is_map()) continue;
      bool ok = std::all_of(conditions_.begin(), conditions_.end(),
                            [&](const Condition& c) { return modify::holds(c, event.record); });
      if (!ok) continue;
      if (!interned) {
        intern(chunk.arena);
        interned = true;
      }
      for (size_t i = 0; i < rules_.size(); ++i)
        modify::apply(rules_[i], texts_[i], event.record, chunk.arena, scratch_);
    }
  }

 private:
  // Keys and values set by the rules must live as long as the chunk: copy
  // them into its arena once per chunk.
  void intern(Arena& arena) {
    for (size_t i = 0; i < rules_.size(); ++i) {
      texts_[i].key = arena.copy(rules_[i].key);
      texts_[i].value = arena.copy(rules_[i].value);
    }
  }

  std::vector<Condition> conditions_;
  std::vector<Rule> rules_;
  std::vector<modify::RuleText> texts_;
  std::vector<Member> scratch_;
};

std::vector<std::string> split_or_fail(const config::ComponentConfig& cfg, std::string_view key,
                                       const std::string& text, size_t parts, std::string_view expected) {
  auto tokens = rule_syntax::split(text, parts);
  if (!tokens) cfg.fail(key, "unterminated quote in '" + text + "'");
  if (tokens->size() != parts)
    cfg.fail(key, "expected " + std::string(expected) + ", got '" + text + "'");
  return std::move(*tokens);
}

Rule make_rule(const config::ComponentConfig& cfg, const RuleKey& rk, const std::string& text) {
  auto tokens = split_or_fail(cfg, rk.name, text, rk.args, rk.args == 1 ? "one KEY" : "KEY VALUE");
  Rule rule{rk.type, tokens[0], rk.args == 2 ? tokens[1] : std::string(), std::nullopt, std::nullopt};
  if (rule.type == RuleType::RemoveRegex) {
    rule.regex = rule_syntax::compile_regex(cfg, rk.name, rule.key);
  } else if (!rule.key.empty() && rule.key[0] == '$' && rule.type != RuleType::RemoveWildcard &&
             rule.type != RuleType::MoveToStart && rule.type != RuleType::MoveToEnd) {
    RecordAccessor ra = config::accessor_at(cfg, rk.name, rule.key);
    if (ra.is_top_level()) {
      rule.key = ra.top_key();  // `$key` is the top-level key
    } else if (rule.type == RuleType::Set || rule.type == RuleType::Add || rule.type == RuleType::Remove) {
      rule.path = std::move(ra);
    } else {
      cfg.fail(rk.name, "nested keys ('" + text + "') work in set, add, remove and conditions; " +
                            std::string(rk.name) + " takes a top-level key");
    }
  }
  return rule;
}

// Rules apply in the order they are written (as Fluent Bit applies its
// properties): by the position of their key in the file, then list order.
std::vector<Rule> build_rules(const config::ComponentConfig& cfg) {
  std::vector<std::tuple<int, int, size_t, Rule>> ordered;
  for (const auto& rk : kRuleKeys) {
    if (!cfg.has(rk.name)) continue;
    const auto& mark = cfg.mark_of(rk.name);
    auto texts = cfg.get_list(rk.name);
    for (size_t i = 0; i < texts.size(); ++i)
      ordered.emplace_back(mark.line, mark.column, i, make_rule(cfg, rk, texts[i]));
  }
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), std::get<1>(a), std::get<2>(a)) <
           std::tie(std::get<0>(b), std::get<1>(b), std::get<2>(b));
  });
  std::vector<Rule> rules;
  for (auto& entry : ordered) rules.push_back(std::move(std::get<3>(entry)));
  return rules;
}

Condition make_condition(const config::ComponentConfig& cfg, const std::string& text) {
  auto head = rule_syntax::split(text, 2);
  std::string name = head && !head->empty() ? lower((*head)[0]) : std::string();
  const ConditionName* cn = nullptr;
  for (const auto& c : kConditions)
    if (c.name == name) cn = &c;
  if (cn == nullptr) {
    std::string known;
    for (const auto& c : kConditions) known += (known.empty() ? "" : ", ") + std::string(c.name);
    cfg.fail("condition", "unknown condition '" + name + "' (known: " + known + ")");
  }
  std::string expected = std::string(cn->name);
  if (cn->key_is_accessor) expected += cn->args == 1 ? " KEY" : " KEY VALUE";
  else expected += cn->args == 1 ? " KEY_REGEX" : " KEY_REGEX VALUE_REGEX";
  auto tokens = split_or_fail(cfg, "condition", text, cn->args + 1, expected);
  Condition c{cn->type, std::nullopt, std::string(), std::nullopt, std::nullopt};
  const std::string& a = tokens[1];
  if (cn->key_is_accessor) c.key = config::accessor_at(cfg, "condition", a);
  else c.key_regex = rule_syntax::compile_regex(cfg, "condition", a);
  if (cn->args == 2) {
    bool value_is_regex = cn->type != ConditionType::KeyValueEquals && cn->type != ConditionType::KeyValueDoesNotEqual;
    if (value_is_regex) c.value_regex = rule_syntax::compile_regex(cfg, "condition", tokens[2]);
    else c.value = tokens[2];
  }
  return c;
}

}  // namespace

const config::PluginSchema& modify_filter_schema() {
  static const config::PluginSchema schema = [] {
    config::PluginSchema s{"modify",
                           "Changes records with rules (set, add, remove, rename, copy, move), applied in the "
                           "order written, to records that meet every condition.",
                           {}};
    for (const auto& rk : kRuleKeys)
      s.keys.push_back({rk.name, config::KeyType::Multi, "", rk.description, false, false, {}});
    s.keys.push_back({"condition", config::KeyType::Multi, "",
                      "TYPE KEY [VALUE]: rules apply only to records meeting every condition. Types: key_exists, "
                      "key_does_not_exist, a_key_matches, no_key_matches, key_value_equals, "
                      "key_value_does_not_equal, key_value_matches, key_value_does_not_match, "
                      "matching_keys_have_matching_values, matching_keys_do_not_have_matching_values.",
                      false, false, {}});
    return s;
  }();
  return schema;
}

std::unique_ptr<Filter> make_modify_filter(const config::ComponentConfig& cfg, const BuildContext& /*ctx*/) {
  std::vector<Condition> conditions;
  for (const auto& text : cfg.get_list("condition")) conditions.push_back(make_condition(cfg, text));
  return std::make_unique<ModifyFilter>(std::move(conditions), build_rules(cfg));
}

}  // namespace sluice
