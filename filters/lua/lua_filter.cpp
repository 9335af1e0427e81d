// The `lua` filter; see lua_filter.hpp and lua_filter_config.cpp for its keys.
#include "filters/lua/lua_filter.hpp"

#include <chrono>
#include <string>
#include <vector>

#include "agent/asio.hpp"
#include "agent/log.hpp"
#include "filters/lua/lua_acks.hpp"
#include "filters/lua/lua_filter_config.hpp"
#include "filters/lua/lua_script.hpp"

namespace sluice {

namespace {

using lua::CallResult;
using lua::Outcome;

int64_t realtime_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Runs on the main thread (the pipeline's filter chain); its timer runs on
// the same io_context, so the Lua state is never touched concurrently.
class LuaFilter final : public Filter {
 public:
  LuaFilter(LuaFilterConfig config, std::unique_ptr<lua::LuaScript> script, LuaFunctions fns)
      : config_(std::move(config)), script_(std::move(script)), fns_(fns), hold_(config_.ack_hold) {}

  void start(FilterContext& ctx) override {
    ctx_ = &ctx;
    instance_ = ctx.instance();
    errors_ = &ctx.metrics().counter("sluice_filter_lua_errors_total", "filter", instance_, false,
                                    "Calls of the Lua function that raised an error (the record is kept).");
    dropped_ = &ctx.metrics().counter("sluice_filter_records_dropped_total", "filter", instance_, false,
                                     "Records the filter dropped on purpose.");
    emitted_ = &ctx.metrics().counter("sluice_filter_lua_emitted_total", "filter", instance_, false,
                                     "Records the Lua script emitted later (from a timer or at flush).");
    if (fns_.timer != lua::LuaState::kNoRef || hold_.enabled()) {
      timer_ = std::make_unique<boost::asio::steady_timer>(ctx.io());
      // timer_call runs every timer_interval, idle or not; without it the
      // timer only ages held acks, so it waits for the first one (filter()).
      if (fns_.timer != lua::LuaState::kNoRef) arm_timer();
    }
  }

  void filter(Chunk& chunk) override {
    if (last_tag_ != chunk.tag) last_tag_ = chunk.tag;
    out_.clear();
    out_.reserve(chunk.events.size());
    // Metadata (agent/chunk.hpp) is kept aligned only where there is some
    // or a five-argument callback may set it.
    bool metadata = fns_.record_takes_metadata || !chunk.metadata.empty();
    out_metadata_.clear();
    script_->new_chunk();
    uint64_t dropped = 0;
    for (size_t i = 0; i < chunk.events.size(); ++i) {
      const Event& event = chunk.events[i];
      const Value* meta = chunk.metadata_of(i);
      CallResult r = script_->call_record(fns_.record, chunk.tag, event, chunk.arena, out_,
                                          fns_.record_takes_metadata ? &out_metadata_ : nullptr, meta);
      switch (r.outcome) {
        case Outcome::Kept: out_.push_back(event); break;
        case Outcome::Dropped: ++dropped; break;
        case Outcome::Replaced: break;
        case Outcome::Failed:
          out_.push_back(event);
          report(config_.call, r, "record kept as it came");
          break;
      }
      // Kept records keep theirs; a three-argument callback's new records
      // inherit the one they came from (a five-argument one's set theirs).
      if (metadata) out_metadata_.resize(out_.size(), meta != nullptr ? *meta : Value());
    }
    chunk.events.swap(out_);
    script_->pace_collector();
    bool any = false;
    for (const Value& m : out_metadata_) any = any || (m.is_map() && m.size() > 0);
    if (any) chunk.metadata.swap(out_metadata_);
    else chunk.metadata.clear();
    if (dropped > 0) dropped_->add(dropped);
    if (hold_.enabled() && !flushed_) {
      auto now = lua::AckHold::Clock::now();
      hold_.hold(chunk.acks, now);
      hold_.attach(chunk);
      if (timer_ && !timer_armed_ && hold_.segments() > 0) arm_timer();
    }
  }

  void flush() override {
    if (flushed_) return;
    flushed_ = true;
    if (timer_) timer_->cancel();
    if (fns_.flush != lua::LuaState::kNoRef) emit_from(fns_.flush, config_.flush_call);
    hold_.release_all();
  }

 private:
  void arm_timer() {
    timer_armed_ = true;
    timer_->expires_after(config_.tick);
    timer_->async_wait([this](const boost::system::error_code& ec) {
      timer_armed_ = false;
      if (ec || flushed_) return;
      log::Scope scope(ctx_->log_level());  // a handler of its own: the filter's log_level
      if (fns_.timer != lua::LuaState::kNoRef) emit_from(fns_.timer, config_.timer_call);
      hold_.expire(lua::AckHold::Clock::now());
      // Nothing held and no timer_call: sleep until filter() holds an ack.
      if (fns_.timer != lua::LuaState::kNoRef || hold_.segments() > 0) arm_timer();
    });
  }

  // Runs a timer or flush function and sends what it returns on, after this filter.
  void emit_from(int ref, const std::string& function) {
    if (ctx_ == nullptr) return;  // never started: nothing to send through
    const std::string& tag = !config_.emit_tag.empty() ? config_.emit_tag : !last_tag_.empty() ? last_tag_ : kNoTag;
    std::vector<ChunkPtr> chunks;
    CallResult r = script_->call_emitter(ref, realtime_ns(), tag, chunks);
    // Records built before a bad item are already out of the script's hands: send them.
    if (r.outcome == Outcome::Failed) report(function, r, "records it returned before the error are sent on");
    for (ChunkPtr& chunk : chunks) {
      if (chunk->events.empty()) continue;
      emitted_->add(chunk->events.size());
      hold_.attach(*chunk);
      ctx_->emit(std::move(chunk));
    }
  }

  void report(const std::string& function, const CallResult& r, std::string_view consequence) {
    errors_->add();
    if (uint64_t n = error_log_.hit()) {
      log::warn("filter lua ({}): function '{}' failed: {}; {} ({} errors so far){}{}", instance_, function,
                r.error.message, consequence, n, r.error.traceback.empty() ? "" : "\n", r.error.traceback);
    }
  }

  static inline const std::string kNoTag = "lua";

  LuaFilterConfig config_;
  std::unique_ptr<lua::LuaScript> script_;
  LuaFunctions fns_;
  lua::AckHold hold_;
  FilterContext* ctx_ = nullptr;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  bool timer_armed_ = false;
  bool flushed_ = false;
  std::string last_tag_;
  std::vector<Event> out_;  // the chunk's next events; swapped with it, so its capacity is reused
  std::vector<Value> out_metadata_;  // their metadata, the same way
  Counter fallback_;
  Counter* errors_ = &fallback_;  // until start() hands out the real ones
  Counter* dropped_ = &fallback_;
  Counter* emitted_ = &fallback_;
  std::string instance_ = "lua";
  log::RateLimit error_log_{1000};
};

}  // namespace

std::unique_ptr<Filter> make_lua_filter(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  LoadedScript loaded = load_lua_filter_config(cfg, ctx);
  return std::make_unique<LuaFilter>(std::move(loaded.config), std::move(loaded.script), loaded.functions);
}

}  // namespace sluice
