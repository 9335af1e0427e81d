// The one thin wrapper around LuaJIT's C API: an owned lua_State, script
// loading, and protected calls whose errors come back as values with a
// traceback. Only this file's .cpp, record_table.cpp and record_shapes.cpp
// (the record ↔ table conversion, the other half of the wrapper) include the
// C API headers.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct lua_State;

namespace sluice::lua {

class SlabAllocator;

// A Lua error as a value: "script.lua:12: attempt to index a nil value" and
// the Lua stack at the time ("stack traceback:\n\t...").
struct LuaError {
  std::string message;
  std::string traceback;
};

// Owns one lua_State with the standard libraries open. Not thread-safe: used
// by one filter instance on the pipeline (main) thread.
//
// Stack layout: slot 1 always holds the traceback handler that call() uses,
// so a caller's stack starts at 2 and set_top() never goes below 1.
class LuaState {
 public:
  static constexpr int kNoRef = -2;  // LUA_NOREF

  LuaState();
  ~LuaState();
  LuaState(const LuaState&) = delete;
  LuaState& operator=(const LuaState&) = delete;

  // Compiles and runs a script's top level. chunk_name is what error
  // messages call it: "@path/to/file.lua" gives "path/to/file.lua:LINE: ...".
  std::optional<LuaError> run(std::string_view code, const std::string& chunk_name);
  // A registry reference to the global function `name`, or kNoRef if the
  // global is not a function.
  int function_ref(const std::string& name);
  // A global table of strings: name = {key = value, ...}.
  void set_string_table(const char* name, const std::vector<std::pair<std::string, std::string>>& entries);
  // A global function returning the wall-clock time in seconds (a double
  // with sub-second precision), for scripts that measure idle time.
  void define_clock(const char* name);
  // A global holding a light userdata NULL, Fluent Bit's `flb_null`.
  void define_null(const char* name);

  // A call: push_function(ref), push the arguments, call(nargs, nresults).
  // The results (exactly nresults, padded with nil) are on the stack on
  // success; on error nothing is left of the call.
  void push_function(int ref);
  // How many named parameters the function `ref` declares (debug.getinfo's
  // nparams, which LuaJIT provides); 0 when unknown.
  int function_params(int ref);
  // Pushes an empty table.
  void push_empty_table();
  void push_string(std::string_view s);
  // The same, for a string that rarely changes (a chunk's tag): the Lua
  // string is kept in the registry and reused while s stays the same.
  void push_repeated_string(std::string_view s);
  void push_number(double d);
  std::optional<LuaError> call(int nargs, int nresults);

  int top() const;
  void set_top(int index);  // clamped to keep the traceback handler
  // Memory the Lua heap uses, in bytes.
  size_t memory_bytes() const;
  // Collector pacing for record filters (after the script's top level ran):
  // a heap under 8 MB may grow to 4x its live data between collections
  // instead of Lua's 2x, so the tables and strings every record makes are
  // swept half as often for the same garbage; a bigger heap gets Lua's
  // default back. A script that set its own pause (collectgarbage
  // "setpause") keeps it. Cheap: call it after every chunk.
  void pace_collector();
  // For record_table.cpp and record_shapes.cpp, the conversion half of this wrapper.
  lua_State* raw() const { return L_; }

 private:
  std::unique_ptr<SlabAllocator> allocator_;  // before L_: the state's memory outlives it
  lua_State* L_;
  std::string repeated_;        // the string behind repeated_ref_
  int pause_ = 200;             // the pause pace_collector() last set (Lua's default at start); -1: the script's own
  int repeated_ref_ = kNoRef;
};

// Restores the stack height when a scope ends, whatever was pushed meanwhile.
class StackGuard {
 public:
  explicit StackGuard(LuaState& lua) : lua_(lua), top_(lua.top()) {}
  ~StackGuard() { lua_.set_top(top_); }
  StackGuard(const StackGuard&) = delete;
  StackGuard& operator=(const StackGuard&) = delete;

 private:
  LuaState& lua_;
  int top_;
};

}  // namespace sluice::lua
