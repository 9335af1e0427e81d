// Record building and mutation helpers; see record.hpp.
#include "agent/record.hpp"

#include <algorithm>
#include <cstring>

namespace sluice {

void MapBuilder::set(std::string_view key, Value v) {
  for (size_t i = start_; i < scratch_.size(); ++i) {
    if (scratch_[i].key == key) {
      scratch_[i].value = v;
      return;
    }
  }
  scratch_.push_back({key, v});
}

void MapBuilder::add_last(std::string_view key, Value v) {
  for (size_t i = start_; i < scratch_.size(); ++i) {
    if (scratch_[i].key == key) {
      scratch_.erase(scratch_.begin() + static_cast<ptrdiff_t>(i));
      break;
    }
  }
  scratch_.push_back({key, v});
}

Value MapBuilder::finish() {
  size_t n = scratch_.size() - start_;
  Member* members = arena_.allocate_array<Member>(n);
  std::copy(scratch_.begin() + static_cast<ptrdiff_t>(start_), scratch_.end(), members);
  scratch_.resize(start_);
  return Value::map(members, static_cast<uint32_t>(n));
}

namespace record {

namespace {
void append(Value& map, Arena& arena, std::string_view key, Value v) {
  uint32_t n = map.size();
  Member* members = arena.allocate_array<Member>(n + 1);
  if (n > 0) std::memcpy(static_cast<void*>(members), map.members().data(), n * sizeof(Member));
  members[n] = {key, v};
  map = Value::map(members, n + 1);
}
}  // namespace

void set(Value& map, Arena& arena, std::string_view key, Value v) {
  if (Value* existing = map.find(key)) {
    *existing = v;
    return;
  }
  append(map, arena, key, v);
}

bool add(Value& map, Arena& arena, std::string_view key, Value v) {
  if (map.find(key) != nullptr) return false;
  append(map, arena, key, v);
  return true;
}

bool remove(Value& map, std::string_view key) {
  if (!map.is_map()) return false;
  auto members = map.members();
  for (uint32_t i = 0; i < members.size(); ++i) {
    if (members[i].key == key) {
      std::memmove(static_cast<void*>(&members[i]), &members[i + 1], (members.size() - i - 1) * sizeof(Member));
      map = Value::map(members.data(), static_cast<uint32_t>(members.size() - 1));
      return true;
    }
  }
  return false;
}

bool rename(Value& map, Arena& arena, std::string_view from, std::string_view to, bool overwrite) {
  if (!map.is_map() || map.find(from) == nullptr) return false;
  if (from == to) return true;
  if (map.find(to) != nullptr) {
    if (!overwrite) return false;
    remove(map, to);
  }
  for (auto& m : map.members()) {
    if (m.key == from) {
      m.key = arena.copy(to);
      return true;
    }
  }
  return false;
}

Value deep_copy(const Value& v, Arena& arena) {
  switch (v.kind()) {
    case Kind::String:
      return Value::string(arena.copy(v.as_string()));
    case Kind::Array: {
      Value* items = arena.allocate_array<Value>(v.size());
      for (uint32_t i = 0; i < v.size(); ++i) items[i] = deep_copy(v.items()[i], arena);
      return Value::array(items, v.size());
    }
    case Kind::Map: {
      Member* members = arena.allocate_array<Member>(v.size());
      for (uint32_t i = 0; i < v.size(); ++i) {
        members[i].key = arena.copy(v.members()[i].key);
        members[i].value = deep_copy(v.members()[i].value, arena);
      }
      return Value::map(members, v.size());
    }
    default:
      return v;
  }
}

bool identical(const Value& a, const Value& b) {
  if (a.kind() != b.kind() || a.size() != b.size()) return false;
  switch (a.kind()) {
    case Kind::Null: return true;
    case Kind::Bool: return a.as_bool() == b.as_bool();
    case Kind::Int: return a.as_int() == b.as_int();
    case Kind::Double: {
      const double x = a.as_double(), y = b.as_double();
      return std::memcmp(&x, &y, sizeof x) == 0;
    }
    case Kind::String: return a.as_string() == b.as_string();
    case Kind::Array:
      for (uint32_t i = 0; i < a.size(); ++i)
        if (!identical(a.items()[i], b.items()[i])) return false;
      return true;
    case Kind::Map:
      for (uint32_t i = 0; i < a.size(); ++i)
        if (a.members()[i].key.view() != b.members()[i].key.view() ||
            !identical(a.members()[i].value, b.members()[i].value))
          return false;
      return true;
  }
  return false;
}

bool equal(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_int() && b.is_int()) return a.as_int() == b.as_int();
    return a.as_double() == b.as_double();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::Null: return true;
    case Kind::Bool: return a.as_bool() == b.as_bool();
    case Kind::String: return a.as_string() == b.as_string();
    case Kind::Array:
      if (a.size() != b.size()) return false;
      for (uint32_t i = 0; i < a.size(); ++i)
        if (!equal(a.items()[i], b.items()[i])) return false;
      return true;
    case Kind::Map:
      if (a.size() != b.size()) return false;
      for (const auto& m : a.members()) {
        const Value* other = b.find(m.key);
        if (other == nullptr || !equal(m.value, *other)) return false;
      }
      return true;
    default: return false;
  }
}

}  // namespace record
}  // namespace sluice
