// The `multiline` filter; see multiline_filter.hpp and multiline_filter_config.cpp.
#include "filters/multiline/multiline_filter.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "agent/asio.hpp"
#include "agent/log.hpp"
#include "agent/parse/multiline_stream.hpp"
#include "agent/record.hpp"
#include "filters/multiline/multiline_filter_config.hpp"

namespace sluice {

namespace {

using Clock = std::chrono::steady_clock;

// Appends joined records to a chunk's events, in its arena; the chunk takes
// the acknowledgements the records held, so their input positions commit
// only once this chunk is delivered.
class ChunkSink final : public MultilineSink {
 public:
  ChunkSink(Chunk& chunk, std::vector<Event>& out, Counter& joined, Counter& cuts, bool debug)
      : chunk_(chunk), out_(out), joined_(joined), cuts_(cuts), debug_(debug) {}

  void joined(MultilineRecord& r) override {
    Arena& arena = chunk_.arena;
    Value text = record::string(arena, r.text);
    Value rec;
    if (r.first != nullptr) {
      rec = record::deep_copy(*r.first, arena);
      if (!r.key.empty()) record::set(rec, arena, arena.copy(r.key), text);
    } else {
      auto* m = arena.allocate_array<Member>(1);
      m[0] = Member{arena.copy(r.key.empty() ? std::string_view("log") : r.key), text};
      rec = Value::map(m, 1);
    }
    out_.push_back({r.time_ns, rec});
    for (auto& a : *r.acks) chunk_.acks.push_back(std::move(a));
    if (r.lines > 1) joined_.add();
    if (r.cut) cuts_.add();
    if (debug_) log::debug("multiline: {} lines joined into one record of {} bytes", r.lines, r.text.size());
  }

 private:
  Chunk& chunk_;
  std::vector<Event>& out_;
  Counter& joined_;
  Counter& cuts_;
  bool debug_;
};

// Runs on the main thread (the pipeline's filter chain); its timer runs on
// the same io_context. One MultilineStream per tag, as Fluent Bit keeps one
// per input and tag.
class MultilineFilter final : public Filter {
 public:
  MultilineFilter(MultilineFilterConfig cfg, bool debug) : cfg_(std::move(cfg)), debug_(debug) {}
  ~MultilineFilter() override { *alive_ = false; }

  void start(FilterContext& ctx) override {
    ctx_ = &ctx;
    auto counters = multiline_counters(ctx);
    joined_ = counters.joined;
    cuts_ = counters.cuts;
    timer_ = std::make_unique<boost::asio::steady_timer>(ctx.io());
  }

  void filter(Chunk& chunk) override {
    if (chunk.events.empty()) return;
    Clock::time_point now = Clock::now();
    std::vector<Event> in = std::move(chunk.events);
    chunk.events.clear();
    chunk.metadata.clear();  // a joined record is several records: Lua metadata doesn't carry over
    chunk.events.reserve(in.size());
    ChunkSink sink(chunk, chunk.events, counter(joined_), counter(cuts_), debug_);
    MultilineStream& stream = stream_for(chunk.tag);
    uint64_t batch = ++batches_;
    // The acks the chunk came with: copied, as joined records move theirs into chunk.acks.
    std::vector<AckRef> acks = chunk.acks;
    for (const Event& e : in) {
      MultilineLine line;
      line.record = &e.record;
      line.time_ns = e.time_ns;
      line.acks = &acks;
      line.batch = batch;
      if (!stream.offer(line, sink, now)) chunk.events.push_back(e);
    }
    if (!cfg_.buffer || held_bytes() > cfg_.mem_buf_limit) {
      if (cfg_.buffer) counter(cuts_).add();
      stream.flush_all(sink);
    }
    arm();
  }

  void flush() override {
    if (flushed_) return;
    flushed_ = true;
    if (timer_) timer_->cancel();
    for (auto& [tag, stream] : streams_) emit(tag, *stream, nullptr);
  }

 private:
  static Counter& counter(Counter* c) {
    static Counter fallback;
    return c != nullptr ? *c : fallback;
  }

  MultilineStream& stream_for(const std::string& tag) {
    auto& s = streams_[tag];
    if (!s) {
      MultilineStream::Settings settings;
      settings.key_override = cfg_.key_content;
      settings.flush_timeout = cfg_.flush_ms;
      s = std::make_unique<MultilineStream>(cfg_.parsers, std::move(settings));
    }
    return *s;
  }

  size_t held_bytes() const {
    size_t n = 0;
    for (const auto& [tag, s] : streams_) n += s->held_bytes();
    return n;
  }

  // Sends the stream's due records (all of them when now is null) on after this filter.
  void emit(const std::string& tag, MultilineStream& stream, const Clock::time_point* now) {
    if (ctx_ == nullptr) return;
    auto chunk = std::make_unique<Chunk>(tag);
    ChunkSink sink(*chunk, chunk->events, counter(joined_), counter(cuts_), debug_);
    if (now != nullptr) stream.flush_expired(sink, *now);
    else stream.flush_all(sink);
    if (!chunk->events.empty()) ctx_->emit(std::move(chunk));
  }

  // A timer only while something is open, for the earliest record due.
  void arm() {
    if (!timer_ || flushed_) return;
    std::optional<Clock::time_point> due;
    for (const auto& [tag, s] : streams_)
      if (auto d = s->next_deadline(); d && (!due || *d < *due)) due = d;
    if (!due || (armed_ && *due >= armed_for_)) return;
    armed_ = true;
    armed_for_ = *due;
    timer_->expires_at(*due);
    timer_->async_wait([this, alive = alive_](const boost::system::error_code& ec) {
      if (!*alive || ec) return;
      armed_ = false;
      log::Scope scope(ctx_->log_level());  // a handler of its own: the filter's log_level
      on_timer();
    });
  }

  void on_timer() {
    if (flushed_) return;
    Clock::time_point now = Clock::now();
    for (auto it = streams_.begin(); it != streams_.end();) {
      emit(it->first, *it->second, &now);
      // A tag's stream without open records holds nothing worth keeping.
      if (!it->second->has_open()) it = streams_.erase(it);
      else ++it;
    }
    arm();
  }

  MultilineFilterConfig cfg_;
  bool debug_;
  FilterContext* ctx_ = nullptr;
  std::map<std::string, std::unique_ptr<MultilineStream>> streams_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  bool armed_ = false;
  Clock::time_point armed_for_{};
  bool flushed_ = false;
  uint64_t batches_ = 0;
  Counter* joined_ = nullptr;
  Counter* cuts_ = nullptr;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

MultilineCounters multiline_counters(FilterContext& ctx) {
  return {&ctx.metrics().counter("sluice_filter_multiline_joined_total", "filter", ctx.instance(), false,
                                 "Records the multiline filter made of several records."),
          &ctx.metrics().counter("sluice_filter_multiline_cut_total", "filter", ctx.instance(), false,
                                 "Joined records sent on early: too long, or emitter_mem_buf_limit reached.")};
}

std::unique_ptr<Filter> make_multiline_filter(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  MultilineFilterConfig c = make_multiline_filter_config(cfg, ctx);
  if (c.partial_message) return make_partial_message_filter(std::move(c), cfg.get_bool("debug_flush"));
  return std::make_unique<MultilineFilter>(std::move(c), cfg.get_bool("debug_flush"));
}

}  // namespace sluice
