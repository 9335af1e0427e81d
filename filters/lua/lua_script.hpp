// A loaded Lua script and its functions, called with Fluent Bit's lua filter
// contract: cb(tag, timestamp, record) → code, timestamp, record (or the
// five-argument form with group and metadata), and
// sluice's emitter functions (timer_call, flush_call) that return records.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "agent/chunk.hpp"
#include "filters/lua/lua_state.hpp"
#include "filters/lua/record_table.hpp"

namespace sluice::lua {

struct ScriptSource {
  std::string code;        // the script's text
  std::string chunk_name;  // "@/etc/sluice/x.lua" (errors say "/etc/sluice/x.lua:LINE:") or "=[code]"
  std::vector<std::pair<std::string, std::string>> params;  // the global table sluice_params
  std::vector<std::pair<std::string, std::string>> env;     // the global table FLB_ENV
};

// What a call came to; error says what went wrong (a Lua error, with its
// traceback, or a return value of the wrong type).
enum class Outcome { Kept, Dropped, Replaced, Failed };

struct CallResult {
  Outcome outcome = Outcome::Kept;
  LuaError error;  // when Failed
};

// Pipeline (main) thread only: one state per filter instance.
class LuaScript {
 public:
  // Loads the script (its top level runs once); a LuaError with Lua's
  // "file:line: message" if it doesn't compile or fails while running.
  static std::variant<std::unique_ptr<LuaScript>, LuaError> load(const ScriptSource& source,
                                                                 ConversionOptions options);

  // A function the script defines, to call later; LuaState::kNoRef if none.
  int function(const std::string& name) { return lua_.function_ref(name); }

  // Fluent Bit 4's form of a record callback: cb(tag, timestamp, group,
  // metadata, record) → code, timestamp, metadata, record. Fluent Bit picks it
  // for functions declaring five parameters or more; so does sluice.
  bool takes_metadata(int ref) { return lua_.function_params(ref) >= 5; }

  // Runs the record callback on one event. Replaced: the new event(s) were
  // appended to out (a table of records splits into several); otherwise
  // nothing was appended and the caller keeps or drops the event.
  // out_metadata: the five-argument form (Fluent Bit 4's), called with the
  // event's metadata (a map; null or nullptr: none, an empty table) and
  // empty group attributes (sluice has no groups); on Replaced, the new
  // events' metadata, one Value each, were appended to *out_metadata.
  CallResult call_record(int ref, const std::string& tag, const Event& event, Arena& arena, std::vector<Event>& out,
                         std::vector<Value>* out_metadata = nullptr, const Value* metadata = nullptr);

  // Runs an emitter function fn(now): it returns nil or an array whose items
  // are records (tag default_tag, time now) or {tag, timestamp, record}
  // triples. Appends chunks to out, one per run of records with one tag.
  CallResult call_emitter(int ref, int64_t now_ns, const std::string& default_tag, std::vector<ChunkPtr>& out);

  // Call before the records of each chunk (see RecordTable::new_chunk).
  void new_chunk() { table_.new_chunk(); }

  size_t memory_bytes() const { return lua_.memory_bytes(); }
  void pace_collector() { lua_.pace_collector(); }

 private:
  explicit LuaScript(ConversionOptions options) : table_(lua_, std::move(options)) {}
  CallResult replace(int code, int time_index, int record_index, const Event& event, Arena& arena,
                     std::vector<Event>& out);
  void push_group(const Value* metadata);
  CallResult replaced_metadata(int index, size_t records, const Value* original, Arena& arena,
                               std::vector<Value>& out);
  CallResult emitted_item(int index, int64_t now_ns, const std::string& default_tag, std::vector<ChunkPtr>& out);

  LuaState lua_;
  RecordTable table_;
};

}  // namespace sluice::lua
