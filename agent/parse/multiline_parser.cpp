// Multiline parser definitions and their rule graph; see multiline_parser.hpp.
#include "agent/parse/multiline_parser.hpp"

#include <algorithm>
#include <cctype>

#include "agent/join.hpp"
#include "agent/parse/parser.hpp"

namespace sluice {

namespace {

constexpr std::string_view kStartState = "start_state";

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

std::vector<std::string> split_states(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    std::string part = trim(s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (!part.empty()) out.push_back(std::move(part));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

bool applies_in(const MultilineRule& r, std::string_view state) {
  return std::find(r.states.begin(), r.states.end(), state) != r.states.end();
}

}  // namespace

MultilineParser::MultilineParser(std::string name, Options options, std::vector<config::MultilineRuleConfig> rules,
                                 const config::Mark& at)
    : name_(std::move(name)), options_(std::move(options)) {
  std::string who = "multiline parser '" + name_ + "'";
  if (options_.type != Type::Regex) {
    if (!rules.empty())
      throw config::ConfigError(rules.front().mark, who + ": rules apply to type regex only");
    return;
  }
  if (rules.empty()) throw config::ConfigError(at, who + ": type regex needs rules (state, regex, next_state)");
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& rc = rules[i];
    std::string which = who + ", rule " + std::to_string(i + 1) + " (state '" + rc.state + "')";
    std::string error;
    auto re = Regex::compile(rc.regex, &error);
    if (!re) throw config::ConfigError(rc.mark, which + ": regex '" + rc.regex + "' doesn't compile: " + error);
    auto rule = std::make_unique<MultilineRule>(std::move(*re));
    rule->states = split_states(rc.state);
    if (rule->states.empty()) throw config::ConfigError(rc.mark, which + ": expected a state name");
    rule->start = applies_in(*rule, kStartState);
    rule->next_state = trim(rc.next_state);
    if (rule->start) start_rules_.push_back(rule.get());
    rules_.push_back(std::move(rule));
  }
  if (!rules_.front()->start)
    throw config::ConfigError(rules.front().mark,
                              who + ": the first rule must apply in 'start_state' (it recognises a record's first "
                                    "line); its state is '" + rules.front().state + "'");
  link();
  for (size_t i = 0; i < rules_.size(); ++i) {
    const auto& r = *rules_[i];
    if (r.next_state.empty()) continue;
    bool known = std::any_of(rules_.begin(), rules_.end(), [&](const auto& o) { return applies_in(*o, r.next_state); });
    if (!known) {
      std::vector<std::string> states;
      for (const auto& o : rules_)
        for (const auto& s : o->states)
          if (std::find(states.begin(), states.end(), s) == states.end()) states.push_back(s);
      throw config::ConfigError(rules[i].mark, who + ", rule " + std::to_string(i + 1) + ": next_state '" +
                                                   r.next_state + "' is no rule's state (states: " + join(states) +
                                                   ")");
    }
  }
}

void MultilineParser::link() {
  for (auto& rule : rules_) {
    rule->next.clear();
    rule->completes = rule->next_state.empty();
    for (const auto& other : rules_) {
      if (!applies_in(*other, rule->next_state)) continue;
      // A next state that could start a record means this one is complete:
      // the next line opens a new record or stands alone.
      if (other->start) rule->completes = true;
      else rule->next.push_back(other.get());
    }
  }
}

const MultilineRule* MultilineParser::continuation(const MultilineRule& current, std::string_view text) const {
  for (const MultilineRule* r : current.next)
    if (r->regex.search(text)) return r;
  return nullptr;
}

const MultilineRule* MultilineParser::start(std::string_view text) const {
  for (const MultilineRule* r : start_rules_)
    if (r->regex.search(text)) return r;
  return nullptr;
}

bool MultilineParser::last_part(std::string_view text) const {
  const std::string& m = options_.match_string;
  bool matched = options_.type == Type::EndsWith
                     ? text.size() >= m.size() && text.substr(text.size() - m.size()) == m
                     : text == m;
  return matched != options_.negate;
}

// ---- the set ----

namespace {

MultilineParser::Type type_of(const config::ComponentConfig& cfg) {
  std::string t = cfg.get_string("type");
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (t == "regex") return MultilineParser::Type::Regex;
  if (t == "endswith") return MultilineParser::Type::EndsWith;
  return MultilineParser::Type::Equal;  // "equal" or "eq": the schema allows nothing else
}

std::unique_ptr<MultilineParser> make_parser(const config::MultilineParserConfig& mc, const ParserSet& parsers) {
  const auto& cfg = mc.settings;
  std::string name = cfg.get_string("name");
  if (name.empty()) cfg.fail("name", "a multiline parser needs a non-empty name");
  MultilineParser::Options o;
  o.type = type_of(cfg);
  o.match_string = cfg.get_string("match_string");
  o.negate = cfg.get_bool("negate");
  o.key_content = cfg.get_string("key_content");
  o.key_pattern = cfg.get_string("key_pattern");
  o.key_group = cfg.get_string("key_group");
  int64_t ms = cfg.get_int("flush_timeout");
  if (ms <= 0) cfg.fail("flush_timeout", "expected milliseconds above 0");
  o.flush_timeout = std::chrono::milliseconds(ms);
  if (o.type != MultilineParser::Type::Regex && o.match_string.empty())
    cfg.fail("type", "type " + cfg.get_string("type") + " needs match_string (what the last part of a line " +
                         (o.type == MultilineParser::Type::EndsWith ? "ends with)" : "holds in key_pattern)"));
  if (o.type == MultilineParser::Type::Equal && o.key_pattern.empty())
    cfg.fail("type", "type equal needs key_pattern (the key compared with match_string)");
  if (cfg.has("parser")) {
    std::string p = cfg.get_string("parser");
    o.parser = parsers.find(p);
    if (o.parser == nullptr) cfg.fail("parser", "unknown parser '" + p + "'; known parsers: " + join(parsers.names()));
    if (o.key_content.empty())
      cfg.fail("parser", "needs key_content: the field of the parsed line whose text is joined");
  }
  return std::make_unique<MultilineParser>(std::move(name), std::move(o), mc.rules, cfg.mark());
}

}  // namespace

std::unique_ptr<MultilineParserSet> MultilineParserSet::build(const std::vector<config::MultilineParserConfig>& configs,
                                                              const ParserSet& parsers) {
  auto set = std::make_unique<MultilineParserSet>();
  for (auto& p : builtin_multiline_parsers()) set->parsers_[p->name()] = std::move(p);
  std::map<std::string, const config::ComponentConfig*> defined;
  for (const auto& mc : configs) {
    auto parser = make_parser(mc, parsers);
    if (auto it = defined.find(parser->name()); it != defined.end())
      mc.settings.fail("name", "a multiline parser of this name is already defined at " +
                                   it->second->mark_of("name").str());
    defined.emplace(parser->name(), &mc.settings);
    set->parsers_[parser->name()] = std::move(parser);
  }
  return set;
}

const MultilineParser* MultilineParserSet::find(std::string_view name) const {
  auto it = parsers_.find(name);
  return it == parsers_.end() ? nullptr : it->second.get();
}

std::vector<std::string> MultilineParserSet::names() const {
  std::vector<std::string> out;
  for (const auto& [name, p] : parsers_) out.push_back(name);
  return out;
}

namespace config {

const PluginSchema& multiline_parser_schema() {
  static const PluginSchema schema{
      "multiline_parser",
      "A named multiline parser for tail's and the multiline filter's `multiline.parser` key.",
      {
          {"name", KeyType::String, "", "The name `multiline.parser` refers to.", true},
          {"type", KeyType::String, "",
           "`regex`: rules recognise a record's first line and its continuation lines; `endswith`: a part "
           "ending with match_string is the last of its line; `equal`: a part whose key_pattern equals "
           "match_string is the last.",
           true,
           false,
           {"regex", "endswith", "equal", "eq"}},
          {"match_string", KeyType::String, "", "endswith / equal: the text that marks the last part."},
          {"negate", KeyType::Bool, "off", "endswith / equal: a match means the part is NOT the last."},
          {"key_content", KeyType::String, "",
           "The key whose text the rules look at and that is joined (records); unset: the whole line."},
          {"key_pattern", KeyType::String, "", "equal: the key compared with match_string."},
          {"key_group", KeyType::String, "",
           "Lines whose values of this key differ are joined apart (e.g. `stream`: stdout and stderr)."},
          {"parser", KeyType::String, "",
           "A parser applied to each line first (a line it can't parse is not this parser's); the first "
           "line's fields make the record, key_content gets the joined text."},
          {"flush_timeout", KeyType::Int, "4000",
           "Milliseconds after a record's last line before it is sent on without waiting for more."},
      }};
  return schema;
}

}  // namespace config

}  // namespace sluice
