// The pipeline stage: runs the filter chain on each chunk and routes the
// result to every output whose match fits its tag.
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/filter.hpp"
#include "agent/output_runner.hpp"
#include "agent/router.hpp"

namespace sluice {

struct FilterSlot {
  std::string instance;
  TagMatcher match;
  std::unique_ptr<Filter> filter;
  int log_level = -1;  // its own log_level (log::Scope), -1: service.log_level
};

// Main thread only (the pipeline "strand": inputs emit on it, filters run on it).
class Pipeline {
 public:
  Pipeline(std::vector<FilterSlot> filters, std::vector<OutputRunner*> outputs, uint64_t mem_limit, Metrics& metrics);

  // Runs filters from index `first_filter` on, then hands the chunk to the
  // matching outputs. A chunk of an input with conditional routes is split
  // first, as Fluent Bit does: each route's records become a chunk tagged
  // with the route's name (the filters select by that), sent to the route's
  // outputs; routes without a condition take the chunk as it is, with the
  // input's tag. Outputs with processors get their own copy, run through
  // them. A chunk left empty by filters is released (acknowledged).
  void submit(ChunkPtr chunk, size_t first_filter = 0);
  // A filter's chunk under a new tag, from the first filter on, without the
  // filter at `from` (rewrite_tag: a record it re-emits doesn't meet it
  // again). Re-emitted chunks that re-emit in turn nest; past kMaxReemitDepth
  // (two filters sending records back and forth) the chunk goes to its
  // outputs without filters, with an error logged, rather than loop.
  void resubmit(ChunkPtr chunk, size_t from);
  static constexpr int kMaxReemitDepth = 8;
  // Queues a chunk for one output: what an output's processors hand on.
  void enqueue_to(OutputRunner* output, ChunkPtr chunk);
  // True while the memory budget or a blocking output buffer is full, or an
  // output's dead-letter file can't be written.
  // Counts every pause (sluice_input_pauses_total); logs the first, then at
  // most one a minute saying how many came in between: under steady
  // backpressure inputs pause and resume hundreds of times a second.
  bool paused();
  // Why inputs would be paused now (empty: they wouldn't), without counting
  // or logging anything: what health reads.
  std::string full_reason() const;
  // Shutdown: lets each filter emit what it holds, in order.
  void flush_filters();
  std::vector<FilterSlot>& filters() { return filters_; }
  // Hot reload, between two chunks: a new filter chain, output set and budget.
  // Records already charged stay charged until their chunks are released.
  void reconfigure(std::vector<FilterSlot> filters, std::vector<OutputRunner*> outputs, uint64_t mem_limit);
  int64_t memory_in_use() const { return budget_.load(); }

 private:
  struct Route {
    std::vector<size_t> filters;
    std::vector<OutputRunner*> outputs;
    bool warned = false;  // "no output matches" was logged
  };
  Route& route(const std::string& tag);
  // A conditional-routes object's outputs, by route, and by set of routes.
  struct Targets {
    std::vector<std::vector<OutputRunner*>> by_route;
    std::unordered_map<uint64_t, std::vector<OutputRunner*>> by_mask;
  };
  const std::vector<OutputRunner*>& targets(const ConditionalRoutes& routes, uint64_t mask);
  void split_by_routes(ChunkPtr chunk);
  void filter_and_deliver(ChunkPtr chunk, size_t first_filter, size_t skip_filter = SIZE_MAX);
  void deliver(ChunkPtr chunk, const std::vector<OutputRunner*>& outputs);

  std::vector<FilterSlot> filters_;
  std::vector<OutputRunner*> outputs_;
  std::unordered_map<std::string, Route> routes_;
  std::unordered_map<const ConditionalRoutes*, Targets> targets_;
  uint64_t mem_limit_;
  std::atomic<int64_t> budget_{0};
  bool paused_ = false;
  int reemit_depth_ = 0;
  bool reemit_loop_logged_ = false;
  bool pause_logged_ = false;  // the current pause was logged, so its resume is too
  std::chrono::steady_clock::time_point last_pause_log_{};
  uint64_t pauses_not_logged_ = 0;
  Counter& pauses_;
  Counter& paused_gauge_;
  Counter& unrouted_;
  Counter& memory_gauge_;
};

}  // namespace sluice
