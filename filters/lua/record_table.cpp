// Record ↔ Lua table conversion; see record_table.hpp. The other half of the
// LuaJIT wrapper: with record_shapes.cpp, the only files besides
// lua_state.cpp that speak the C API.
#include "filters/lua/record_table.hpp"

#include <algorithm>

#include <cmath>
#include <cstdio>
#include <cstring>

#include <luajit-2.1/lua.hpp>

#include "agent/record.hpp"

namespace sluice::lua {

namespace {

constexpr int kMaxDepth = 64;
// Longest array read back from a table with holes (a bound on what a script's
// stray integer key can make us allocate).
constexpr double kMaxSparseLength = 1 << 20;
constexpr uint32_t kNewKey = 1u << 30;  // the rank of every key the original record lacked
constexpr int64_t kNsPerSec = 1'000'000'000;

int absolute(lua_State* L, int index) {
  return (index < 0 && index > LUA_REGISTRYINDEX) ? lua_gettop(L) + index + 1 : index;
}

// Fluent Bit packs a Lua number as an integer when it has an integral value.
Value number_value(double d, bool force_int) {
  constexpr double kLimit = 9223372036854775807.0;  // 2^63
  if (force_int) {
    if (std::isfinite(d) && d >= -kLimit && d < kLimit) return Value::integer(static_cast<int64_t>(d));
    return Value::real(d);
  }
  if (d >= -kLimit && d < kLimit) {
    auto i = static_cast<int64_t>(d);
    if (static_cast<double>(i) == d) return Value::integer(i);
  }
  return Value::real(d);
}

// Keys of a map that aren't strings ({[1]="a", x=1}) become their text.
std::string_view key_text(lua_State* L, int index, char (&buf)[40]) {
  switch (lua_type(L, index)) {
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(L, index, &len);  // no conversion: safe inside lua_next
      return {s, len};
    }
    case LUA_TNUMBER: {
      Value v = number_value(lua_tonumber(L, index), false);
      int n = v.is_int() ? std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v.as_int()))
                         : std::snprintf(buf, sizeof buf, "%.17g", v.as_double());
      return {buf, static_cast<size_t>(n)};
    }
    case LUA_TBOOLEAN:
      return lua_toboolean(L, index) ? "true" : "false";
    default:
      return {};
  }
}

// Orders members_[start, end) (and their ranks): the original's keys in its
// order, then new keys by name (Lua tables have no order to keep, and a
// fixed one keeps output stable). Insertion sort: records are small and
// usually already in order.
void sort_by_rank(std::vector<Member>& members, std::vector<uint32_t>& ranks, size_t start) {
  auto before = [](const Member& a, uint32_t ra, const Member& b, uint32_t rb) {
    return ra != rb ? ra < rb : a.key < b.key;  // equal ranks: both new keys
  };
  for (size_t i = start + 1; i < members.size(); ++i) {
    Member m = members[i];
    uint32_t r = ranks[i];
    size_t j = i;
    while (j > start && before(m, r, members[j - 1], ranks[j - 1])) {
      members[j] = members[j - 1];
      ranks[j] = ranks[j - 1];
      --j;
    }
    members[j] = m;
    ranks[j] = r;
  }
}

}  // namespace

RecordTable::RecordTable(LuaState& lua, ConversionOptions options)
    : L_(lua.raw()), options_(std::move(options)) {
  lua_newtable(L_);
  key_cache_ref_ = luaL_ref(L_, LUA_REGISTRYINDEX);
}

void RecordTable::push_record(const Value& record) {
  if (!record.is_map()) {
    push_value(record, 0);
    return;
  }
  bool same = same_shape(record);
  push_top_map(record);
  last_pushed_ = record;
  if (same) ++shape_run_;
  else shape_changed(record);
}

// A record's own level, with its keys from the cache where they match.
void RecordTable::push_top_map(const Value& record) {
  auto members = record.members();
  lua_checkstack(L_, 6);
  lua_rawgeti(L_, LUA_REGISTRYINDEX, key_cache_ref_);
  int cache = lua_gettop(L_);
  lua_createtable(L_, 0, static_cast<int>(members.size()));
  if (cached_keys_.size() < members.size()) {
    cached_keys_.resize(members.size());
    cached_key_ptrs_.resize(members.size(), nullptr);
    cached_prints_.resize(members.size());
  }
  for (size_t i = 0; i < members.size(); ++i) {
    std::string_view key = members[i].key;
    if (cached_key_ptrs_[i] != nullptr && cached_prints_[i].matches(cached_keys_[i], key)) {
      lua_rawgeti(L_, cache, static_cast<int>(i + 1));
    } else {
      lua_pushlstring(L_, key.data(), key.size());
      lua_pushvalue(L_, -1);
      lua_rawseti(L_, cache, static_cast<int>(i + 1));
      key_addresses_valid_ = false;  // the addresses were of the old keys
      cached_keys_[i].assign(key);
      cached_prints_[i] = KeyPrint::of(key);
      cached_key_ptrs_[i] = lua_tostring(L_, -1);
    }
    push_value(members[i].value, 1);
    lua_rawset(L_, -3);
  }
  lua_remove(L_, cache);
}

