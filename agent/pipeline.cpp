// Filter chain and routing; see pipeline.hpp.
#include "agent/pipeline.hpp"

#include <algorithm>

#include "agent/chunk_compact.hpp"
#include "agent/log.hpp"
#include "agent/processor_chain.hpp"
#include "agent/record.hpp"

namespace sluice {

namespace {

// A chunk of the same tag, acknowledgements and routes holding copies of
// the events `keep` selects (by index), in their own arena.
template <class Keep>
ChunkPtr copy_events(const Chunk& from, Keep&& keep) {
  auto out = std::make_unique<Chunk>(from.tag);
  out->acks = from.acks;
  out->routes = from.routes;
  out->route_mask = from.route_mask;
  for (size_t i = 0; i < from.events.size(); ++i) {
    if (!keep(i)) continue;
    out->events.push_back(Event{from.events[i].time_ns, record::deep_copy(from.events[i].record, out->arena)});
    // Lua metadata goes on to the output's processors with its record.
    if (const Value* meta = from.metadata_of(i)) out->metadata.push_back(record::deep_copy(*meta, out->arena));
  }
  return out;
}

}  // namespace

Pipeline::Pipeline(std::vector<FilterSlot> filters, std::vector<OutputRunner*> outputs, uint64_t mem_limit,
                   Metrics& metrics)
    : filters_(std::move(filters)),
      outputs_(std::move(outputs)),
      mem_limit_(mem_limit),
      pauses_(metrics.counter(
          "sluice_input_pauses_total", "service", "pipeline", false,
          "Times inputs were paused because a memory budget or a blocking output buffer was full.")),
      paused_gauge_(metrics.counter("sluice_input_paused", "service", "pipeline", true,
                                           "1 while inputs are paused (buffers full), else 0.")),
      unrouted_(metrics.counter("sluice_records_unrouted_total", "service", "pipeline", false,
                                         "Records no output matched, dropped.")),
      memory_gauge_(metrics.counter("sluice_buffer_memory_bytes", "service", "pipeline", true,
                                            "Memory held by buffered records, against service.mem_limit.")) {}

Pipeline::Route& Pipeline::route(const std::string& tag) {
  auto it = routes_.find(tag);
  if (it != routes_.end()) return it->second;
  Route r;
  for (size_t i = 0; i < filters_.size(); ++i)
    if (filters_[i].match.matches(tag)) r.filters.push_back(i);
  for (OutputRunner* o : outputs_)
    if (o->matches(tag)) r.outputs.push_back(o);
  return routes_.emplace(tag, std::move(r)).first->second;
}

void Pipeline::submit(ChunkPtr chunk, size_t first_filter) {
  if (chunk->routes && chunk->route_mask == 0) return split_by_routes(std::move(chunk));
  filter_and_deliver(std::move(chunk), first_filter);
}

void Pipeline::resubmit(ChunkPtr chunk, size_t from) {
  if (chunk->events.empty()) return;
  chunk->routes = nullptr;  // a new tag: the input's conditional routes no longer apply
  chunk->route_mask = 0;
  if (reemit_depth_ >= kMaxReemitDepth) {
    if (!reemit_loop_logged_) {
      log::error("records re-emitted {} times in a row (tag '{}'): two rewrite_tag filters send them back and "
                 "forth; they go to the outputs matching their tag without filters",
                 kMaxReemitDepth, chunk->tag);
      reemit_loop_logged_ = true;
    }
    return filter_and_deliver(std::move(chunk), filters_.size());
  }
  ++reemit_depth_;
  filter_and_deliver(std::move(chunk), 0, from);
  --reemit_depth_;
}

void Pipeline::filter_and_deliver(ChunkPtr chunk, size_t first_filter, size_t skip_filter) {
  Route& r = route(chunk->tag);
  for (size_t i : r.filters) {
    if (i < first_filter || i == skip_filter) continue;
    log::Scope scope(filters_[i].log_level);
    filters_[i].filter->filter(*chunk);
    if (chunk->events.empty()) return;
  }
  if (chunk->routes) {
    const auto& outs = targets(*chunk->routes, chunk->route_mask);
    if (outs.empty()) return unrouted_.add(chunk->events.size());  // its outputs were removed by a reload
    return deliver(std::move(chunk), outs);
  }
  if (r.outputs.empty()) {
    if (!r.warned) log::warn("no output matches tag '{}': its records are dropped (and counted)", chunk->tag);
    r.warned = true;
    unrouted_.add(chunk->events.size());
    return;
  }
  deliver(std::move(chunk), r.outputs);
}

void Pipeline::deliver(ChunkPtr chunk, const std::vector<OutputRunner*>& outputs) {
  size_t with_processors = 0;
  for (OutputRunner* o : outputs)
    if (o->processors() != nullptr) ++with_processors;
  if (with_processors > 0) {
    // Each runs on its own copy; the last takes the chunk itself when no
    // output without processors shares it.
    bool shared_too = with_processors < outputs.size();
    for (OutputRunner* o : outputs) {
      if (o->processors() == nullptr) continue;
      bool last = --with_processors == 0;
      ChunkPtr own = last && !shared_too ? std::move(chunk) : copy_events(*chunk, [](size_t) { return true; });
      o->processors()->process(std::move(own));
    }
    if (!shared_too) return;
  }
  // Charged (and queued) for what its records hold, not its arena's slack;
  // their metadata only when an output sends it.
  bool keep_metadata = std::any_of(outputs.begin(), outputs.end(), [](const OutputRunner* o) {
    return o->processors() == nullptr && o->wants_metadata();
  });
  compact(*chunk, keep_metadata);
  chunk->charge(&budget_);
  memory_gauge_.set(static_cast<uint64_t>(std::max<int64_t>(0, budget_.load())));
  SharedChunk shared(std::move(chunk));
  for (OutputRunner* o : outputs)
    if (o->processors() == nullptr) o->enqueue(shared);
}

void Pipeline::enqueue_to(OutputRunner* output, ChunkPtr chunk) {
  if (chunk->events.empty()) return;
  compact(*chunk, output->wants_metadata());
  chunk->charge(&budget_);
  memory_gauge_.set(static_cast<uint64_t>(std::max<int64_t>(0, budget_.load())));
  output->enqueue(SharedChunk(std::move(chunk)));
}

const std::vector<OutputRunner*>& Pipeline::targets(const ConditionalRoutes& routes, uint64_t mask) {
  Targets& t = targets_[&routes];
  if (t.by_route.empty()) {
    // Route outputs were checked and named by their instance when loaded; an
    // output a reload removed since is skipped.
    for (const auto& route : routes.routes()) {
      std::vector<OutputRunner*> outs;
      for (const auto& name : route.outputs)
        for (OutputRunner* o : outputs_)
          if (o->instance() == name) outs.push_back(o);
      t.by_route.push_back(std::move(outs));
    }
  }
  auto it = t.by_mask.find(mask);
  if (it != t.by_mask.end()) return it->second;
  std::vector<OutputRunner*> outs;
  for (size_t i = 0; i < t.by_route.size(); ++i) {
    if ((mask >> i & 1) == 0) continue;
    for (OutputRunner* o : t.by_route[i])
      if (std::find(outs.begin(), outs.end(), o) == outs.end()) outs.push_back(o);
  }
  return t.by_mask.emplace(mask, std::move(outs)).first->second;
}

void Pipeline::split_by_routes(ChunkPtr chunk) {
  const ConditionalRoutes& routes = *chunk->routes;
  if (chunk->events.empty()) return;
  std::vector<uint64_t> masks;  // each record's conditional and default routes
  masks.reserve(chunk->events.size());
  uint64_t any = 0;
  size_t unrouted = 0;
  for (const Event& e : chunk->events) {
    masks.push_back(routes.select(e.record));
    any |= masks.back();
    if (masks.back() == 0) ++unrouted;
  }
  const uint64_t whole = routes.unconditional();
  if (whole == 0 && unrouted > 0) unrouted_.add(unrouted);  // no route took them: dropped, counted
  // Each route its own chunk, named after it. When one route took every
  // record and nothing else needs the chunk, it is renamed, not copied.
  for (size_t i = 0; i < routes.routes().size(); ++i) {
    const uint64_t bit = uint64_t{1} << i;
    if ((any & bit) == 0) continue;
    const bool all = unrouted == 0 && std::all_of(masks.begin(), masks.end(), [&](uint64_t m) { return m == bit; });
    ChunkPtr one;
    if (all && whole == 0) {
      one = std::move(chunk);
    } else {
      one = copy_events(*chunk, [&](size_t k) { return (masks[k] & bit) != 0; });
    }
    one->tag = routes.routes()[i].name;
    one->route_mask = bit;
    filter_and_deliver(std::move(one), 0);
    if (!chunk) return;
  }
  if (whole == 0) return;
  chunk->route_mask = whole;
  filter_and_deliver(std::move(chunk), 0);
}

std::string Pipeline::full_reason() const {
  if (budget_.load(std::memory_order_relaxed) >= static_cast<int64_t>(mem_limit_)) return "service.mem_limit reached";
  for (OutputRunner* o : outputs_)
    if (o->blocking_full()) return "output " + o->instance() + " buffer is full (mem_buf_limit)";
  // Whatever the output's when_full policy: its records can't be dropped.
  for (OutputRunner* o : outputs_)
    if (std::string why = o->dead_letter_blocked(); !why.empty()) return why;
  return {};
}

bool Pipeline::paused() {
  // Inputs ask often, so the gauge also follows chunks released by outputs.
  memory_gauge_.set(static_cast<uint64_t>(std::max<int64_t>(0, budget_.load(std::memory_order_relaxed))));
  std::string why = full_reason();
  bool full = !why.empty();
  if (full != paused_) {
    paused_ = full;
    paused_gauge_.set(full ? 1 : 0);
    if (full) {
      pauses_.add();
      auto now = std::chrono::steady_clock::now();
      pause_logged_ = last_pause_log_ == std::chrono::steady_clock::time_point{} ||
                      now - last_pause_log_ >= std::chrono::minutes(1);
      if (pause_logged_) {
        if (pauses_not_logged_ > 0) {
          log::warn("inputs paused: {} ({} more pauses since the last message)", why, pauses_not_logged_);
        } else {
          log::warn("inputs paused: {}", why);
        }
        last_pause_log_ = now;
        pauses_not_logged_ = 0;
      } else {
        ++pauses_not_logged_;
      }
    } else if (pause_logged_) {
      log::info("inputs resumed: buffers have room again");
    }
  }
  return full;
}

void Pipeline::reconfigure(std::vector<FilterSlot> filters, std::vector<OutputRunner*> outputs, uint64_t mem_limit) {
  filters_ = std::move(filters);
  outputs_ = std::move(outputs);
  mem_limit_ = mem_limit;
  routes_.clear();  // routes point at filter indices and outputs that may be gone
  targets_.clear();
}

void Pipeline::flush_filters() {
  for (auto& slot : filters_) {
    log::Scope scope(slot.log_level);
    slot.filter->flush();
  }
}

}  // namespace sluice
