// Loki stream labels and structured metadata: the `name=value` /
// `name=$accessor` / `$accessor` rules of the `labels`, `label_keys` and
// `structured_metadata` keys, label-name sanitizing, and the Prometheus
// selector text (`{app="web", env="prod"}`, values Go-quoted) a stream is named by.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/record_accessor.hpp"
#include "agent/value.hpp"

namespace sluice::loki {

// One configured pair: a fixed value, or a value read from the record.
struct KvRule {
  std::string name;                       // already sanitized
  std::string fixed;                      // the value, when accessor is unset
  std::optional<RecordAccessor> accessor;  // the record's value at this path
};

// Parses one entry of `labels` / `structured_metadata`:
//   name=value        a fixed pair
//   name=$accessor    name with the record's value at the accessor
//   $accessor         the accessor's keys joined by '_' as name ($sub['stream'] → sub_stream)
// Returns nullopt and sets *error when the entry is malformed.
std::optional<KvRule> parse_kv_rule(std::string_view entry, std::string* error);

// Loki's label name syntax is [a-zA-Z_][a-zA-Z0-9_]*: other characters become
// '_' and a leading digit gets a '_' in front (as Fluent Bit does). "" stays "".
std::string sanitize_label_name(std::string_view name);

// Appends value as a Go double-quoted string literal (what Loki's selector
// parser reads): backslash, quote and control characters escaped; invalid
// UTF-8 bytes become U+FFFD.
void append_go_quoted(std::string& out, std::string_view value);

// Appends the text a record value gives a label or metadata value: a
// string as it is, a number or bool as JSON prints it; maps and arrays as
// JSON when containers_as_json, else nothing. Returns false (and appends
// nothing) for null, an empty string or a refused container.
bool append_value_text(std::string& out, const Value& v, bool containers_as_json);

// The stream label rules of one output, sorted by name (names are unique, a
// config error otherwise), so equal label sets give the same selector text.
// Immutable after construction; evaluation uses caller-provided scratch.
class LabelRules {
 public:
  LabelRules() = default;
  // default_label is used when no rule yields a value for a record.
  // map_labels, when set, names a map of the record whose string members
  // are labels too (Fluent Bit's auto_kubernetes_labels:
  // $kubernetes['labels']); names sanitized, a rule's label wins a clash.
  LabelRules(std::vector<KvRule> rules, std::pair<std::string, std::string> default_label,
             std::optional<RecordAccessor> map_labels = std::nullopt);

  // True when no rule reads the record: every record is in one stream.
  bool is_fixed() const { return fixed_; }
  const std::vector<KvRule>& rules() const { return rules_; }

  // Appends a key that is equal for two records exactly when their selectors
  // are: the record's label values, length-prefixed (cheaper than the
  // selector, which needs quoting).
  void append_key(std::string& out, const Value& record) const;
  // Appends the selector text of record's labels: {a="1", b="x"}.
  void append_selector(std::string& out, const Value& record, std::string& scratch) const;
  // The same labels as (name, value) pairs, for the JSON push format.
  std::vector<std::pair<std::string, std::string>> pairs(const Value& record) const;

 private:
  void append_map_key(std::string& out, const Value& record) const;

  std::vector<KvRule> rules_;
  std::pair<std::string, std::string> default_;
  std::optional<RecordAccessor> map_labels_;
  bool fixed_ = true;
};

}  // namespace sluice::loki