void RecordTable::push_value(const Value& v, int depth) {
  switch (v.kind()) {
    case Kind::Null:
      if (options_.null_sentinel) lua_pushlightuserdata(L_, nullptr);
      else lua_pushnil(L_);
      return;
    case Kind::Bool: lua_pushboolean(L_, v.as_bool()); return;
    case Kind::Int: lua_pushnumber(L_, static_cast<double>(v.as_int())); return;
    case Kind::Double: lua_pushnumber(L_, v.as_double()); return;
    case Kind::String: {
      std::string_view s = v.as_string();
      lua_pushlstring(L_, s.data(), s.size());
      return;
    }
    default: break;
  }
  if (depth >= kMaxDepth) {  // records come from parsers with their own limits; never recurse unbounded
    lua_pushnil(L_);
    return;
  }
  lua_checkstack(L_, 4);  // a table, a key and a value per level of nesting
  if (v.is_array()) {
    auto items = v.items();
    lua_createtable(L_, static_cast<int>(items.size()), 0);
    for (size_t i = 0; i < items.size(); ++i) {
      push_value(items[i], depth + 1);
      lua_rawseti(L_, -2, static_cast<int>(i + 1));
    }
    return;
  }
  auto members = v.members();
  lua_createtable(L_, 0, static_cast<int>(members.size()));
  for (const Member& m : members) {
    lua_pushlstring(L_, m.key.data(), m.key.size());
    push_value(m.value, depth + 1);
    lua_rawset(L_, -3);
  }
}

void RecordTable::push_map(const Value& map) {
  if (map.is_map()) push_value(map, 0);
  else lua_createtable(L_, 0, 0);
}

void RecordTable::push_time(int64_t time_ns) {
  int64_t sec = time_ns / kNsPerSec, nsec = time_ns % kNsPerSec;
  if (nsec < 0) {
    nsec += kNsPerSec;
    --sec;
  }
  if (!options_.time_as_table) {
    lua_pushnumber(L_, static_cast<double>(sec) + static_cast<double>(nsec) / 1e9);
    return;
  }
  lua_createtable(L_, 0, 2);
  lua_pushnumber(L_, static_cast<double>(sec));
  lua_setfield(L_, -2, "sec");
  lua_pushnumber(L_, static_cast<double>(nsec));
  lua_setfield(L_, -2, "nsec");
}

LuaType RecordTable::type(int index) const {
  switch (lua_type(L_, index)) {
    case LUA_TNIL:
    case LUA_TNONE: return LuaType::Nil;
    case LUA_TBOOLEAN: return LuaType::Boolean;
    case LUA_TNUMBER: return LuaType::Number;
    case LUA_TSTRING: return LuaType::String;
    case LUA_TTABLE: return LuaType::Table;
    default: return LuaType::Other;
  }
}

