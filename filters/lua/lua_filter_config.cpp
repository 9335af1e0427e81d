// The lua filter's schema and config loading; see lua_filter_config.hpp.
#include "filters/lua/lua_filter_config.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/host_name.hpp"
#include "agent/log.hpp"
#include "filters/lua/lua_filter.hpp"

namespace sluice {

namespace {

using namespace std::chrono_literals;

// "a b, c" or a YAML list: Fluent Bit separates these keys with spaces.
std::vector<std::string> words(const std::vector<std::string>& entries) {
  std::vector<std::string> out;
  for (const auto& entry : entries) {
    std::string word;
    for (char c : entry + " ") {
      if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
        if (!word.empty()) out.push_back(std::move(word));
        word.clear();
      } else {
        word += c;
      }
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> params(const config::ComponentConfig& cfg) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& text : cfg.get_list("param")) {
    size_t name_end = text.find_first_of(" \t");
    size_t value_start = name_end == std::string::npos ? std::string::npos : text.find_first_not_of(" \t", name_end);
    if (name_end == 0 || value_start == std::string::npos)
      cfg.fail("param", "expected 'NAME VALUE' (a name, a space, the value), got '" + text + "'");
    std::string value = text.substr(value_start);
    value.erase(value.find_last_not_of(" \t") + 1);
    out.emplace_back(text.substr(0, name_end), value);
  }
  return out;
}

lua::ScriptSource source(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  bool has_script = !cfg.get_string("script").empty(), has_code = !cfg.get_string("code").empty();
  if (has_script == has_code)
    cfg.fail(has_code ? "code" : "script", "set either script (a Lua file) or code (inline Lua), one of the two");
  lua::ScriptSource src;
  src.params = params(cfg);
  // FLB_ENV, as Fluent Bit's: the configuration's env: section (@SET), with
  // HOSTNAME preset when the environment has none; empty values left out.
  if (ctx.env != nullptr)
    for (const auto& [name, value] : *ctx.env)
      if (!value.empty()) src.env.emplace_back(name, value);
  if (std::getenv("HOSTNAME") == nullptr && (ctx.env == nullptr || ctx.env->count("HOSTNAME") == 0))
    src.env.emplace_back("HOSTNAME", host_name());
  if (has_code) {
    src.code = cfg.get_string("code");
    src.chunk_name = "=[code]";
    return src;
  }
  std::filesystem::path path = cfg.get_string("script");
  if (path.is_relative() && !ctx.base_dir.empty()) path = std::filesystem::path(ctx.base_dir) / path;
  std::ifstream in(path, std::ios::binary);
  if (!in) cfg.fail("script", "cannot read the script '" + path.string() + "': " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  src.code = text.str();
  src.chunk_name = "@" + path.lexically_normal().string();
  return src;
}

int function(const config::ComponentConfig& cfg, lua::LuaScript& script, const char* key) {
  std::string name = cfg.get_string(key);
  if (name.empty()) return lua::LuaState::kNoRef;
  int ref = script.function(name);
  if (ref == lua::LuaState::kNoRef) cfg.fail(key, "the script defines no global function '" + name + "'");
  return ref;
}

}  // namespace

const config::PluginSchema& lua_filter_schema() {
  using config::KeyType;
  static const config::PluginSchema schema{
      "lua",
      "Runs a Lua (LuaJIT) function on each record with Fluent Bit's contract: "
      "cb(tag, timestamp, record) returns code, timestamp, record; code -1 drops the record, 0 keeps it, "
      "1 replaces timestamp and record, 2 replaces the record only; a table of records splits it into several. "
      "sluice adds timer_call and flush_call for scripts that hold records (see lua/trace_aggregate.lua).",
      {
          // name, type, default, description, required, secret, choices
          {"script", KeyType::String, "", "Lua script file; a relative path starts at the config file's directory."},
          {"code", KeyType::String, "", "Inline Lua code, instead of script."},
          {"call", KeyType::String, "", "Global function called for each record: cb(tag, timestamp, record).", true},
          {"protected_mode", KeyType::Bool, "on",
           "Accepted as in Fluent Bit; sluice always calls protected: an error keeps the record, is counted "
           "(sluice_filter_lua_errors_total) and logged with its traceback."},
          {"time_as_table", KeyType::Bool, "off",
           "Pass timestamps as {sec=, nsec=} instead of seconds as a double (which keeps ~0.2 µs)."},
          {"type_int_key", KeyType::List, "",
           "Keys whose numbers become integers (separated by spaces or commas). Integral numbers become "
           "integers anyway."},
          {"type_array_key", KeyType::List, "", "Keys whose empty table becomes [] rather than {}."},
          {"enable_flb_null", KeyType::Bool, "off",
           "Pass null values as the sentinel flb_null instead of nil (which removes the key); flb_null "
           "returned by the script becomes null."},
          {"timer_call", KeyType::String, "",
           "sluice only: a function fn(now) called every timer_interval; it returns nil or an array of records "
           "(or {tag, timestamp, record} triples) sent on after this filter."},
          {"timer_interval", KeyType::Duration, "1s", "How often timer_call runs."},
          {"flush_call", KeyType::String, "",
           "sluice only: a function fn(now) called once at shutdown; returns records as timer_call does."},
          {"emit_tag", KeyType::String, "",
           "Tag of records timer_call/flush_call return without one; default: the last tag the filter saw."},
          {"param", KeyType::Multi, "",
           "NAME VALUE: a setting for the script, readable as sluice_params.NAME (a string); repeat for several."},
          {"ack_hold", KeyType::Duration, "",
           "With timer_call or flush_call: how long input positions stay uncommitted after their lines reached "
           "the script, so lines it holds are read again after a crash. Must exceed the longest time the script "
           "holds a line. Default 2 x timer_interval + 30s; 0 turns holding off."},
      }};
  return schema;
}

LoadedScript load_lua_filter_config(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  LoadedScript out;
  LuaFilterConfig& c = out.config;
  c.call = cfg.get_string("call");
  if (c.call.empty()) cfg.fail("call", "must name the function to call for each record");
  c.timer_call = cfg.get_string("timer_call");
  c.flush_call = cfg.get_string("flush_call");
  c.emit_tag = cfg.get_string("emit_tag");
  auto interval = cfg.get_duration("timer_interval");
  if (interval <= 0ns) cfg.fail("timer_interval", "expected a duration above 0, e.g. 1s");

  lua::ConversionOptions options;
  options.int_keys = words(cfg.get_list("type_int_key"));
  options.array_keys = words(cfg.get_list("type_array_key"));
  options.null_sentinel = cfg.get_bool("enable_flb_null");
  options.time_as_table = cfg.get_bool("time_as_table");
  if (!cfg.get_bool("protected_mode"))
    log::info("{}: protected_mode off is accepted, but sluice always runs Lua protected", cfg.display_name());

  bool has_code = !cfg.get_string("code").empty();
  lua::ScriptSource src = source(cfg, ctx);
  auto loaded = lua::LuaScript::load(src, std::move(options));
  if (auto* error = std::get_if<lua::LuaError>(&loaded))
    cfg.fail(has_code ? "code" : "script", "the Lua script failed to load: " + error->message);
  out.script = std::move(std::get<std::unique_ptr<lua::LuaScript>>(loaded));
  out.functions.record = function(cfg, *out.script, "call");
  if (out.functions.record != lua::LuaState::kNoRef)
    out.functions.record_takes_metadata = out.script->takes_metadata(out.functions.record);
  out.functions.timer = function(cfg, *out.script, "timer_call");
  out.functions.flush = function(cfg, *out.script, "flush_call");

  bool stateful = !c.timer_call.empty() || !c.flush_call.empty();
  c.ack_hold = !stateful             ? 0ns
               : cfg.has("ack_hold") ? cfg.get_duration("ack_hold")
                                     : 2 * interval + std::chrono::nanoseconds(30s);
  if (c.ack_hold < 0ns) cfg.fail("ack_hold", "expected a duration of 0 or more");
  // Held acks expire at the timer's ticks: timer_interval, or often enough for the window.
  c.tick = !c.timer_call.empty() ? interval : std::clamp<std::chrono::nanoseconds>(c.ack_hold / 8, 10ms, 5s);
  return out;
}

}  // namespace sluice
