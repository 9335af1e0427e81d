// The lua filter's settings: its schema, and turning a validated config into
// a loaded script with its functions resolved (all config errors surface
// here, at load and at --dry-run).
#pragma once
#include <chrono>
#include <memory>
#include <string>

#include "agent/filter.hpp"
#include "filters/lua/lua_script.hpp"

namespace sluice {

struct LuaFilterConfig {
  std::string call;        // the record callback
  std::string timer_call;  // "" = none
  std::string flush_call;  // "" = none
  std::chrono::nanoseconds tick{};      // timer period: timer_interval, or how often held acks expire
  std::chrono::nanoseconds ack_hold{};  // 0 = acks are not held (a stateless script)
  std::string emit_tag;                 // tag of emitted records without their own; "" = the last tag seen
};

// Registry references of the script's functions (LuaState::kNoRef if unset).
struct LuaFunctions {
  int record = lua::LuaState::kNoRef;
  int timer = lua::LuaState::kNoRef;
  int flush = lua::LuaState::kNoRef;
  bool record_takes_metadata = false;  // `call` is cb(tag, ts, group, metadata, record)
};

struct LoadedScript {
  LuaFilterConfig config;
  std::unique_ptr<lua::LuaScript> script;
  LuaFunctions functions;
};

// Throws config::ConfigError.
LoadedScript load_lua_filter_config(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
