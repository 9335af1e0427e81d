// A JSON reader for the common log line, in one pass over the text with no
// copy of it: a line it reads comes out exactly as json_format.cpp's
// simdjson path reads it; anything else it declines, and json_format.cpp
// hands the line to simdjson, which has the last word (valid or not, and
// what it means).
//
// It reads objects, arrays, strings with any escape but a NUL or a lone
// surrogate, valid UTF-8, true/false/null, integers of up to 18 digits and
// numbers with a fraction or an exponent that are finite doubles. It declines
// longer integers (int64's edge and beyond), "-0", invalid UTF-8, control
// characters, nesting beyond kMaxJsonDepth, keys a record can't hold, and
// every syntax error.
#pragma once
#include <string>
#include <string_view>

#include "agent/parse/json_record_builder.hpp"
#include "agent/value.hpp"

namespace sluice {

// Not thread-safe: keeps a scratch buffer for unescaped strings.
class JsonFastReader {
 public:
  // True: `out` is the text's record, built by `builder` (begun for this text).
  // False: declined; `builder` may hold part of it until its next begin().
  bool read(std::string_view text, JsonRecordBuilder& builder, Value& out);

  void release_memory() { unescaped_ = {}; }

 private:
  bool object(int depth, Value& out);
  bool array(int depth, Value& out);
  // The per-field steps are inlined into object() and array(): as calls
  // they were a sixth of the null pipeline's instructions.
  [[gnu::always_inline]] bool value(int depth, JsonRecordBuilder::Slot slot);
  [[gnu::always_inline]] bool string(std::string_view& out);
  bool escape();
  bool utf8_sequence();
  [[gnu::always_inline]] bool number(Value& out);
  bool correctly_rounded(const char* start, Value& out) const;
  bool literal(std::string_view word);
  // JSON's whitespace; most lines have none between tokens, so the loop
  // mostly ends at its first compare.
  void skip_space() {
    while (p_ < end_ && static_cast<unsigned char>(*p_) <= ' ' &&
           (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r'))
      ++p_;
  }

  const char* p_ = nullptr;
  const char* end_ = nullptr;
  JsonRecordBuilder* builder_ = nullptr;
  std::string unescaped_;  // a string with escapes, decoded
};

}  // namespace sluice
