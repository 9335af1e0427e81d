// An input's or output's `processors:` (Fluent Bit 3+'s YAML): filters run in
// order on every chunk of that input, before the filter chain, or on what
// reaches that output, after routing and before it is queued and encoded.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/condition.hpp"
#include "agent/filter.hpp"

namespace sluice {

struct ProcessorUnit {
  std::string instance;  // "<owner>.processor.<plugin>.<index>" (or its alias): logs and metrics
  std::unique_ptr<Filter> filter;
  // Only the records that meet it go through the filter; the others pass by
  // untouched, in their place (Fluent Bit's conditional processing).
  std::optional<Condition> condition;
  int log_level = -1;  // its own log_level (log::Scope), -1: the service's
};

// Main thread (the pipeline strand), like filters: units' timers run on the
// main io_context.
class ProcessorChain {
 public:
  using Sink = std::function<void(ChunkPtr)>;
  explicit ProcessorChain(std::vector<ProcessorUnit> units);
  ~ProcessorChain();

  // Starts the units; processed chunks (and chunks a unit emits later, from
  // a timer or at flush) go to sink.
  void start(boost::asio::io_context& io, Metrics& metrics, Sink sink);
  // Runs every unit on the chunk, in order, then hands what is left to the sink.
  void process(ChunkPtr chunk) { run_from(0, std::move(chunk)); }
  // Runs every unit on the chunk in place, without handing it on (an input
  // that offers its chunk to a buffer hands it on itself). It may come out empty.
  void run(Chunk& chunk);
  // Shutdown or replacement: each unit, in order, emits what it holds (down
  // the units after it, then to the sink).
  void flush();
  size_t size() const { return units_.size(); }

 private:
  class Context;
  void run_from(size_t first, ChunkPtr chunk);
  static void run_unit(ProcessorUnit& unit, Chunk& chunk);

  std::vector<ProcessorUnit> units_;
  std::vector<std::unique_ptr<Context>> contexts_;
  Sink sink_;
  bool started_ = false;
};

}  // namespace sluice
