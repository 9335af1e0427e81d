// The multiline filter in mode partial_message: a PartialMessageJoiner on
// the filter chain, with a timer for lines whose last part doesn't come.
#include <map>
#include <memory>

#include "agent/asio.hpp"
#include "agent/log.hpp"
#include "agent/record.hpp"
#include "filters/multiline/multiline_filter.hpp"
#include "filters/multiline/multiline_filter_config.hpp"
#include "filters/multiline/partial_message.hpp"

namespace sluice {

namespace {

using Clock = std::chrono::steady_clock;

// Collects joined lines into chunks, one per tag: the chunk being filtered
// (its own tag) or new ones sent on after this filter (timer, shutdown). A
// chunk takes the acknowledgements its joined lines held, so their input
// positions commit only once it is delivered.
class ChunkCollector final : public PartialMessageSink {
 public:
  ChunkCollector(Counter& joined, bool debug, Chunk* current = nullptr)
      : joined_(joined), debug_(debug), current_(current) {}

  void joined(const std::string& tag, int64_t time_ns, const Value& record, std::vector<AckRef>& acks,
              size_t parts) override {
    Chunk& chunk = chunk_for(tag);
    chunk.events.push_back({time_ns, record::deep_copy(record, chunk.arena)});
    for (auto& a : acks) chunk.acks.push_back(std::move(a));
    if (parts > 1) joined_.add();
    if (debug_) log::debug("multiline: {} partial records joined into one ({})", parts, tag);
  }

  std::map<std::string, std::unique_ptr<Chunk>>& made() { return made_; }

 private:
  Chunk& chunk_for(const std::string& tag) {
    if (current_ != nullptr && current_->tag == tag) return *current_;
    auto& c = made_[tag];
    if (!c) c = std::make_unique<Chunk>(tag);
    return *c;
  }

  Counter& joined_;
  bool debug_;
  Chunk* current_;
  std::map<std::string, std::unique_ptr<Chunk>> made_;
};

// Runs on the main thread (the pipeline's filter chain); its timer runs on
// the same io_context.
class PartialMessageFilter final : public Filter {
 public:
  PartialMessageFilter(MultilineFilterConfig cfg, bool debug)
      : cfg_(std::move(cfg)), debug_(debug), joiner_(cfg_.key_content, cfg_.flush_ms) {}
  ~PartialMessageFilter() override { *alive_ = false; }

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
    chunk.metadata.clear();  // as in mode parser: the events are rebuilt, Lua metadata doesn't carry over
    chunk.events.reserve(in.size());
    ChunkCollector sink(counter(joined_), debug_, &chunk);
    uint64_t batch = ++batches_;
    // Copied: joined lines move theirs into chunk.acks.
    std::vector<AckRef> acks = chunk.acks;
    // A part's record is copied when its line opens: chunk's events stay in its arena.
    for (const Event& e : in)
      if (!joiner_.offer(chunk.tag, e, acks, batch, now, sink)) chunk.events.push_back(e);
    if (joiner_.held_bytes() > cfg_.mem_buf_limit) {
      counter(cuts_).add();
      joiner_.flush_all(sink);
    }
    send(sink);
    arm();
  }

  void flush() override {
    if (flushed_) return;
    flushed_ = true;
    if (timer_) timer_->cancel();
    ChunkCollector sink(counter(joined_), debug_);
    joiner_.flush_all(sink);
    send(sink);
  }

 private:
  static Counter& counter(Counter* c) {
    static Counter fallback;
    return c != nullptr ? *c : fallback;
  }

  // Sends on the chunks of other tags than the one being filtered.
  void send(ChunkCollector& sink) {
    for (auto& [tag, chunk] : sink.made())
      if (ctx_ != nullptr && !chunk->events.empty()) ctx_->emit(std::move(chunk));
  }

  void arm() {
    if (!timer_ || flushed_) return;
    auto due = joiner_.next_deadline();
    if (!due || (armed_ && *due >= armed_for_)) return;
    armed_ = true;
    armed_for_ = *due;
    timer_->expires_at(*due);
    timer_->async_wait([this, alive = alive_](const boost::system::error_code& ec) {
      if (!*alive || ec) return;
      armed_ = false;
      if (flushed_) return;
      log::Scope scope(ctx_->log_level());  // a handler of its own: the filter's log_level
      ChunkCollector sink(counter(joined_), debug_);
      joiner_.flush_expired(Clock::now(), sink);
      send(sink);
      arm();
    });
  }

  MultilineFilterConfig cfg_;
  bool debug_;
  PartialMessageJoiner joiner_;
  FilterContext* ctx_ = nullptr;
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

std::unique_ptr<Filter> make_partial_message_filter(MultilineFilterConfig cfg, bool debug) {
  return std::make_unique<PartialMessageFilter>(std::move(cfg), debug);
}

}  // namespace sluice
