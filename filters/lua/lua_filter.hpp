// The `lua` filter: runs a Lua script with Fluent Bit's callback contract
// (cb(tag, timestamp, record) → code, timestamp, record) on every record, plus
// sluice's timer and shutdown-flush callbacks for stateful scripts.
#pragma once
#include <memory>

#include "agent/filter.hpp"

namespace sluice {

const config::PluginSchema& lua_filter_schema();
// Throws config::ConfigError: neither or both of script/code, a script that
// fails to load (naming its file and line), a missing function.
std::unique_ptr<Filter> make_lua_filter(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
