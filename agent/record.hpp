// Building and changing records (maps of Values) inside a chunk's arena.
#pragma once
#include <string_view>
#include <vector>

#include "agent/value.hpp"

namespace sluice {

// Collects members on a reusable scratch vector, then copies them into the
// arena once the size is known. Nested builders may share one scratch vector:
// each finish() takes only the members pushed since its own start.
class MapBuilder {
 public:
  MapBuilder(Arena& arena, std::vector<Member>& scratch)
      : arena_(arena), scratch_(scratch), start_(scratch.size()) {}
  void add(std::string_view key, Value v) { scratch_.push_back({key, v}); }
  // Adds or replaces (later keys win, as JSON parsers conventionally do).
  void set(std::string_view key, Value v);
  // Adds at the end, dropping an earlier member of that name: where Fluent
  // Bit's filters append a key the record has, its output holds it twice
  // and readers take the last, at the end; this is that record.
  void add_last(std::string_view key, Value v);
  size_t size() const { return scratch_.size() - start_; }
  Value finish();

 private:
  Arena& arena_;
  std::vector<Member>& scratch_;
  size_t start_;
};

// Changes to a map value. They reallocate the member array in the arena
// (records are small and filters change few keys, so no capacity is kept).
namespace record {

// Adds key or replaces its value.
void set(Value& map, Arena& arena, std::string_view key, Value v);
// Adds key only if absent; returns whether it was added.
bool add(Value& map, Arena& arena, std::string_view key, Value v);
// Removes key; returns whether it was present.
bool remove(Value& map, std::string_view key);
// Renames from → to; with overwrite a present `to` is removed first.
bool rename(Value& map, Arena& arena, std::string_view from, std::string_view to, bool overwrite);
// Copies v (and everything it points to) into arena.
Value deep_copy(const Value& v, Arena& arena);
// Copies a string into the arena and wraps it.
inline Value string(Arena& arena, std::string_view s) { return Value::string(arena.copy(s)); }
// An empty map.
inline Value empty_map() { return Value::map(nullptr, 0); }
// Structural equality (Int 1 and Double 1.0 are equal).
bool equal(const Value& a, const Value& b);
// Equal in every respect: kinds (Int 1 is not Double 1.0), a double's bits
// (-0.0 is not 0.0), strings' bytes, and the members' order. For checking
// that two readers of one text built the same record.
bool identical(const Value& a, const Value& b);

}  // namespace record
}  // namespace sluice
