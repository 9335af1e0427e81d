// Named parsers from the top-level `parsers` section (and the built-in ones):
// a format (json, regex, logfmt, ltsv) plus what Fluent Bit applies after it —
// field decoders, time_key/time_format/time_keep and typed fields. Used by the tail input's
// `parser` key and by the parser filter. Main thread only (not thread-safe:
// a parser keeps scratch state between calls).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/component_config.hpp"
#include "agent/parse/multiline_parser.hpp"
#include "agent/value.hpp"

namespace sluice {

class FieldDecoders;
namespace timefmt {
class TimeZone;
}

// One text format. Implementations: parse/json_format, regex_format, logfmt_format, ltsv_format.
class ParseFormat {
 public:
  virtual ~ParseFormat() = default;
  // Parses text into a map allocated in arena. Returns false, leaving out
  // untouched, when text is not in this format. Never throws; any input is safe.
  virtual bool parse(std::string_view text, Arena& arena, Value& out) = 0;
};

struct ParsedText {
  Value record;                    // a Map
  std::optional<int64_t> time_ns;  // from time_key, when present and valid
};

class Parser {
 public:
  struct Options {
    std::string time_key;     // "" = none
    std::string time_format;  // strptime-like, with %L for fractional seconds
    bool time_keep = false;
    // Zone of times whose format carries none (+02:00 → 7200 s), as Fluent
    // Bit's time_offset: the time read is local to it, so it is subtracted.
    int64_t time_offset_ns = 0;
    // Times without a zone are in the system's time zone (TZ, /etc/localtime)
    // instead of time_offset: Fluent Bit's time_system_timezone.
    bool time_system_timezone = false;
    // An IANA zone (time_zone: Europe/Berlin) for times without a zone,
    // with its summer time; null = none. Fluent Bit 4.1's time_zone.
    std::shared_ptr<const timefmt::TimeZone> time_zone;
    // Off: text after what time_format matched is ignored (Fluent Bit's time_strict).
    bool time_strict = true;
    // decode_field / decode_field_as rules, applied right after the format; null = none.
    std::shared_ptr<FieldDecoders> decoders;
    // Fields converted after parsing: integer, float, bool, string, hex.
    std::vector<std::pair<std::string, std::string>> types;
  };
  Parser(std::string name, std::unique_ptr<ParseFormat> format, Options options);
  const std::string& name() const { return name_; }
  // Returns nullopt when the text doesn't parse (the caller keeps it as it came).
  std::optional<ParsedText> parse(std::string_view text, Arena& arena) const;

  // The type names `types` accepts.
  static bool known_type(std::string_view type);

 private:
  enum class FieldType : uint8_t { Integer, Float, Bool, String, Hex };
  struct TypedField {
    std::string key;
    FieldType type;
  };
  void apply_time(ParsedText& parsed) const;
  void apply_types(Value& record, Arena& arena) const;

  std::string name_;
  std::unique_ptr<ParseFormat> format_;
  Options options_;
  std::vector<TypedField> typed_;  // options_.types, resolved once
};

class ParserSet {
 public:
  // Built-ins (json, logfmt, docker, cri-less) plus the user's `parsers`
  // entries; a user's parser of the same name replaces a built-in. Throws
  // config::ConfigError naming the key (bad regex with PCRE2's message and
  // offset, unknown format, unknown type).
  // multiline: the `multiline_parsers` entries, built after the parsers
  // (their `parser` key names one) beside the built-in multiline parsers.
  static ParserSet build(const std::vector<config::ComponentConfig>& parsers,
                         const std::vector<config::MultilineParserConfig>& multiline = {});
  const Parser* find(std::string_view name) const;
  std::vector<std::string> names() const;
  const MultilineParser* find_multiline(std::string_view name) const { return multiline_->find(name); }
  std::vector<std::string> multiline_names() const { return multiline_->names(); }

 private:
  std::map<std::string, std::unique_ptr<Parser>, std::less<>> parsers_;
  std::unique_ptr<MultilineParserSet> multiline_;
};

// The built-in parsers and multiline parsers alone, for components built
// without a pipeline's ParserSet (unit tests).
const ParserSet& builtin_parser_set();

// The schema of one `parsers` entry.
const config::PluginSchema& parser_schema();

}  // namespace sluice
