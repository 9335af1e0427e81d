// Fluent Bit's classic configuration format (`fluent-bit.conf`, `parsers.conf`):
// [SERVICE] / [INPUT] / [FILTER] / [OUTPUT] / [PARSER] / [MULTILINE_PARSER]
// sections of indented `Key Value` lines, `@INCLUDE` (with globs) and `@SET`.
//
// It is translated into the YAML form sluice reads, with a map from every
// line of the YAML back to the line of the classic file it came from, so that
// the YAML loader validates both formats with the same schemas and reports
// errors at the classic file's own lines. `sluice --convert` prints the YAML.
#pragma once
#include <string>
#include <vector>

#include "agent/config/component_config.hpp"

namespace sluice::config {

struct TranslatedConfig {
  std::string yaml;
  // origin[i] is where line i (0-based) of `yaml` came from.
  std::vector<Mark> origin;
};

// True when `path` is in the classic format: a `.conf` name, or (for other
// names than .yaml/.yml) a first significant line that opens a section or is
// an @-directive.
bool is_classic_file(const std::string& path);

// Reads a classic file and the files it includes. ConfigError (with the
// classic file's line) for a malformed line, an entry outside a section, an
// include that matches nothing or includes itself, and sections sluice has
// no equivalent for ([PLUGINS], [UPSTREAM], [CUSTOM], ...).
TranslatedConfig translate_classic_file(const std::string& path);
// The same for text in memory (tests); `name` stands for the file name and
// `dir` is where relative @INCLUDEs start.
TranslatedConfig translate_classic(const std::string& text, const std::string& name, const std::string& dir);

}  // namespace sluice::config