std::optional<int64_t> RecordTable::read_time(int index, int64_t pushed_ns) const {
  double sec = 0, nsec = 0;
  if (lua_type(L_, index) == LUA_TNUMBER) {
    double d = lua_tonumber(L_, index);
    if (!std::isfinite(d)) return std::nullopt;
    // What push_time() gave the script: keep its nanoseconds.
    int64_t psec = pushed_ns / kNsPerSec, pnsec = pushed_ns % kNsPerSec;
    if (pnsec < 0) pnsec += kNsPerSec, --psec;
    if (d == static_cast<double>(psec) + static_cast<double>(pnsec) / 1e9) return pushed_ns;
    sec = std::floor(d);
    nsec = std::round((d - sec) * 1e9);
  } else if (lua_type(L_, index) == LUA_TTABLE) {
    lua_getfield(L_, index, "sec");
    lua_getfield(L_, index < 0 ? index - 1 : index, "nsec");
    bool ok = lua_type(L_, -2) == LUA_TNUMBER;
    sec = lua_tonumber(L_, -2);
    nsec = lua_type(L_, -1) == LUA_TNUMBER ? lua_tonumber(L_, -1) : 0;
    lua_pop(L_, 2);
    if (!ok || !std::isfinite(sec) || !std::isfinite(nsec)) return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (std::fabs(sec) > 9.2e9) return std::nullopt;  // beyond int64 nanoseconds
  return static_cast<int64_t>(sec) * kNsPerSec + static_cast<int64_t>(nsec);
}

std::optional<double> RecordTable::read_number(int index) const {
  if (lua_type(L_, index) != LUA_TNUMBER) return std::nullopt;
  return lua_tonumber(L_, index);
}

std::string_view RecordTable::read_string(int index) const {
  if (lua_type(L_, index) != LUA_TSTRING) return {};
  size_t len = 0;
  const char* s = lua_tolstring(L_, index, &len);
  return {s, len};
}

size_t RecordTable::array_length(int index) const {
  if (lua_type(L_, index) != LUA_TTABLE) return 0;
  index = absolute(L_, index);
  size_t n = lua_objlen(L_, index);
  if (n == 0) return 0;
  // The border says 1..n are present; it's an array only if nothing else is.
  size_t count = 0;
  lua_pushnil(L_);
  while (lua_next(L_, index) != 0) {
    lua_pop(L_, 1);
    if (lua_type(L_, -1) != LUA_TNUMBER) {
      lua_pop(L_, 1);
      return 0;
    }
    ++count;
  }
  return count == n ? n : 0;
}

size_t RecordTable::sparse_array_length(int index) const {
  if (lua_type(L_, index) != LUA_TTABLE) return 0;
  index = absolute(L_, index);
  size_t count = 0, highest = 0;
  lua_pushnil(L_);
  while (lua_next(L_, index) != 0) {
    lua_pop(L_, 1);
    double k = lua_type(L_, -1) == LUA_TNUMBER ? lua_tonumber(L_, -1) : 0;
    if (!(k >= 1 && k <= kMaxSparseLength && k == static_cast<double>(static_cast<size_t>(k)))) {
      lua_pop(L_, 1);
      return 0;
    }
    highest = std::max(highest, static_cast<size_t>(k));
    ++count;
  }
  // Holes are nulls; a table mostly made of holes is not an array someone meant.
  return highest <= 2 * count + 16 ? highest : 0;
}

bool RecordTable::empty_table(int index) const {
  if (lua_type(L_, index) != LUA_TTABLE) return false;
  index = absolute(L_, index);
  lua_pushnil(L_);
  if (lua_next(L_, index) == 0) return true;
  lua_pop(L_, 2);
  return false;
}

void RecordTable::push_item(int index, size_t i) { lua_rawgeti(L_, index, static_cast<int>(i)); }

std::string RecordTable::describe(int index) const {
  switch (lua_type(L_, index)) {
    case LUA_TNIL:
    case LUA_TNONE: return "nil";
    case LUA_TBOOLEAN: return "a boolean";
    case LUA_TNUMBER: return "a number";
    case LUA_TSTRING: return "a string";
    case LUA_TTABLE: return "a table";
    default: return std::string("a ") + lua_typename(L_, lua_type(L_, index));
  }
}

bool RecordTable::read_record(int index, Arena& arena, const Value* original, Value& out, std::string& error) {
  index = absolute(L_, index);
  if (lua_type(L_, index) != LUA_TTABLE) {
    error = "expected a table, got " + describe(index);
    return false;
  }
  error_.clear();
  if (original != nullptr) {
    Shaped shaped = read_shaped(index, arena, *original, out);
    if (shaped == Shaped::Read) return true;
    if (shaped == Shaped::Failed) {
      error = error_;
      return false;
    }
  }
  bool ok = read_map(index, arena, original, 0, out);
  if (!ok) error = error_;
  return ok;
}

bool RecordTable::is_int_key(std::string_view key) const {
  for (const auto& k : options_.int_keys)
    if (k == key) return true;
  return false;
}

bool RecordTable::is_array_key(std::string_view key) const {
  for (const auto& k : options_.array_keys)
    if (k == key) return true;
  return false;
}

bool RecordTable::read_value(int index, Arena& arena, const Value* original, std::string_view key, int depth,
                             Value& out) {
  switch (lua_type(L_, index)) {
    case LUA_TNUMBER:
      out = number_value(lua_tonumber(L_, index), !options_.int_keys.empty() && is_int_key(key));
      return true;
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(L_, index, &len);
      std::string_view text(s, len);
      // The script left the string as it was: point at the original's bytes.
      if (original != nullptr && original->is_string() && original->as_string() == text) out = *original;
      else out = record::string(arena, text);
      return true;
    }
    case LUA_TBOOLEAN: out = Value::boolean(lua_toboolean(L_, index) != 0); return true;
    case LUA_TTABLE: {
      if (depth >= kMaxDepth) {
        error_ = "a table nested deeper than " + std::to_string(kMaxDepth) + " levels (does it contain itself?)";
        return false;
      }
      size_t n = array_length(index);
      bool forced_array = n == 0 && !options_.array_keys.empty() && is_array_key(key) && empty_table(index);
      if (n > 0 || forced_array) return read_array(index, n, arena, original, depth, out);
      // What was an array stays one: [] (Lua can't tell it from {}).
      if (original != nullptr && original->is_array() && empty_table(index)) {
        out = Value::array(nullptr, 0);
        return true;
      }
      // Only positive integer keys, with holes: an array whose holes are
      // nulls, as Fluent Bit reads {1, nil, 3} ([1, null, "x"] whose null
      // became a hole, or a list a script built from values some of which
      // were nil). Mostly holes: a map ({[1000] = x} is not a list).
      if (size_t len = sparse_array_length(index); len > 0) return read_array(index, len, arena, original, depth, out);
      return read_map(index, arena, original, depth, out);
    }
    default:  // nil can't be a table value; flb_null, functions, userdata
      out = Value::null();
      return true;
  }
}

