// The `ltsv` parse format; see ltsv_format.hpp. The grammar (ltsv.org), as
// Fluent Bit reads it (flb_parser_ltsv.c):
//   record = [field *(TAB field)];  field = label ":" value
//   label  = 1*[0-9A-Za-z_.-];      value = *(any byte but NUL, TAB, CR, LF)
#include "agent/parse/ltsv_format.hpp"

#include <vector>

#include "agent/parse/key_dedup.hpp"
#include "agent/record.hpp"

namespace sluice {

namespace {

bool label_byte(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '.' ||
         c == '-';
}

bool value_byte(char c) { return c != '\0' && c != '\t' && c != '\r' && c != '\n'; }

// Not thread-safe (shared scratch vector); its owner runs on the main thread.
class LtsvFormat final : public ParseFormat {
 public:
  bool parse(std::string_view text, Arena& arena, Value& out) override {
    scratch_.clear();
    MapBuilder map(arena, scratch_);
    size_t i = 0;
    const size_t end = text.size();
    while (i < end) {
      const size_t label_start = i;
      while (i < end && label_byte(text[i])) ++i;
      if (i == end || text[i] != ':') break;  // a label without ':' ends the record
      std::string_view label = text.substr(label_start, i - label_start);
      if (!Key::fits(label)) return false;  // no record key holds it: the line stays whole, unparsed
      const size_t value_start = ++i;
      while (i < end && value_byte(text[i])) ++i;
      if (!label.empty())
        map.add(arena.copy(label), Value::string(arena.copy(text.substr(value_start, i - value_start))));
      // One TAB leads to the next field; a line end (or a NUL) makes the next
      // label empty and not followed by ':', which ends the record.
      if (i < end && text[i] == '\t') ++i;
    }
    if (map.size() == 0) return false;  // no field at all: not ltsv
    dedup_.run(scratch_, 0);            // the last value of a repeated label wins
    out = map.finish();
    return true;
  }

 private:
  std::vector<Member> scratch_;
  KeyDedup dedup_;
};

}  // namespace

std::unique_ptr<ParseFormat> make_ltsv_format() { return std::make_unique<LtsvFormat>(); }

}  // namespace sluice
