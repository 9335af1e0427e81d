// Records ↔ Lua tables, the hot path of the lua filter: tables are built
// pre-sized straight from the record (or by a constructor compiled for the
// record's shape, record_shapes.cpp), and tables are read back straight into
// the chunk's arena (no JSON in between, scratch vectors reused).
#pragma once
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/arena.hpp"
#include "agent/value.hpp"
#include "filters/lua/lua_state.hpp"

namespace sluice::lua {

// Fluent Bit's conversion settings of its lua filter.
struct ConversionOptions {
  std::vector<std::string> int_keys;    // type_int_key: numbers under these keys become integers
  std::vector<std::string> array_keys;  // type_array_key: an empty table under these keys is [] not {}
  bool null_sentinel = false;           // enable_flb_null: null ↔ flb_null instead of nil (key removed)
  bool time_as_table = false;           // timestamps as {sec=, nsec=} instead of a double
};

enum class LuaType { Nil, Boolean, Number, String, Table, Other };

// A key's size and first and last 8 bytes, read with loads that never go
// past the key: equal prints are equal keys up to 16 bytes (longer ones
// compare their middle too). The keys of one stream's records compare in a
// few instructions each, without a memcmp call.
struct KeyPrint {
  static KeyPrint of(std::string_view key) {
    const char* p = key.data();
    size_t n = key.size();
    KeyPrint k;
    k.size = n;
    if (n >= 8) {
      k.head = load(p, 8);
      k.tail = load(p + n - 8, 8);
    } else if (n >= 4) {
      k.head = load(p, 4) | (load(p + n - 4, 4) << 32);
    } else {
      for (size_t i = 0; i < n; ++i) k.head |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
    }
    return k;
  }
  // Whether key is the key this print was made of (cached, its text).
  bool matches(const std::string& cached, std::string_view key) const {
    KeyPrint k = of(key);
    if (k.size != size || k.head != head || k.tail != tail) return false;
    return size <= 16 || std::memcmp(cached.data() + 8, key.data() + 8, size - 16) == 0;
  }

  uint64_t head = 0;
  uint64_t tail = 0;
  size_t size = 0;

 private:
  static uint64_t load(const char* p, size_t bytes) {  // bytes: 4 or 8
    uint64_t v = 0;
    std::memcpy(&v, p, bytes);
    return v;
  }
};

// Converts on one LuaState; keeps scratch between calls. Pipeline thread.
//
// Lua → record rules (Fluent Bit's): a nested table whose keys are all
// positive integers is an array, its holes nulls (unless it is mostly holes:
// then a map), any other table a map (an empty one a map unless
// type_array_key says otherwise or it was an array); at the top level, keys
// exactly 1..n are a list of records to split into; a number with an integral value in int64 range is an
// integer, other numbers doubles; flb_null (with null_sentinel) and values
// with no record equivalent (functions, userdata) are null. Map keys come
// back in the order of the original record where it had them, new keys
// after; strings equal to the original's are not copied again.
class RecordTable {
 public:
  RecordTable(LuaState& lua, ConversionOptions options);

  const ConversionOptions& options() const { return options_; }

  // Pushes a record (a map Value) as a table.
  void push_record(const Value& record);

  // A new chunk's records follow: addresses of the last one's keys say
  // nothing about them (its arena may be gone and its memory reused).
  void new_chunk() { key_addresses_valid_ = false; }

  // A record callback fn(args..., record), the hot path, in two steps:
  // begin_call() pushes what to call, the caller pushes its `prefix`
  // arguments, push_record_args() pushes the record and says how many
  // values that took. For a record shaped like the stream's recent ones
  // (the same top-level keys in the same order), what is called is a
  // trampoline compiled for that shape, tramp(fn, args..., v1..vn), which
  // builds the table with a table constructor and tail-calls fn: LuaJIT
  // copies the constructor's template, keys already laid out, so no key is
  // hashed or inserted per record. Any other record is pushed as a table
  // and fn is called directly. The script sees the same table either way.
  void begin_call(int fn_ref, const Value& record, int prefix);
  // Returns the number of values pushed, and whether begin_call pushed a
  // trampoline (its fn argument then comes first: one more argument).
  int push_record_args(const Value& record, bool& through_trampoline);
  // Pushes a map Value as a table, an empty one for anything else (null:
  // no metadata). Leaves the record caches alone.
  void push_map(const Value& map);
  // Pushes a timestamp: seconds as a double, or {sec=, nsec=}.
  void push_time(int64_t time_ns);

