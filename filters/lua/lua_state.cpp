// LuaState: the RAII owner of a lua_State; see lua_state.hpp.
#include "filters/lua/lua_state.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <luajit-2.1/lua.hpp>

#include "filters/lua/lua_allocator.hpp"

namespace sluice::lua {

namespace {

constexpr int kHandlerSlot = 1;
constexpr std::string_view kTracebackMarker = "\nstack traceback:";

// The message handler of every protected call: adds the Lua stack to the
// error while the failing frame still exists.
int traceback_handler(lua_State* L) {
  const char* msg = lua_tostring(L, 1);
  if (msg == nullptr) {
    // error({...}) or error(nil): say what was thrown.
    lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    msg = lua_tostring(L, -1);
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

// Errors outside any protected call (memory exhaustion while converting a
// record): nothing sensible can continue, so say why and stop.
int panic_handler(lua_State* L) {
  const char* msg = lua_tostring(L, -1);
  std::fprintf(stderr, "sluice: fatal LuaJIT error outside a protected call: %s\n", msg ? msg : "(no message)");
  std::abort();
}

int clock_now(lua_State* L) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch()).count();
  lua_pushnumber(L, static_cast<double>(ns) / 1e9);
  return 1;
}

// Pops the handler's string and splits it into message and traceback.
LuaError pop_error(lua_State* L) {
  size_t len = 0;
  const char* s = lua_tolstring(L, -1, &len);
  std::string text = s ? std::string(s, len) : std::string("(error without a message)");
  lua_pop(L, 1);
  LuaError e;
  size_t at = text.find(kTracebackMarker);
  if (at == std::string::npos) {
    e.message = std::move(text);
  } else {
    e.message = text.substr(0, at);
    e.traceback = text.substr(at + 1);
  }
  return e;
}

}  // namespace

// The state's memory comes from a SlabAllocator (lua_allocator.hpp). A
// LuaJIT built without GC64 refuses custom allocators (lua_newstate returns
// null on 64-bit targets): it keeps its own.
LuaState::LuaState()
    : allocator_(std::make_unique<SlabAllocator>()), L_(lua_newstate(&SlabAllocator::lua_alloc, allocator_.get())) {
  if (L_ == nullptr) L_ = luaL_newstate();
  if (L_ == nullptr) {
    std::fprintf(stderr, "sluice: LuaJIT could not create a state (out of memory)\n");
    std::abort();
  }
  lua_atpanic(L_, panic_handler);
  luaL_openlibs(L_);
  lua_pushcfunction(L_, traceback_handler);  // slot kHandlerSlot, kept for every call
}

LuaState::~LuaState() { lua_close(L_); }

std::optional<LuaError> LuaState::run(std::string_view code, const std::string& chunk_name) {
  if (luaL_loadbuffer(L_, code.data(), code.size(), chunk_name.c_str()) != 0) return pop_error(L_);
  return call(0, 0);
}

int LuaState::function_params(int ref) {
  int top = lua_gettop(L_);
  int params = 0;
  lua_getglobal(L_, "debug");
  if (lua_istable(L_, -1)) {
    lua_getfield(L_, -1, "getinfo");
    if (lua_isfunction(L_, -1)) {
      lua_rawgeti(L_, LUA_REGISTRYINDEX, ref);
      lua_pushstring(L_, "u");
      if (lua_pcall(L_, 2, 1, 0) == 0 && lua_istable(L_, -1)) {
        lua_getfield(L_, -1, "nparams");
        if (lua_isnumber(L_, -1)) params = static_cast<int>(lua_tointeger(L_, -1));
      }
    }
  }
  lua_settop(L_, top);
  return params;
}

void LuaState::push_empty_table() { lua_createtable(L_, 0, 0); }

int LuaState::function_ref(const std::string& name) {
  lua_getglobal(L_, name.c_str());
  if (!lua_isfunction(L_, -1)) {
    lua_pop(L_, 1);
    return kNoRef;
  }
  return luaL_ref(L_, LUA_REGISTRYINDEX);
}

void LuaState::set_string_table(const char* name, const std::vector<std::pair<std::string, std::string>>& entries) {
  lua_createtable(L_, 0, static_cast<int>(entries.size()));
  for (const auto& [key, value] : entries) {
    lua_pushlstring(L_, key.data(), key.size());
    lua_pushlstring(L_, value.data(), value.size());
    lua_rawset(L_, -3);
  }
  lua_setglobal(L_, name);
}

void LuaState::define_clock(const char* name) {
  lua_pushcfunction(L_, clock_now);
  lua_setglobal(L_, name);
}

void LuaState::define_null(const char* name) {
  lua_pushlightuserdata(L_, nullptr);
  lua_setglobal(L_, name);
}

void LuaState::push_function(int ref) { lua_rawgeti(L_, LUA_REGISTRYINDEX, ref); }
void LuaState::push_string(std::string_view s) { lua_pushlstring(L_, s.data(), s.size()); }
void LuaState::push_number(double d) { lua_pushnumber(L_, d); }

void LuaState::push_repeated_string(std::string_view s) {
  if (repeated_ref_ != kNoRef && s == repeated_) {
    lua_rawgeti(L_, LUA_REGISTRYINDEX, repeated_ref_);
    return;
  }
  luaL_unref(L_, LUA_REGISTRYINDEX, repeated_ref_);
  lua_pushlstring(L_, s.data(), s.size());
  lua_pushvalue(L_, -1);
  repeated_ref_ = luaL_ref(L_, LUA_REGISTRYINDEX);
  repeated_.assign(s);
}

std::optional<LuaError> LuaState::call(int nargs, int nresults) {
  if (lua_pcall(L_, nargs, nresults, kHandlerSlot) != 0) return pop_error(L_);
  return std::nullopt;
}

int LuaState::top() const { return lua_gettop(L_); }
void LuaState::set_top(int index) { lua_settop(L_, index < kHandlerSlot ? kHandlerSlot : index); }

void LuaState::pace_collector() {
  constexpr int kDefaultPause = 200, kSmallHeapPause = 400;
  constexpr int kSmallHeapKb = 8 * 1024;
  if (pause_ < 0) return;
  int want = lua_gc(L_, LUA_GCCOUNT, 0) < kSmallHeapKb ? kSmallHeapPause : kDefaultPause;
  if (want == pause_) return;
  int before = lua_gc(L_, LUA_GCSETPAUSE, want);
  if (before != pause_) {  // the script chose its own: give it back
    lua_gc(L_, LUA_GCSETPAUSE, before);
    pause_ = -1;
    return;
  }
  pause_ = want;
}

size_t LuaState::memory_bytes() const {
  return static_cast<size_t>(lua_gc(L_, LUA_GCCOUNT, 0)) * 1024 + static_cast<size_t>(lua_gc(L_, LUA_GCCOUNTB, 0));
}

}  // namespace sluice::lua
