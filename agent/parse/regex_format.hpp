// The `regex` parse format: a PCRE2 pattern whose named capture groups
// become the record's string fields.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "agent/parse/parser.hpp"

namespace sluice {

struct RegexFormatResult {
  std::unique_ptr<ParseFormat> format;  // null when the pattern is refused
  std::string error;                    // why, with PCRE2's message and offset
};

// Compiles pattern (JIT when available). The pattern is searched anywhere in
// the text, as Fluent Bit does; unset groups are skipped, and empty captures
// too when skip_empty is set (Fluent Bit's skip_empty_values). A pattern
// without named groups is refused.
RegexFormatResult make_regex_format(std::string_view pattern, bool skip_empty = true);

}  // namespace sluice
