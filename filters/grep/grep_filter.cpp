// The `grep` filter; see grep_filter.hpp.
#include "filters/grep/grep_filter.hpp"

#include <algorithm>
#include <cctype>

#include "agent/config/accessor_key.hpp"
#include "agent/metrics.hpp"
#include "filters/common/keep_events.hpp"
#include "filters/common/rule_syntax.hpp"

namespace sluice {

namespace {

enum class LogicalOp { Legacy, And, Or };

struct GrepRule {
  bool exclude;  // an `exclude` rule; else a `regex` rule
  RecordAccessor key;
  Regex regex;
};

// Runs on the pipeline thread (FilterContext's main thread).
class GrepFilter final : public Filter {
 public:
  GrepFilter(LogicalOp op, std::vector<GrepRule> rules) : op_(op), rules_(std::move(rules)) {}

  void start(FilterContext& ctx) override {
    dropped_ = &ctx.metrics().counter("sluice_filter_records_dropped_total", "filter", ctx.instance(), false,
                                     "Records the filter dropped on purpose.");
  }

  void filter(Chunk& chunk) override {
    if (rules_.empty()) return;
    size_t dropped = keep_events(chunk, [this](const Event& e) { return keep(e.record); });
    if (dropped > 0 && dropped_ != nullptr) dropped_->add(dropped);
  }

 private:
  static bool matches(const GrepRule& rule, const Value& record) {
    char buf[32];
    std::string_view text;
    if (!rule_syntax::value_text(rule.key.get(record), buf, text)) return false;
    return rule.regex.search(text);
  }

  bool keep(const Value& record) const {
    switch (op_) {
      case LogicalOp::Legacy:
        // Every regex rule must match and no exclude rule may match.
        for (const auto& rule : rules_)
          if (matches(rule, record) == rule.exclude) return false;
        return true;
      case LogicalOp::And:
      case LogicalOp::Or: {
        // All rules are of one kind (checked at config time).
        bool any = false, all = true;
        for (const auto& rule : rules_) {
          bool m = matches(rule, record);
          any = any || m;
          all = all && m;
          if (op_ == LogicalOp::Or ? m : !m) break;
        }
        bool hit = op_ == LogicalOp::Or ? any : all;
        return rules_.front().exclude ? !hit : hit;
      }
    }
    return true;
  }

  LogicalOp op_;
  std::vector<GrepRule> rules_;
  Counter* dropped_ = nullptr;
};

void add_rules(const config::ComponentConfig& cfg, std::string_view key, bool exclude, std::vector<GrepRule>& out) {
  for (const auto& text : cfg.get_list(key)) {
    // Fluent Bit's rule is "KEY REGEX": the regex is the rest, taken literally.
    auto parts = rule_syntax::split(text, 2, /*unquote_rest=*/false);
    if (!parts || parts->size() != 2)
      cfg.fail(key, "expected 'KEY REGEX' (a key, a space, a regular expression), got '" + text + "'");
    std::string field = (*parts)[0];
    RecordAccessor accessor = config::accessor_at(cfg, key, field);
    Regex regex = rule_syntax::compile_regex(cfg, key, (*parts)[1]);
    out.push_back(GrepRule{exclude, std::move(accessor), std::move(regex)});
  }
}

}  // namespace

const config::PluginSchema& grep_filter_schema() {
  using config::KeyType;
  static const config::PluginSchema schema{
      "grep",
      "Keeps or drops records by matching keys against regular expressions (PCRE2).",
      {
          {"regex", KeyType::Multi, "",
           "KEY REGEX: keep only records whose KEY ($key['sub'] for nested keys) matches REGEX.", false, false, {}},
          {"exclude", KeyType::Multi, "", "KEY REGEX: drop records whose KEY matches REGEX.", false, false, {}},
          {"logical_op", KeyType::String, "legacy",
           "How rules combine: legacy (every regex matches and no exclude matches), and, or. "
           "With and/or, use only regex rules or only exclude rules.",
           false, false, {"legacy", "and", "or"}},
      }};
  return schema;
}

std::unique_ptr<Filter> make_grep_filter(const config::ComponentConfig& cfg, const BuildContext& /*ctx*/) {
  std::string op_name = cfg.get_string("logical_op");
  std::transform(op_name.begin(), op_name.end(), op_name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  LogicalOp op = op_name == "and" ? LogicalOp::And : op_name == "or" ? LogicalOp::Or : LogicalOp::Legacy;
  std::vector<GrepRule> rules;
  add_rules(cfg, "regex", false, rules);
  add_rules(cfg, "exclude", true, rules);
  if (op != LogicalOp::Legacy && cfg.has("regex") && cfg.has("exclude"))
    cfg.fail("logical_op", "with logical_op " + op_name +
                               ", use either regex rules or exclude rules, not both (as in Fluent Bit)");
  return std::make_unique<GrepFilter>(op, std::move(rules));
}

}  // namespace sluice
