// The `json` parse format: the fast reader for the common line, simdjson On
// Demand (error codes only, no exceptions) for the rest; see json_format.hpp.
// This file is sluice's only simdjson user.
#include "agent/parse/json_format.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <vector>

#include <simdjson.h>

#include "agent/parse/json_fast_reader.hpp"
#include "agent/parse/json_record_builder.hpp"
#include "agent/record.hpp"

namespace sluice {

namespace {

namespace od = simdjson::ondemand;

// Not thread-safe: the simdjson parser, the padded copy of the text and the
// builder's stacks are reused from one call to the next (the parser's owner
// runs on the main thread).
class JsonFormat final : public ParseFormat {
 public:
  explicit JsonFormat(JsonReaders readers) : fast_first_(readers == JsonReaders::fast_then_simdjson) {}

  bool parse(std::string_view text, Arena& arena, Value& out) override {
    builder_.begin(arena);
    // The fast reader takes the common line or declines it; simdjson has the
    // last word on every line it declines, valid or not.
    bool ok = (fast_first_ && fast_.read(text, builder_, out)) || parse_padded(text, arena, out);
    if (text.size() > kRetainBytes) {
      // One huge line must not pin megabytes of parser buffers for good.
      parser_ = od::parser();
      padded_ = {};
      builder_.release_memory();
      fast_.release_memory();
    }
    return ok;
  }

 private:
  // simdjson's buffers are kept for lines up to this size (a few times it in all).
  static constexpr size_t kRetainBytes = 64 * 1024;

  bool parse_padded(std::string_view text, Arena& arena, Value& out) {
    // simdjson reads up to SIMDJSON_PADDING bytes past the end of the text; the
    // caller's buffer gives no such promise, so the text is copied (a memcpy of
    // one line costs far less than the parse itself).
    const size_t capacity = text.size() + simdjson::SIMDJSON_PADDING;
    if (padded_.size() < capacity) padded_.resize(std::max(capacity, 2 * padded_.size()));
    if (!text.empty()) std::memcpy(padded_.data(), text.data(), text.size());  // an empty view's data() may be null
    std::memset(padded_.data() + text.size(), 0, simdjson::SIMDJSON_PADDING);

    builder_.begin(arena);
    od::document doc;
    if (parser_.iterate(padded_.data(), text.size(), padded_.size()).get(doc) != simdjson::SUCCESS) return false;
    od::object object;
    if (doc.get_object().get(object) != simdjson::SUCCESS) return false;
    Value v;
    if (!parse_object(object, 1, v)) return false;
    // simdjson 3.0 only checks that the text ends with '}', so `{} {}` would
    // pass: refuse any token left after the object.
    if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) return false;
    out = v;
    return true;
  }

  bool parse_value(od::value value, int depth, Value& out) {
    od::json_type type;
    if (value.type().get(type) != simdjson::SUCCESS) return false;
    switch (type) {
      case od::json_type::object: {
        od::object object;
        return value.get_object().get(object) == simdjson::SUCCESS && parse_object(object, depth + 1, out);
      }
      case od::json_type::array: {
        od::array array;
        return value.get_array().get(array) == simdjson::SUCCESS && parse_array(array, depth + 1, out);
      }
      case od::json_type::string: {
        std::string_view s;
        if (value.get_string().get(s) != simdjson::SUCCESS) return false;
        out = builder_.string(s, depth);
        return true;
      }
      case od::json_type::number: return parse_number(value, out);
      case od::json_type::boolean: {
        bool b = false;
        if (value.get_bool().get(b) != simdjson::SUCCESS) return false;
        out = Value::boolean(b);
        return true;
      }
      case od::json_type::null: {
        bool is_null = false;
        if (value.is_null().get(is_null) != simdjson::SUCCESS || !is_null) return false;
        out = Value::null();
        return true;
      }
    }
    return false;
  }

  static bool parse_number(od::value value, Value& out) {
    od::number_type type;
    if (value.get_number_type().get(type) != simdjson::SUCCESS) return false;
    if (type == od::number_type::signed_integer) {
      int64_t i = 0;
      if (value.get_int64().get(i) == simdjson::SUCCESS) {
        out = Value::integer(i);
        return true;
      }
      // A negative integer below int64's range: read as a double below.
    }
    // simdjson checks the number's grammar; the double itself comes from the
    // number's text: simdjson 3.0.1 reads some numbers of more than 19 digits
    // wrong (0.36879529285909654882 as 0.1843...), and from_chars rounds
    // correctly, as the fast reader does. Beyond double's range from_chars
    // refuses, and simdjson's answer stands.
    std::string_view token = value.raw_json_token();
    double d = 0;
    if (value.get_double().get(d) != simdjson::SUCCESS) return false;
    while (!token.empty() && is_json_space(token.back())) token.remove_suffix(1);
    double exact = 0;
    const auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), exact);
    if (error == std::errc{} && end == token.data() + token.size()) d = exact;
    out = Value::real(d);
    return true;
  }
  static bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

  bool parse_object(od::object object, int depth, Value& out) {
    if (depth > kMaxJsonDepth) return false;
    const size_t start = builder_.open_object(depth);
    for (auto field_result : object) {
      od::field field;
      if (std::move(field_result).get(field) != simdjson::SUCCESS) return false;
      std::string_view key;
      if (field.unescaped_key().get(key) != simdjson::SUCCESS) return false;
      if (!Key::fits(key)) return false;  // not a record sluice can hold: the line stays whole
      // The key view points into the parser's buffer, overwritten by the next
      // string: the builder copies it before the value is read.
      key = builder_.key(key, depth, start);
      Value v;
      if (!parse_value(field.value(), depth, v)) return false;
      builder_.add_member(key, v);
    }
    out = builder_.close_object(depth, start);
    return true;
  }

  bool parse_array(od::array array, int depth, Value& out) {
    if (depth > kMaxJsonDepth) return false;
    const size_t start = builder_.open_array();
    for (auto item_result : array) {
      od::value item;
      if (std::move(item_result).get(item) != simdjson::SUCCESS) return false;
      Value v;
      if (!parse_value(item, depth, v)) return false;
      builder_.add_item(v);
    }
    out = builder_.close_array(start);
    return true;
  }

  const bool fast_first_;
  JsonFastReader fast_;
  od::parser parser_;
  std::vector<char> padded_;
  JsonRecordBuilder builder_;
};

}  // namespace

std::unique_ptr<ParseFormat> make_json_format(JsonReaders readers) { return std::make_unique<JsonFormat>(readers); }

}  // namespace sluice
