// The `json` parse format over simdjson On Demand (error codes only, no
// exceptions); see json_format.hpp. This file is sluice's only simdjson user.
#include "agent/parse/json_format.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include <simdjson.h>

#include "agent/parse/key_dedup.hpp"
#include "agent/record.hpp"

namespace sluice {

namespace {

namespace od = simdjson::ondemand;

// Lines of one application mostly have the same keys in the same order, and
// many fields repeat from one line to the next (level, host, service, ...).
// A top-level key or string value equal to the one at the same position in
// the object parsed before, into the same arena, points at that one's copy
// instead of taking its bytes again: a queued chunk holds each key about
// once. (Strings in an arena are never changed in place, so sharing is safe.)
class SharedFields {
 public:
  // Forgets views into another arena (maybe freed since).
  void use(const Arena& arena) {
    if (arena.id() == arena_id_) return;
    keys_.fill({});
    values_.fill({});
    arena_id_ = arena.id();
    previous_keys_ = kNone;
  }

  // The object's keys are those of the object before, position by
  // position, and those were checked to have no duplicate: so do these.
  // Lets the parser skip looking for duplicates in a stream's lines.
  void begin_object() {
    expected_keys_ = previous_keys_;
    expected_unique_ = previous_unique_;
    previous_keys_ = kNone;  // an object that fails half-way is no one's model
    key_hits_ = 0;
  }
  bool keys_known_unique(size_t n) const { return key_hits_ == n && n == expected_keys_ && expected_unique_; }
  void end_object(size_t n, bool unique) {
    previous_keys_ = n;
    previous_unique_ = unique;
  }

  std::string_view key(std::string_view text, size_t position, Arena& arena) {
    if (position >= kMaxFields) return arena.copy(text);
    if (same(keys_[position], text)) {
      ++key_hits_;
      return keys_[position];
    }
    return keys_[position] = arena.copy(text);
  }
  std::string_view value(std::string_view text, size_t position, Arena& arena) {
    return position < kMaxFields ? share(values_[position], text, arena) : arena.copy(text);
  }

 private:
  static std::string_view share(std::string_view& last, std::string_view text, Arena& arena) {
    return same(last, text) ? last : (last = arena.copy(text));
  }
  // Timestamps and ids have the same length line after line and differ near
  // their end: their last 8 bytes turn most of them away without a memcmp call.
  // Keys and short values (up to 16 bytes) compare by two overlapping loads
  // each, without a call.
  static bool same(std::string_view a, std::string_view b) {
    const size_t n = a.size();
    if (n != b.size()) return false;
    const char* p = a.data();
    const char* q = b.data();
    if (n >= 8) {
      if (load<uint64_t>(p + n - 8) != load<uint64_t>(q + n - 8)) return false;
      if (n <= 16) return load<uint64_t>(p) == load<uint64_t>(q);
      return std::memcmp(p, q, n - 8) == 0;
    }
    if (n >= 4) return load<uint32_t>(p) == load<uint32_t>(q) && load<uint32_t>(p + n - 4) == load<uint32_t>(q + n - 4);
    for (size_t i = 0; i < n; ++i)
      if (p[i] != q[i]) return false;
    return true;
  }
  template <typename T>
  static T load(const char* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }

  static constexpr size_t kMaxFields = 32;
  static constexpr size_t kNone = ~size_t{0};
  uint64_t arena_id_ = 0;  // Arena ids start at 1
  size_t key_hits_ = 0;              // keys of the object being read equal to keys_ at their position
  size_t previous_keys_ = kNone;     // keys of the last top-level object read whole (before dedup)
  bool previous_unique_ = false;     // and whether they had no duplicate
  size_t expected_keys_ = kNone;
  bool expected_unique_ = false;
  std::array<std::string_view, kMaxFields> keys_{}, values_{};
};

// Not thread-safe: the simdjson parser, the padded copy of the text and the
// scratch stacks are reused from one call to the next (the parser's owner runs
// on the main thread).
class JsonFormat final : public ParseFormat {
 public:
  bool parse(std::string_view text, Arena& arena, Value& out) override {
    bool ok = parse_padded(text, arena, out);
    if (text.size() > kRetainBytes) {
      // One huge line must not pin megabytes of parser buffers for good.
      parser_ = od::parser();
      padded_ = {};
      members_ = {};
      items_ = {};
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
    std::memcpy(padded_.data(), text.data(), text.size());
    std::memset(padded_.data() + text.size(), 0, simdjson::SIMDJSON_PADDING);

    members_.clear();
    items_.clear();
    top_.use(arena);
    od::document doc;
    if (parser_.iterate(padded_.data(), text.size(), padded_.size()).get(doc) != simdjson::SUCCESS) return false;
    od::object object;
    if (doc.get_object().get(object) != simdjson::SUCCESS) return false;
    Value v;
    if (!parse_object(object, 1, arena, v)) return false;
    // simdjson 3.0 only checks that the text ends with '}', so `{} {}` would
    // pass: refuse any token left after the object.
    if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) return false;
    out = v;
    return true;
  }

