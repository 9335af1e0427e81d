// Fluent Bit's regexes (Onigmo, Ruby syntax) as PCRE2 reads them: its
// /pattern/options literals, and, where PCRE2 refuses what Onigmo takes,
// a translation of two things its stock parser files use:
// - group names of any length: PCRE2 10.42 stops at 32 characters, and
//   istio-envoy-proxy in parsers.conf has "upstream_transport_failure_reason";
//   such names are compiled under short stand-ins, and the group keeps its
//   name;
// - \uHHHH for a character (parsers_mult.conf): written as its UTF-8 bytes.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// A pattern as Fluent Bit hands it to Onigmo: "/body/" is body, and
// "/body/imx" is body with Ruby's options (i: ignore case, m: dot matches
// newline, x: extended); anything else (an unknown option letter, a lone
// slash) is the whole text. Its algorithm, so that "/var/log/" is var/log
// there and here, and "/path/to/file" stays itself.
struct OnigmoLiteral {
  std::string_view body;
  bool ignore_case = false;
  bool dot_all = false;  // Ruby's m
  bool extended = false;
};
OnigmoLiteral onigmo_literal(std::string_view pattern);

struct OnigmoTranslation {
  std::string pattern;  // PCRE2's spelling of the pattern
  std::vector<std::pair<std::string, std::string>> names;  // stand-in, original
};

// Writes \uHHHH as the character's UTF-8 bytes (an ASCII one in character
// classes too), and replaces names
// longer than max_length wherever the pattern defines or refers to a named
// group: (?<n>, (?'n', (?P<n>, \k<n> \k'n' \k{n}, \g<n> \g'n', (?P=n),
// (?P>n), (?&n), (?(<n>), (?('n'), (?(n). Other escapes, \Q...\E and the
// rest of character classes are copied as they are. Stand-ins are
// "_sluice_N", numbered past any such name the pattern already has.
OnigmoTranslation translate_onigmo(std::string_view pattern, size_t max_length);

}  // namespace sluice
