// The `regex` parse format over sluice's PCRE2 wrapper; see regex_format.hpp.
#include "agent/parse/regex_format.hpp"

#include <vector>

#include "agent/record.hpp"
#include "agent/regex.hpp"

namespace sluice {

namespace {

// Not thread-safe (shared scratch vector); its owner runs on the main thread.
class RegexFormat final : public ParseFormat {
 public:
  RegexFormat(Regex regex, bool skip_empty) : regex_(std::move(regex)), skip_empty_(skip_empty) {}

  bool parse(std::string_view text, Arena& arena, Value& out) override {
    scratch_.clear();
    MapBuilder map(arena, scratch_);
    // Keys are copied too: the record may outlive this parser (outputs drain
    // after the pipeline's parsers are gone).
    bool matched = regex_.named_captures(text, [&](std::string_view name, std::string_view value) {
      if (value.empty() && skip_empty_) return;
      map.set(arena.copy(name), Value::string(arena.copy(value)));
    });
    if (!matched) return false;
    out = map.finish();
    return true;
  }

 private:
  Regex regex_;
  bool skip_empty_;
  std::vector<Member> scratch_;
};

}  // namespace

RegexFormatResult make_regex_format(std::string_view pattern, bool skip_empty) {
  RegexFormatResult result;
  std::string error;
  std::optional<Regex> regex = Regex::compile(pattern, &error);
  if (!regex) {
    result.error = "does not compile: " + error;
    return result;
  }
  if (regex->group_names().empty()) {
    result.error = "has no named capture group: name the fields with (?<name>...)";
    return result;
  }
  result.format = std::make_unique<RegexFormat>(std::move(*regex), skip_empty);
  return result;
}

}  // namespace sluice
