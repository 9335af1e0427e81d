// How a JSON text becomes an arena record, whichever reader walks its syntax
// (json_fast_reader.cpp for the common line, simdjson for the rest; see
// json_format.cpp): keys and strings copied into the arena and shared with
// the line before, duplicate keys removed, members and items placed in arena
// arrays.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "agent/arena.hpp"
#include "agent/parse/key_dedup.hpp"
#include "agent/value.hpp"

namespace sluice {

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
    if (same_bytes(keys_[position], text)) {
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
    return same_bytes(last, text) ? last : (last = arena.copy(text));
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

// Not thread-safe: keeps its stacks and the line before's keys between texts.
// A reader calls begin() per text, then for each object open_object(), per
// field key() (before reading the value: the key's text may be overwritten)
// and add_member(), and close_object(); arrays likewise. A text the reader
// gives up on half-way needs nothing undone: the next begin() starts over.
class JsonRecordBuilder {
 public:
  void begin(Arena& arena) {
    arena_ = &arena;
    top_.use(arena);
    members_.clear();
    items_.clear();
  }

  // Returns where the object's members start on the stack.
  size_t open_object(int depth) {
    if (depth == 1) top_.begin_object();
    return members_.size();
  }
  // The field's key as the record keeps it. depth 1 is the top-level object.
  std::string_view key(std::string_view text, int depth, size_t start) {
    if (depth != 1) return arena_->copy(text);
    top_position_ = members_.size() - start;
    return top_.key(text, top_position_, *arena_);
  }
  // A string value; depth is that of the object or array holding it.
  [[gnu::always_inline]] Value string(std::string_view text, int depth) {
    return Value::string(depth == 1 ? top_.value(text, top_position_, *arena_) : arena_->copy(text));
  }
  void add_member(std::string_view key, const Value& value) { members_.push_back({key, value}); }

  // A member or item whose value is written in place, by at(): a reader that
  // writes each scalar into its slot instead of through a temporary keeps
  // the CPU from reloading, whole, a value it has just stored in parts. An
  // index, as a nested container's members may move the stack.
  struct Slot {
    bool member;
    size_t index;
  };
  Slot add_member(std::string_view key) {
    members_.emplace_back().key = key;
    return {true, members_.size() - 1};
  }
  Slot add_item() {
    items_.emplace_back();
    return {false, items_.size() - 1};
  }
  Value& at(Slot slot) { return slot.member ? members_[slot.index].value : items_[slot.index]; }

  Value close_object(int depth, size_t start) {
    if (depth == 1) {
      const size_t read = members_.size() - start;
      if (!top_.keys_known_unique(read)) dedup_.run(members_, start);
      top_.end_object(read, members_.size() - start == read);
    } else {
      dedup_.run(members_, start);
    }
    const size_t n = members_.size() - start;
    Member* members = arena_->allocate_array<Member>(n);
    std::copy(members_.begin() + static_cast<ptrdiff_t>(start), members_.end(), members);
    members_.resize(start);
    return Value::map(members, static_cast<uint32_t>(n));
  }

  size_t open_array() const { return items_.size(); }
  void add_item(const Value& value) { items_.push_back(value); }
  Value close_array(size_t start) {
    const size_t n = items_.size() - start;
    Value* items = arena_->allocate_array<Value>(n);
    std::copy(items_.begin() + static_cast<ptrdiff_t>(start), items_.end(), items);
    items_.resize(start);
    return Value::array(items, static_cast<uint32_t>(n));
  }

  // After a huge text: gives the stacks' memory back.
  void release_memory() {
    members_ = {};
    items_ = {};
  }

 private:
  Arena* arena_ = nullptr;
  std::vector<Member> members_;  // stack of open objects' members
  std::vector<Value> items_;     // stack of open arrays' items
  KeyDedup dedup_;
  SharedFields top_;
  size_t top_position_ = 0;  // of the top-level field being read
};

}  // namespace sluice
