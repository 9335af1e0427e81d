// Multiline parsers (Fluent Bit's `multiline_parsers`): which lines of a
// stream belong to one record. A `regex` parser is a state machine of rules
// (state, regex, next_state) that recognises the first line of a record and
// its continuation lines (stack traces, exceptions); `endswith` and `equal`
// join the parts of one line split by a container runtime; `first_line` is
// tail's old multiline mode (a line parser_firstline reads opens a record,
// the lines after it continue it). Immutable after build; the per-stream
// state lives in MultilineStream.
#pragma once
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/multiline_config.hpp"
#include "agent/regex.hpp"

namespace sluice {

class Parser;
class ParserSet;


struct MultilineRule {
  explicit MultilineRule(Regex re) : regex(std::move(re)) {}
  std::vector<std::string> states;  // the states it applies in
  Regex regex;
  std::string next_state;
  bool start = false;  // applies in start_state: may open a record
  // Filled by MultilineParser::link(): the rules that may follow this one
  // (those applying in next_state, start rules excluded), and whether the
  // record is complete once this rule matched (no next state, or the next
  // state is start_state).
  std::vector<const MultilineRule*> next;
  bool completes = false;
};

class MultilineParser {
 public:
  enum class Type { Regex, EndsWith, Equal, FirstLine };

  struct Options {
    Type type = Type::Regex;
    std::string match_string;  // endswith / equal
    bool negate = false;       // endswith / equal: a match means "not the last part"
    std::string key_content;   // records: the key whose text is joined ("" = the whole line / "log")
    std::string key_pattern;   // equal: the key compared with match_string
    std::string key_group;     // records: lines with different values here are joined apart (stdout/stderr)
    const Parser* parser = nullptr;  // every line is parsed first; the first line's fields make the record
    std::chrono::milliseconds flush_timeout{4000};
    bool builtin = false;  // one of builtin_multiline_parsers()
    // FirstLine (tail's parser_firstline in `parser`): parsers tried on a
    // continuation line (tail's parser_N); the first that reads it adds its
    // fields to the record instead of the line's text.
    std::vector<const Parser*> continuation_parsers;
  };

  // Throws config::ConfigError at the offending rule: a bad regex, a
  // next_state no rule applies in, no start_state rule.
  MultilineParser(std::string name, Options options, std::vector<config::MultilineRuleConfig> rules,
                  const config::Mark& at);

  const std::string& name() const { return name_; }
  const Options& options() const { return options_; }
  Type type() const { return options_.type; }

  // Regex type. The rule that continues a record whose last line matched
  // `current`, or nullptr.
  const MultilineRule* continuation(const MultilineRule& current, std::string_view text) const;
  // The first start rule matching text, or nullptr.
  const MultilineRule* start(std::string_view text) const;
  // EndsWith / Equal: true when this part is the last of its line.
  bool last_part(std::string_view text) const;

 private:
  void link();

  std::string name_;
  Options options_;
  std::vector<std::unique_ptr<MultilineRule>> rules_;  // stable addresses: rules point at each other
  std::vector<const MultilineRule*> start_rules_;
};

// The built-in parsers (docker, cri, go, java, python, ruby) and the user's
// `multiline_parsers`; a user's parser of the same name replaces a built-in.
class MultilineParserSet {
 public:
  // parsers resolves the `parser` key. Throws config::ConfigError.
  static std::unique_ptr<MultilineParserSet> build(const std::vector<config::MultilineParserConfig>& configs,
                                                   const ParserSet& parsers);
  const MultilineParser* find(std::string_view name) const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, std::unique_ptr<MultilineParser>, std::less<>> parsers_;
};

// Built-ins (multiline_builtins.cpp), in the order they are listed.
std::vector<std::unique_ptr<MultilineParser>> builtin_multiline_parsers();

}  // namespace sluice
