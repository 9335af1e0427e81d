// Processors; see processor_chain.hpp.
#include "agent/processor_chain.hpp"

#include "agent/log.hpp"

namespace sluice {

class ProcessorChain::Context final : public FilterContext {
 public:
  Context(ProcessorChain& chain, size_t index, boost::asio::io_context& io, Metrics& metrics)
      : chain_(chain), index_(index), io_(io), metrics_(metrics) {}
  boost::asio::io_context& io() override { return io_; }
  void emit(ChunkPtr chunk) override {
    if (!chunk->events.empty()) chain_.run_from(index_ + 1, std::move(chunk));
  }
  Metrics& metrics() override { return metrics_; }
  const std::string& instance() const override { return chain_.units_[index_].instance; }
  int log_level() const override { return chain_.units_[index_].log_level; }

 private:
  ProcessorChain& chain_;
  size_t index_;
  boost::asio::io_context& io_;
  Metrics& metrics_;
};

ProcessorChain::ProcessorChain(std::vector<ProcessorUnit> units) : units_(std::move(units)) {}

// Units go before their contexts (a unit may hold its context until destroyed).
ProcessorChain::~ProcessorChain() { units_.clear(); }

void ProcessorChain::start(boost::asio::io_context& io, Metrics& metrics, Sink sink) {
  if (started_) return;
  sink_ = std::move(sink);
  for (size_t i = 0; i < units_.size(); ++i) {
    contexts_.push_back(std::make_unique<Context>(*this, i, io, metrics));
    log::Scope scope(units_[i].log_level);
    units_[i].filter->start(*contexts_.back());
  }
  started_ = true;
}

void ProcessorChain::run_unit(ProcessorUnit& unit, Chunk& chunk) {
  log::Scope scope(unit.log_level);
  if (!unit.condition) return unit.filter->filter(chunk);
  // Each run of records that meet the condition goes through the filter as
  // one chunk; the others stay where they were.
  std::vector<Event> all;
  all.swap(chunk.events);
  // Lua metadata (agent/chunk.hpp) follows its events; out_meta stays empty
  // until some event has metadata, then is padded with nulls to match out.
  std::vector<Value> all_meta;
  all_meta.swap(chunk.metadata);
  std::vector<Event> out;
  out.reserve(all.size());
  std::vector<Value> out_meta;
  auto keep_meta = [&out, &out_meta](const Value* meta) {
    if (meta == nullptr && out_meta.empty()) return;
    out_meta.resize(out.size());
    out_meta.push_back(meta != nullptr ? *meta : Value());
  };
  size_t i = 0;
  while (i < all.size()) {
    if (!unit.condition->matches(all[i].record)) {
      keep_meta(i < all_meta.size() ? &all_meta[i] : nullptr);
      out.push_back(all[i++]);
      continue;
    }
    size_t end = i;
    while (end < all.size() && unit.condition->matches(all[end].record)) ++end;
    chunk.events.assign(all.begin() + static_cast<std::ptrdiff_t>(i), all.begin() + static_cast<std::ptrdiff_t>(end));
    chunk.metadata.clear();
    if (!all_meta.empty())
      chunk.metadata.assign(all_meta.begin() + static_cast<std::ptrdiff_t>(i),
                            all_meta.begin() + static_cast<std::ptrdiff_t>(end));
    unit.filter->filter(chunk);
    for (size_t k = 0; k < chunk.events.size(); ++k) {
      keep_meta(chunk.metadata_of(k));
      out.push_back(chunk.events[k]);
    }
    i = end;
  }
  if (!out_meta.empty()) out_meta.resize(out.size());
  chunk.events.swap(out);
  chunk.metadata.swap(out_meta);
}

void ProcessorChain::run_from(size_t first, ChunkPtr chunk) {
  for (size_t i = first; i < units_.size(); ++i) {
    run_unit(units_[i], *chunk);
    if (chunk->events.empty()) return;  // released: its acks complete
  }
  sink_(std::move(chunk));
}

void ProcessorChain::run(Chunk& chunk) {
  for (auto& unit : units_) {
    run_unit(unit, chunk);
    if (chunk.events.empty()) return;
  }
}

void ProcessorChain::flush() {
  if (!started_) return;
  for (auto& unit : units_) {
    log::Scope scope(unit.log_level);
    unit.filter->flush();
  }
}

}  // namespace sluice
