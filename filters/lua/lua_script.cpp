// LuaScript: Fluent Bit's callback contract on top of the LuaJIT wrapper; see lua_script.hpp.
#include "filters/lua/lua_script.hpp"

namespace sluice::lua {

namespace {

CallResult failure(std::string message) { return {Outcome::Failed, LuaError{std::move(message), {}}}; }

}  // namespace

std::variant<std::unique_ptr<LuaScript>, LuaError> LuaScript::load(const ScriptSource& source,
                                                                   ConversionOptions options) {
  std::unique_ptr<LuaScript> script(new LuaScript(std::move(options)));
  LuaState& lua = script->lua_;
  lua.set_string_table("sluice_params", source.params);
  lua.set_string_table("FLB_ENV", source.env);
  lua.define_clock("sluice_now");
  lua.define_null("flb_null");
  if (auto error = lua.run(source.code, source.chunk_name)) return *error;
  return script;
}

CallResult LuaScript::call_record(int ref, const std::string& tag, const Event& event, Arena& arena,
                                  std::vector<Event>& out, std::vector<Value>* out_metadata, const Value* metadata) {
  StackGuard guard(lua_);
  bool with_metadata = out_metadata != nullptr;
  int prefix = with_metadata ? 4 : 2;
  table_.begin_call(ref, event.record, prefix);
  lua_.push_repeated_string(tag);
  table_.push_time(event.time_ns);
  if (with_metadata) {
    push_group(metadata);
    table_.push_map(metadata != nullptr ? *metadata : Value());
  }
  bool through_trampoline = false;
  int nargs = prefix + table_.push_record_args(event.record, through_trampoline);
  int results = with_metadata ? 4 : 3;
  if (auto error = lua_.call(nargs + (through_trampoline ? 1 : 0), results)) return {Outcome::Failed, std::move(*error)};
  int base = lua_.top() - (results - 1);
  int record_index = base + results - 1;
  std::optional<double> code = table_.read_number(base);
  if (!code) {
    return failure("returned " + table_.describe(base) +
                   " as its first value; expected a code (-1 drop, 0 keep, 1 new timestamp and record, "
                   "2 new record)");
  }
  if (*code == -1) return {Outcome::Dropped, {}};
  if (*code == 0) return {Outcome::Kept, {}};
  if (with_metadata) {
    LuaType meta = table_.type(base + 2);
    if (meta != LuaType::Table && meta != LuaType::Nil)
      return failure("returned " + table_.describe(base + 2) + " as its metadata; expected a table");
  }
  if (*code != 1 && *code != 2)
    return failure("returned code " + std::to_string(*code) + "; expected -1 (drop), 0 (keep), 1 or 2 (replace)");
  size_t first = out.size();
  CallResult r = replace(static_cast<int>(*code), base + 1, record_index, event, arena, out);
  if (r.outcome != Outcome::Replaced || !with_metadata) return r;
  r = replaced_metadata(base + 2, out.size() - first, metadata, arena, *out_metadata);
  if (r.outcome == Outcome::Failed) out.resize(first);
  return r;
}

// The `group` argument: Fluent Bit passes an OpenTelemetry log's group
// attributes, {resource = ..., scope = ...}. sluice has no groups; the
// opentelemetry input keeps both in each log's metadata (otlp.resource,
// otlp.scope), and they are passed from there. Other records: an empty table.
void LuaScript::push_group(const Value* metadata) {
  const Value* otlp = metadata != nullptr ? metadata->find("otlp") : nullptr;
  if (otlp == nullptr || !otlp->is_map()) return lua_.push_empty_table();
  Member members[2];
  uint32_t n = 0;
  for (std::string_view key : {"resource", "scope"})
    if (const Value* v = otlp->find(key)) members[n++] = Member{Key(key), *v};
  table_.push_map(Value::map(members, n));
}

// Fluent Bit's rules for the metadata a five-argument callback returns with
// its record(s): nil keeps the record's own; a table is every new record's
// metadata, unless it is an array of as many tables as there are records
// (a split), one each.
CallResult LuaScript::replaced_metadata(int index, size_t records, const Value* original, Arena& arena,
                                        std::vector<Value>& out) {
  Value same = original != nullptr ? *original : Value();
  if (table_.type(index) == LuaType::Nil) {
    out.insert(out.end(), records, same);
    return {Outcome::Replaced, {}};
  }
  std::string error;
  size_t n = table_.array_length(index);
  if (n == 0) {
    if (!table_.read_record(index, arena, original, same, error)) return failure("returned metadata: " + error);
    out.insert(out.end(), records, same);
    return {Outcome::Replaced, {}};
  }
  if (n != records) {
    return failure("returned " + std::to_string(records) + " record(s) with an array of " + std::to_string(n) +
                   " as metadata; expected one metadata table per record, or one table for all");
  }
  size_t first = out.size();
  for (size_t i = 1; i <= n; ++i) {
    StackGuard item_guard(lua_);
    table_.push_item(index, i);
    Value item;
    if (table_.type(-1) == LuaType::Table && !table_.read_record(-1, arena, original, item, error)) {
      out.resize(first);
      return failure("returned metadata whose item " + std::to_string(i) + " is not a map: " + error);
    }
    out.push_back(item);
  }
  return {Outcome::Replaced, {}};
}

CallResult LuaScript::replace(int code, int time_index, int record_index, const Event& event, Arena& arena,
                              std::vector<Event>& out) {
  int64_t time_ns = event.time_ns;
  if (code == 1) {
    std::optional<int64_t> t = table_.read_time(time_index, event.time_ns);
    if (!t) {
      return failure("returned code 1 with " + table_.describe(time_index) +
                     " as its timestamp; expected seconds (a number) or {sec=, nsec=}");
    }
    time_ns = *t;
  }
  int rec = record_index;
  if (table_.type(rec) != LuaType::Table) {
    return failure("returned code " + std::to_string(code) + " with " + table_.describe(rec) +
                   " as its record; expected a table (a record, or an array of records to split into)");
  }
  std::string error;
  size_t n = table_.array_length(rec);
  if (n == 0) {
    Value record;
    if (!table_.read_record(rec, arena, &event.record, record, error)) return failure("returned a record: " + error);
    out.push_back(Event{time_ns, record});
    return {Outcome::Replaced, {}};
  }
  size_t first = out.size();
  for (size_t i = 1; i <= n; ++i) {
    StackGuard item_guard(lua_);
    table_.push_item(rec, i);
    Value record;
    if (!table_.read_record(-1, arena, &event.record, record, error)) {
      out.resize(first);
      return failure("returned an array of records whose item " + std::to_string(i) + " is not a record: " + error);
    }
    out.push_back(Event{time_ns, record});
  }
  return {Outcome::Replaced, {}};
}

CallResult LuaScript::call_emitter(int ref, int64_t now_ns, const std::string& default_tag,
                                   std::vector<ChunkPtr>& out) {
  StackGuard guard(lua_);
  lua_.push_function(ref);
  table_.push_time(now_ns);
  if (auto error = lua_.call(1, 1)) return {Outcome::Failed, std::move(*error)};
  int list = lua_.top();
  if (table_.type(list) == LuaType::Nil) return {Outcome::Kept, {}};
  size_t n = table_.array_length(list);
  // An empty table is an empty list; a map (one record, not in a list) is a mistake worth naming.
  if (table_.type(list) != LuaType::Table || (n == 0 && !table_.empty_table(list))) {
    return failure("returned " + table_.describe(list) +
                   "; expected nil or an array of records or of {tag, timestamp, record} triples");
  }
  for (size_t i = 1; i <= n; ++i) {
    StackGuard item_guard(lua_);
    table_.push_item(list, i);
    CallResult r = emitted_item(lua_.top(), now_ns, default_tag, out);
    if (r.outcome == Outcome::Failed) {
      r.error.message = "returned an array whose item " + std::to_string(i) + " " + r.error.message;
      return r;
    }
  }
  return {Outcome::Replaced, {}};
}

// One item of an emitter's list: a record, or a {tag, timestamp, record} triple.
CallResult LuaScript::emitted_item(int index, int64_t now_ns, const std::string& default_tag,
                                   std::vector<ChunkPtr>& out) {
  if (table_.type(index) != LuaType::Table) return failure("is " + table_.describe(index) + ", not a table");
  std::string tag = default_tag;
  int64_t time_ns = now_ns;
  int record = index;
  if (table_.array_length(index) == 3) {
    table_.push_item(index, 1);
    table_.push_item(index, 2);
    table_.push_item(index, 3);
    int top = lua_.top();
    if (table_.type(top - 2) != LuaType::String || table_.type(top) != LuaType::Table)
      return failure("is an array of 3 but not a {tag, timestamp, record} triple");
    tag = std::string(table_.read_string(top - 2));
    std::optional<int64_t> t = table_.read_time(top - 1, now_ns);
    if (!t) return failure("has " + table_.describe(top - 1) + " as its timestamp; expected seconds or {sec=, nsec=}");
    time_ns = *t;
    record = top;
  }
  if (out.empty() || out.back()->tag != tag) out.push_back(std::make_unique<Chunk>(tag));
  Chunk& chunk = *out.back();
  Value value;
  std::string error;
  if (!table_.read_record(record, chunk.arena, nullptr, value, error)) return failure("is not a record: " + error);
  chunk.events.push_back(Event{time_ns, value});
  return {Outcome::Replaced, {}};
}

}  // namespace sluice::lua