  bool parse_value(od::value value, int depth, Arena& arena, Value& out) {
    od::json_type type;
    if (value.type().get(type) != simdjson::SUCCESS) return false;
    switch (type) {
      case od::json_type::object: {
        od::object object;
        return value.get_object().get(object) == simdjson::SUCCESS && parse_object(object, depth + 1, arena, out);
      }
      case od::json_type::array: {
        od::array array;
        return value.get_array().get(array) == simdjson::SUCCESS && parse_array(array, depth + 1, arena, out);
      }
      case od::json_type::string: {
        std::string_view s;
        if (value.get_string().get(s) != simdjson::SUCCESS) return false;
        // depth 1: the value of a top-level field (array items are deeper).
        out = Value::string(depth == 1 ? top_.value(s, top_position_, arena) : arena.copy(s));
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
    double d = 0;
    if (value.get_double().get(d) != simdjson::SUCCESS) return false;
    out = Value::real(d);
    return true;
  }

  bool parse_object(od::object object, int depth, Arena& arena, Value& out) {
    if (depth > kMaxJsonDepth) return false;
    const size_t start = members_.size();
    if (depth == 1) top_.begin_object();
    for (auto field_result : object) {
      od::field field;
      if (std::move(field_result).get(field) != simdjson::SUCCESS) return false;
      std::string_view key;
      if (field.unescaped_key().get(key) != simdjson::SUCCESS) return false;
      if (!Key::fits(key)) return false;  // not a record sluice can hold: the line stays whole
      // The key view points into the parser's buffer, overwritten by the next
      // string: copy it before reading the value.
      if (depth == 1) {
        top_position_ = members_.size() - start;
        key = top_.key(key, top_position_, arena);
      } else {
        key = arena.copy(key);
      }
      Value v;
      if (!parse_value(field.value(), depth, arena, v)) return false;
      members_.push_back({key, v});
    }
    if (depth == 1) {
      const size_t read = members_.size() - start;
      if (!top_.keys_known_unique(read)) dedup_.run(members_, start);
      top_.end_object(read, members_.size() - start == read);
    } else {
      dedup_.run(members_, start);
    }
    const size_t n = members_.size() - start;
    Member* members = arena.allocate_array<Member>(n);
    std::copy(members_.begin() + static_cast<ptrdiff_t>(start), members_.end(), members);
    members_.resize(start);
    out = Value::map(members, static_cast<uint32_t>(n));
    return true;
  }

  bool parse_array(od::array array, int depth, Arena& arena, Value& out) {
    if (depth > kMaxJsonDepth) return false;
    const size_t start = items_.size();
    for (auto item_result : array) {
      od::value item;
      if (std::move(item_result).get(item) != simdjson::SUCCESS) return false;
      Value v;
      if (!parse_value(item, depth, arena, v)) return false;
      items_.push_back(v);
    }
    const size_t n = items_.size() - start;
    Value* items = arena.allocate_array<Value>(n);
    std::copy(items_.begin() + static_cast<ptrdiff_t>(start), items_.end(), items);
    items_.resize(start);
    out = Value::array(items, static_cast<uint32_t>(n));
    return true;
  }

  od::parser parser_;
  std::vector<char> padded_;
  std::vector<Member> members_;  // stack of open objects' members
  std::vector<Value> items_;     // stack of open arrays' items
  KeyDedup dedup_;
  SharedFields top_;
  size_t top_position_ = 0;  // of the top-level field being read
};

}  // namespace

std::unique_ptr<ParseFormat> make_json_format() { return std::make_unique<JsonFormat>(); }

}  // namespace sluice
