// How each modify rule changes a record and each condition tests one; see
// modify_rules.hpp. Top-level rules follow Fluent Bit's filter_modify exactly,
// including where keys land (set appends, copy inserts after its source).
#include "filters/modify/modify_rules.hpp"

#include <algorithm>
#include <cstring>

#include "agent/record.hpp"
#include "filters/common/rule_syntax.hpp"

namespace sluice::modify {

namespace {

size_t count_key(const Value& map, std::string_view key) {
  size_t n = 0;
  for (const auto& m : map.members()) n += m.key == key;
  return n;
}

// Removes the members for which pred holds, keeping the others' order; the
// member array is compacted in place (the filter owns the chunk).
template <class Pred>
size_t remove_where(Value& map, Pred pred) {
  auto members = map.members();
  auto end = std::remove_if(members.begin(), members.end(), pred);
  size_t removed = static_cast<size_t>(members.end() - end);
  if (removed > 0) map = Value::map(members.data(), static_cast<uint32_t>(members.size() - removed));
  return removed;
}

// Inserts a member at position pos (0..size) in a new arena array.
void insert_at(Value& map, Arena& arena, size_t pos, std::string_view key, Value v) {
  auto old = map.members();
  Member* members = arena.allocate_array<Member>(old.size() + 1);
  if (pos > 0) std::memcpy(static_cast<void*>(members), old.data(), pos * sizeof(Member));
  members[pos] = {key, v};
  if (pos < old.size())
    std::memcpy(static_cast<void*>(members + pos + 1), old.data() + pos, (old.size() - pos) * sizeof(Member));
  map = Value::map(members, static_cast<uint32_t>(old.size() + 1));
}

bool has_prefix(std::string_view key, std::string_view prefix) { return key.substr(0, prefix.size()) == prefix; }

// A wildcard is a key prefix (Fluent Bit compares the first len(KEY) bytes);
// a trailing '*' is accepted and means the same.
std::string_view wildcard_prefix(std::string_view w) {
  if (!w.empty() && w.back() == '*') w.remove_suffix(1);
  return w;
}

void move_matching(Value& map, std::string_view prefix, bool to_start, std::vector<Member>& scratch) {
  auto members = map.members();
  scratch.assign(members.begin(), members.end());
  size_t out = 0;
  for (int pass = 0; pass < 2; ++pass) {
    bool want_match = (pass == 0) == to_start;
    for (const auto& m : scratch)
      if (has_prefix(m.key, prefix) == want_match) members[out++] = m;
  }
  scratch.clear();
}

// Copy (hard=false) and hard_copy: the copy goes right after its source.
void copy_key(Value& map, Arena& arena, const RuleText& t, bool hard) {
  if (t.key == t.value || count_key(map, t.key) != 1) return;
  size_t conflicts = count_key(map, t.value);
  if (conflicts > (hard ? 1u : 0u)) return;
  if (conflicts > 0) remove_where(map, [&](const Member& m) { return m.key == t.value; });
  auto members = map.members();
  for (size_t i = 0; i < members.size(); ++i) {
    if (members[i].key == t.key) {
      insert_at(map, arena, i + 1, t.value, record::deep_copy(members[i].value, arena));
      return;
    }
  }
}

void rename_key(Value& map, const RuleText& t, bool hard) {
  if (t.key == t.value || count_key(map, t.key) == 0) return;
  if (count_key(map, t.value) > 0) {
    if (!hard) return;
    remove_where(map, [&](const Member& m) { return m.key == t.value; });
  }
  for (auto& m : map.members())
    if (m.key == t.key) m.key = t.value;
}

bool value_matches(const Value* v, const Regex& re) {
  char buf[32];
  std::string_view text;
  return rule_syntax::value_text(v, buf, text) && re.search(text);
}

bool any_key_matches(const Value& record, const Regex& re) {
  for (const auto& m : record.members())
    if (re.search(m.key)) return true;
  return false;
}

bool matching_keys_have_matching_values(const Value& record, const Condition& c) {
  for (const auto& m : record.members())
    if (c.key_regex->search(m.key) && !value_matches(&m.value, *c.value_regex)) return false;
  return true;
}

bool value_equals(const Value* v, std::string_view expected) {
  char buf[32];
  std::string_view text;
  return rule_syntax::value_text(v, buf, text) && text == expected;
}

}  // namespace

bool holds(const Condition& c, const Value& record) {
  const Value* v = c.key ? c.key->get(record) : nullptr;
  switch (c.type) {
    case ConditionType::KeyExists: return v != nullptr;
    case ConditionType::KeyDoesNotExist: return v == nullptr;
    case ConditionType::AKeyMatches: return any_key_matches(record, *c.key_regex);
    case ConditionType::NoKeyMatches: return !any_key_matches(record, *c.key_regex);
    case ConditionType::KeyValueEquals: return value_equals(v, c.value);
    // The negative forms need the key to exist, as in Fluent Bit.
    case ConditionType::KeyValueDoesNotEqual: return v != nullptr && !value_equals(v, c.value);
    case ConditionType::KeyValueMatches: return value_matches(v, *c.value_regex);
    case ConditionType::KeyValueDoesNotMatch: return v != nullptr && !value_matches(v, *c.value_regex);
    case ConditionType::MatchingKeysHaveMatchingValues: return matching_keys_have_matching_values(record, c);
    case ConditionType::MatchingKeysDoNotHaveMatchingValues: return !matching_keys_have_matching_values(record, c);
  }
  return false;
}

void apply(const Rule& rule, const RuleText& t, Value& record, Arena& arena, std::vector<Member>& scratch) {
  if (!record.is_map()) return;
  if (rule.path) {
    // Nested path: set/add/remove in place inside the sub-map.
    switch (rule.type) {
      case RuleType::Set: rule.path->set(record, arena, Value::string(t.value)); break;
      case RuleType::Add:
        if (rule.path->get(record) == nullptr) rule.path->set(record, arena, Value::string(t.value));
        break;
      case RuleType::Remove: rule.path->remove(record); break;
      default: break;  // the factory allows paths only for the three above
    }
    return;
  }
  switch (rule.type) {
    case RuleType::Set:
      // Fluent Bit drops every KEY and appends KEY VALUE at the end.
      remove_where(record, [&](const Member& m) { return m.key == t.key; });
      insert_at(record, arena, record.size(), t.key, Value::string(t.value));
      break;
    case RuleType::Add:
      if (count_key(record, t.key) == 0) insert_at(record, arena, record.size(), t.key, Value::string(t.value));
      break;
    case RuleType::Remove: remove_where(record, [&](const Member& m) { return m.key == t.key; }); break;
    case RuleType::RemoveWildcard: {
      std::string_view prefix = wildcard_prefix(t.key);
      remove_where(record, [&](const Member& m) { return has_prefix(m.key, prefix); });
      break;
    }
    case RuleType::RemoveRegex:
      remove_where(record, [&](const Member& m) { return rule.regex->search(m.key); });
      break;
    case RuleType::Rename: rename_key(record, t, false); break;
    case RuleType::HardRename: rename_key(record, t, true); break;
    case RuleType::Copy: copy_key(record, arena, t, false); break;
    case RuleType::HardCopy: copy_key(record, arena, t, true); break;
    case RuleType::MoveToStart: move_matching(record, wildcard_prefix(t.key), true, scratch); break;
    case RuleType::MoveToEnd: move_matching(record, wildcard_prefix(t.key), false, scratch); break;
  }
}

}  // namespace sluice::modify
