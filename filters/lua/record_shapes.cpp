// The fast path of the record ↔ table conversion (see begin_call and
// read_record in record_table.hpp): per record shape, a compiled table
// constructor the script is called through, and a compiled reader of the
// tables returned for it.
#include <cctype>
#include <cstdio>
#include <cstring>

#include <luajit-2.1/lua.hpp>

#include "agent/record.hpp"
#include "filters/lua/record_table.hpp"

namespace sluice::lua {

namespace {

// Trampolines: at most this many keys (a Lua function has at most 200
// locals, its parameters among them), compiled after this many records of
// one shape in a row, for at most this many shapes.
constexpr size_t kMaxTrampolineKeys = 150;
constexpr uint32_t kShapeRunBeforeCompile = 16;
constexpr size_t kMaxShapes = 16;
constexpr int kCompileFailed = -1;  // LUA_REFNIL: never compiled again
constexpr uint32_t kReaderMisses = 16;

// A shape's signature: each key with its length before it (keys may hold any byte).
void append_signature(std::string& out, std::string_view key) {
  auto n = static_cast<uint32_t>(key.size());
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  out.append(key);
}

// A key as a Lua string literal: printable bytes as they are, the rest
// (and quotes, backslashes) as three-digit decimal escapes.
void append_lua_literal(std::string& out, std::string_view key) {
  out += '"';
  for (unsigned char c : key) {
    if (std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == ' ' || c == ':' || c == '/' || c == '@') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03u", static_cast<unsigned>(c));
      out += buf;
    }
  }
  out += '"';
}

}  // namespace

void RecordTable::begin_call(int fn_ref, const Value& record, int prefix) {
  fast_ = false;
  if (same_shape(record)) {
    ++shape_run_;
    int ref = trampoline(prefix);
    if (ref != LuaState::kNoRef) {
      lua_checkstack(L_, static_cast<int>(shape_size_) + prefix + 8);
      lua_rawgeti(L_, LUA_REGISTRYINDEX, ref);
      fast_ = true;
    }
  }
  lua_rawgeti(L_, LUA_REGISTRYINDEX, fn_ref);
}

int RecordTable::push_record_args(const Value& record, bool& through_trampoline) {
  through_trampoline = fast_;
  if (!fast_) {
    // begin_call counted the record if it had the shape; count it once.
    if (record.is_map() && same_shape(record)) {
      push_top_map(record);
      last_pushed_ = record;
    } else {
      push_record(record);
    }
    return 1;
  }
  fast_ = false;
  for (const Member& m : record.members()) {
    // The scalars a log line is made of, without push_value's call.
    const Value& v = m.value;
    switch (v.kind()) {
      case Kind::String: {
        std::string_view s = v.as_string();
        lua_pushlstring(L_, s.data(), s.size());
        break;
      }
      case Kind::Int: lua_pushnumber(L_, static_cast<double>(v.as_int())); break;
      case Kind::Double: lua_pushnumber(L_, v.as_double()); break;
      default: push_value(v, 1); break;
    }
  }
  last_pushed_ = record;
  return static_cast<int>(shape_size_);
}

bool RecordTable::same_shape(const Value& record) {
  if (!record.is_map() || record.size() != shape_size_ || shape_size_ == 0) return false;
  auto members = record.members();
  // Within a chunk, a parser hands the lines of one stream the same key
  // text (agent/parse/json_format.cpp, SharedFields): keys at the
  // addresses the last matching record had are its keys.
  if (key_addresses_valid_ && key_addresses_.size() == members.size()) {
    size_t i = 0;
    while (i < members.size() && members[i].key.data() == key_addresses_[i] &&
           members[i].key.size() == cached_keys_[i].size())
      ++i;
    if (i == members.size()) return true;
  }
  for (size_t i = 0; i < members.size(); ++i)
    if (!cached_prints_[i].matches(cached_keys_[i], members[i].key)) return false;
  key_addresses_.resize(members.size());
  for (size_t i = 0; i < members.size(); ++i) key_addresses_[i] = members[i].key.data();
  key_addresses_valid_ = true;
  return true;
}

// The cache now holds a new shape's keys (push_top_map put them there):
// start counting it, and find its trampolines if it had some.
void RecordTable::shape_changed(const Value& record) {
  key_addresses_valid_ = false;  // they were of a record of another shape
  shape_size_ = record.size();
  shape_run_ = 1;
  shape_index_ = -1;
  if (shapes_.empty()) return;
  std::string signature;
  for (const Member& m : record.members()) append_signature(signature, m.key.view());
  for (size_t i = 0; i < shapes_.size(); ++i)
    if (shapes_[i].signature == signature) shape_index_ = static_cast<int>(i);
}

