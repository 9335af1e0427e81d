// A `multiline_parsers` entry as loaded: its keys (validated against
// multiline_parser_schema()) and its list of rules, which a component map
// can't hold. Built into a MultilineParser by agent/parse/multiline_parser.
#pragma once
#include <string>
#include <vector>

#include "agent/config/component_config.hpp"

namespace sluice::config {

// One rule, as written: state may list several comma-separated states,
// regex may be written /like this/.
struct MultilineRuleConfig {
  std::string state;
  std::string regex;
  std::string next_state;  // "" = the record ends with this line
  Mark mark;
};

struct MultilineParserConfig {
  ComponentConfig settings;
  std::vector<MultilineRuleConfig> rules;
};

const PluginSchema& multiline_parser_schema();

}  // namespace sluice::config
