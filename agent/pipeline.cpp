// Filter chain and routing; see pipeline.hpp.
#include "agent/pipeline.hpp"

#include "agent/chunk_compact.hpp"
#include "agent/log.hpp"

namespace sluice {

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

const Pipeline::Route& Pipeline::route(const std::string& tag) {
  auto it = routes_.find(tag);
  if (it != routes_.end()) return it->second;
  Route r;
  for (size_t i = 0; i < filters_.size(); ++i)
    if (filters_[i].match.matches(tag)) r.filters.push_back(i);
  for (OutputRunner* o : outputs_)
    if (o->matches(tag)) r.outputs.push_back(o);
  if (r.outputs.empty()) log::warn("no output matches tag '{}': its records are dropped (and counted)", tag);
  return routes_.emplace(tag, std::move(r)).first->second;
}

void Pipeline::submit(ChunkPtr chunk, size_t first_filter) {
  const Route& r = route(chunk->tag);
  for (size_t i : r.filters) {
    if (i < first_filter) continue;
    filters_[i].filter->filter(*chunk);
    if (chunk->events.empty()) return;
  }
  if (r.outputs.empty()) {
    unrouted_.add(chunk->events.size());
    return;
  }
  compact(*chunk);  // charged (and queued) for what its records hold, not its arena's slack
  chunk->charge(&budget_);
  memory_gauge_.set(static_cast<uint64_t>(std::max<int64_t>(0, budget_.load())));
  SharedChunk shared(std::move(chunk));
  for (OutputRunner* o : r.outputs) o->enqueue(shared);
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
}

void Pipeline::flush_filters() {
  for (auto& slot : filters_) slot.filter->flush();
}

}  // namespace sluice