bool RecordTable::read_map(int index, Arena& arena, const Value* original, int depth, Value& out) {
  lua_checkstack(L_, 4);
  const Member* orig = original != nullptr && original->is_map() ? original->members().data() : nullptr;
  uint32_t orig_n = orig != nullptr ? original->size() : 0;
  size_t start = members_.size();
  MapBuilder builder(arena, members_);
  uint32_t hint = 0;
  // The record push_record() gave the script: its keys are the cached ones.
  bool by_pointer = depth == 0 && orig != nullptr && orig == last_pushed_.members().data() &&
                    orig_n == last_pushed_.size();
  char buf[40];
  lua_pushnil(L_);
  while (lua_next(L_, index) != 0) {
    bool string_key = lua_type(L_, -2) == LUA_TSTRING;
    std::string_view key = key_text(L_, -2, buf);
    if (key.data() == nullptr) {  // a table or function as a key: no record equivalent
      lua_pop(L_, 1);
      continue;
    }
    if (!Key::fits(key)) {
      error_ = "a key of " + std::to_string(key.size()) + " bytes (keys are at most " +
               std::to_string(Key::kMaxSize) + ")";
      lua_pop(L_, 2);
      members_.resize(start);
      ranks_.resize(start);
      return false;
    }
    // The original's key at or after the previous match: O(1) when the
    // order is unchanged, a scan of the (small) record otherwise.
    const Member* match = nullptr;
    for (uint32_t k = 0; k < orig_n; ++k) {
      uint32_t j = hint + k < orig_n ? hint + k : hint + k - orig_n;
      // Interned strings: the same text is the same pointer as the cached key.
      if (by_pointer ? string_key && key.data() == cached_key_ptrs_[j] : orig[j].key == key) {
        match = &orig[j];
        hint = j + 1 == orig_n ? 0 : j + 1;
        break;
      }
    }
    Value v;
    if (!read_value(lua_gettop(L_), arena, match ? &match->value : nullptr, key, depth + 1, v)) {
      lua_pop(L_, 2);
      members_.resize(start);
      ranks_.resize(start);
      return false;
    }
    std::string_view stored = match ? match->key.view() : arena.copy(key);
    if (string_key) {
      builder.add(stored, v);
      ranks_.push_back(match ? static_cast<uint32_t>(match - orig) : kNewKey);
    } else if (size_t before = builder.size(); builder.set(stored, v), builder.size() > before) {
      ranks_.push_back(match ? static_cast<uint32_t>(match - orig) : kNewKey);
    }
    lua_pop(L_, 1);
  }
  sort_by_rank(members_, ranks_, start);
  ranks_.resize(start);
  out = builder.finish();
  return true;
}

bool RecordTable::read_array(int index, size_t n, Arena& arena, const Value* original, int depth, Value& out) {
  lua_checkstack(L_, 4);
  size_t start = items_.size();
  const Value* orig = original != nullptr && original->is_array() ? original->items().data() : nullptr;
  size_t orig_n = orig != nullptr ? original->size() : 0;
  for (size_t i = 1; i <= n; ++i) {
    lua_rawgeti(L_, index, static_cast<int>(i));
    Value v;
    bool ok = read_value(lua_gettop(L_), arena, i <= orig_n ? &orig[i - 1] : nullptr, {}, depth + 1, v);
    lua_pop(L_, 1);
    if (!ok) {
      items_.resize(start);
      return false;
    }
    items_.push_back(v);
  }
  Value* stored = arena.allocate_array<Value>(n);
  std::copy(items_.begin() + static_cast<ptrdiff_t>(start), items_.end(), stored);
  items_.resize(start);
  out = Value::array(stored, static_cast<uint32_t>(n));
  return true;
}

}  // namespace sluice::lua
