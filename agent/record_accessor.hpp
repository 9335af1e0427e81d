// Fluent Bit's record accessor for nested keys: `$key`, `$key['sub']["sub2"]`,
// `$arr[0]`, and a plain `key` meaning that top-level key. Compiled once at
// config time; lookups walk the record without allocating.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/arena.hpp"
#include "agent/value.hpp"

namespace sluice {

// Immutable after compile(): safe to share between threads for get().
// set()/remove() change a record in place and run wherever that record's
// chunk is being written (the pipeline thread for filters).
class RecordAccessor {
 public:
  struct Step {
    std::string key;     // map key, when index < 0
    int64_t index = -1;  // array index, when >= 0
    bool is_index() const { return index >= 0; }
  };

  // Parses text. Returns nullopt and sets *error (what is wrong and where)
  // when the syntax is invalid.
  static std::optional<RecordAccessor> compile(std::string_view text, std::string* error);

  // The value at the path, or nullptr if any step is missing or of the wrong kind.
  const Value* get(const Value& record) const;
  Value* get(Value& record) const;

  // Sets the value at the path, adding the last key if absent and creating
  // missing intermediate maps; arrays are never created or extended. The new
  // key is copied into arena. Returns false if an existing step is not a
  // map (or not an array for an index step) or the index is out of range.
  bool set(Value& record, Arena& arena, Value v) const;
  // Removes the last step (a map member or an array item). Returns whether
  // something was removed.
  bool remove(Value& record) const;

  const std::string& text() const { return text_; }
  const std::vector<Step>& steps() const { return steps_; }
  // True for `key` and `$key` (no subkeys): callers may use a fast path.
  bool is_top_level() const { return steps_.size() == 1; }
  // The first key of the path (the top-level key it starts from).
  const std::string& top_key() const { return steps_.front().key; }

 private:
  // The container that holds the last step, or nullptr.
  Value* parent(Value& record) const;

  std::string text_;
  std::vector<Step> steps_;  // never empty; steps_[0] is always a key
};

}  // namespace sluice