// The current shape's trampoline for `prefix` arguments before the record
// (2 or 4), compiled when the shape has lasted; kNoRef when there is none.
int RecordTable::trampoline(int prefix) {
  int slot = prefix == 2 ? 0 : 1;
  if (shape_index_ >= 0) {
    int ref = shapes_[shape_index_].refs[slot];
    if (ref == kCompileFailed) return LuaState::kNoRef;
    if (ref != LuaState::kNoRef) return ref;
  }
  if (shape_run_ < kShapeRunBeforeCompile || shape_size_ > kMaxTrampolineKeys) return LuaState::kNoRef;
  if (shape_index_ < 0) {
    Shape shape{{}, {LuaState::kNoRef, LuaState::kNoRef, LuaState::kNoRef}, 0};
    for (size_t i = 0; i < shape_size_; ++i) append_signature(shape.signature, cached_keys_[i]);
    if (shapes_.size() < kMaxShapes) {
      shapes_.push_back(std::move(shape));
      shape_index_ = static_cast<int>(shapes_.size() - 1);
    } else {
      shape_index_ = static_cast<int>(next_evict_);
      next_evict_ = (next_evict_ + 1) % kMaxShapes;
      for (int ref : shapes_[shape_index_].refs) luaL_unref(L_, LUA_REGISTRYINDEX, ref);
      shapes_[shape_index_] = std::move(shape);
    }
  }
  // return function(f, a1, a2, v1, v2, ...) return f(a1, a2, {["k1"] = v1, ["k2"] = v2, ...}) end
  std::string args, src = "return function(f";
  for (int i = 1; i <= prefix; ++i) args += (i > 1 ? ", a" : "a") + std::to_string(i);
  src += ", " + args;
  for (size_t i = 1; i <= shape_size_; ++i) src += ", v" + std::to_string(i);
  src += ") return f(" + args + ", {";
  for (size_t i = 0; i < shape_size_; ++i) {
    src += '[';
    append_lua_literal(src, cached_keys_[i]);
    src += "] = v" + std::to_string(i + 1) + ", ";
  }
  src += "}) end";
  return compile(slot, src);
}

// Compiles a function for the current shape (a chunk returning it) into
// slot; kNoRef if it doesn't compile (then never again for this shape).
int RecordTable::compile(int slot, const std::string& source) {
  int& ref = shapes_[shape_index_].refs[slot];
  if (luaL_loadbuffer(L_, source.data(), source.size(), "=sluice record shape") != 0 || lua_pcall(L_, 0, 1, 0) != 0) {
    lua_pop(L_, 1);  // the error message
    ref = kCompileFailed;
    return LuaState::kNoRef;
  }
  ref = luaL_ref(L_, LUA_REGISTRYINDEX);
  return ref;
}

// A table returned for the record just pushed, read back by a reader
// compiled for the record's shape: it counts the table's keys and returns
// the shape's values, so keys needn't be walked and matched one by one
// from C. NotShaped: the table has other keys (or a metatable), read it
// the general way.
RecordTable::Shaped RecordTable::read_shaped(int index, Arena& arena, const Value& original, Value& out) {
  if (shape_index_ < 0 || original.size() != shape_size_ || original.members().data() != last_pushed_.members().data())
    return Shaped::NotShaped;
  Shape& shape = shapes_[shape_index_];
  int ref = shape.refs[2];
  // Tables of other shapes (a split into new records) would pay the reader
  // for nothing: after kReaderMisses of them in a row it stops trying.
  if (ref == kCompileFailed || shape.reader_misses >= kReaderMisses) return Shaped::NotShaped;
  if (ref == LuaState::kNoRef) {
    // return function(t) if getmetatable(t) then return -1 end
    //   local n = 0 for _ in pairs(t) do n = n + 1 end return n, rawget(t, "k1"), ... end
    std::string src =
        "local getmetatable, pairs, rawget = getmetatable, pairs, rawget\n"
        "return function(t) if getmetatable(t) ~= nil then return -1 end "
        "local n = 0 for _ in pairs(t) do n = n + 1 end return n";
    for (size_t i = 0; i < shape_size_; ++i) {
      src += ", rawget(t, ";
      append_lua_literal(src, cached_keys_[i]);
      src += ')';
    }
    src += " end";
    ref = compile(2, src);
    if (ref == LuaState::kNoRef) return Shaped::NotShaped;
  }
  int n = static_cast<int>(shape_size_);
  lua_checkstack(L_, n + 4);
  int top = lua_gettop(L_);
  lua_rawgeti(L_, LUA_REGISTRYINDEX, ref);
  lua_pushvalue(L_, index);
  if (lua_pcall(L_, 1, n + 1, 0) != 0) {
    lua_settop(L_, top);
    return Shaped::NotShaped;
  }
  double keys = lua_tonumber(L_, top + 1);
  const Member* orig = original.members().data();
  size_t start = members_.size();
  MapBuilder builder(arena, members_);
  int present = 0;
  for (int i = 0; i < n; ++i) {
    int at = top + 2 + i;
    if (lua_type(L_, at) == LUA_TNIL) continue;  // the script removed the key
    ++present;
    Value v;
    if (!read_value(at, arena, &orig[i].value, orig[i].key.view(), 1, v)) {
      members_.resize(start);
      lua_settop(L_, top);
      return Shaped::Failed;
    }
    builder.add(orig[i].key.view(), v);
  }
  lua_settop(L_, top);
  if (static_cast<int>(keys) != present) {  // keys the shape doesn't have, or a metatable
    members_.resize(start);
    ++shape.reader_misses;
    return Shaped::NotShaped;
  }
  shape.reader_misses = 0;
  out = builder.finish();
  return Shaped::Read;
}

}  // namespace sluice::lua