  LuaType type(int index) const;
  // Reads a timestamp (a number of seconds or {sec=, nsec=}). pushed_ns is
  // what push_time() was given: a number equal to what was pushed returns it
  // exactly, so an unchanged timestamp loses no precision.
  std::optional<int64_t> read_time(int index, int64_t pushed_ns) const;
  std::optional<double> read_number(int index) const;
  std::string_view read_string(int index) const;  // valid while the value is on the stack
  // n > 0 if the value at index is a table whose keys are exactly 1..n, else 0.
  size_t array_length(int index) const;
  // True if the value at index is a table with no keys at all.
  bool empty_table(int index) const;
  // Its length as an array when its keys are all positive integers (holes
  // allowed: nils the script left or set; at most about half holes), else 0.
  size_t sparse_array_length(int index) const;
  // Pushes t[i] of the table at index (1-based, raw access).
  void push_item(int index, size_t i);

  // Converts the table at index into a map in arena. original (may be null)
  // gives key order and strings to reuse. Returns false with error set when
  // the table can't be a record (nested too deep, e.g. a cycle).
  bool read_record(int index, Arena& arena, const Value* original, Value& out, std::string& error);

  // What a value is, for error messages: "a string", "nil", ...
  std::string describe(int index) const;

 private:
  void push_value(const Value& v, int depth);
  void push_top_map(const Value& record);
  bool read_value(int index, Arena& arena, const Value* original, std::string_view key, int depth, Value& out);
  bool read_map(int index, Arena& arena, const Value* original, int depth, Value& out);
  bool read_array(int index, size_t n, Arena& arena, const Value* original, int depth, Value& out);
  bool is_int_key(std::string_view key) const;
  bool is_array_key(std::string_view key) const;
  bool same_shape(const Value& record);
  void shape_changed(const Value& record);
  int trampoline(int prefix);
  int compile(int slot, const std::string& source);
  enum class Shaped { Read, NotShaped, Failed };
  Shaped read_shaped(int index, Arena& arena, const Value& original, Value& out);

  lua_State* L_;
  ConversionOptions options_;
  // The top-level keys of the last record pushed, as C++ text and as Lua
  // strings (a table in the registry keeps them alive, so their addresses
  // are stable). Records of one stream share their keys: pushing a cached
  // key is an array read instead of interning the text again, and reading
  // back a key is a pointer comparison instead of a string comparison.
  int key_cache_ref_;
  std::vector<std::string> cached_keys_;
  std::vector<const char*> cached_key_ptrs_;
  std::vector<KeyPrint> cached_prints_;
  Value last_pushed_;  // the record whose keys the cache holds
  // Where the keys of the last record found to have the current shape lie:
  // while the chunk lasts, the same addresses hold the same text.
  std::vector<const char*> key_addresses_;
  bool key_addresses_valid_ = false;

  // Trampolines (see begin_call), by shape; the current shape's are the
  // ones in use. A shape gets one after kShapeRunBeforeCompile records in
  // a row (compiling costs tens of µs: not for shapes that flicker).
  struct Shape {
    std::string signature;     // the keys, each after its length
    int refs[3];               // registry refs: constructors for 2 and 4 prefix arguments, the reader (kNoRef until compiled)
    uint32_t reader_misses;    // tables the reader found of another shape, in a row
  };
  size_t shape_size_ = 0;      // keys of the current shape (those cached_keys_ holds); 0: none
  uint32_t shape_run_ = 0;     // records of the current shape in a row
  int shape_index_ = -1;       // in shapes_, or -1 when the current shape has no entry yet
  std::vector<Shape> shapes_;  // at most kMaxShapes
  size_t next_evict_ = 0;
  bool fast_ = false;          // what begin_call decided for the record being pushed

  std::vector<Member> members_;   // MapBuilder scratch, shared by nested maps
  std::vector<uint32_t> ranks_;   // parallel to members_: position in the original map
  std::vector<Value> items_;      // array scratch, shared by nested arrays
  std::string error_;
};

}  // namespace sluice::lua
