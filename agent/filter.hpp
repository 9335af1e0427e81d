// The interface between the core and a filter component.
#pragma once
#include "agent/chunk.hpp"
#include "agent/input.hpp"

namespace sluice {

// What the core lends a filter; main thread only.
class FilterContext {
 public:
  virtual ~FilterContext() = default;
  virtual boost::asio::io_context& io() = 0;
  // Sends a chunk made by this filter (a timer flush, a shutdown flush) on to
  // the filters after this one and then to the outputs.
  virtual void emit(ChunkPtr chunk) = 0;
  // Sends a chunk made by this filter under its own tag through the whole
  // pipeline, from the first filter on, skipping this filter (Fluent Bit's
  // emitter, for rewrite_tag). Where there is no pipeline (a processor chain,
  // a test), it is emit().
  virtual void reemit(ChunkPtr chunk) { emit(std::move(chunk)); }
  virtual Metrics& metrics() = 0;
  virtual const std::string& instance() const = 0;
  // Its own log_level (log::level_number; -1: the service's). The core
  // applies it while calling the filter; a filter applies it (log::Scope) in
  // the handlers it runs by itself (timers).
  virtual int log_level() const { return -1; }
};

// A filter runs on the main thread, on chunks whose tag its match selects.
class Filter {
 public:
  virtual ~Filter() = default;
  virtual void start(FilterContext& /*ctx*/) {}
  // Changes chunk in place: rewrite records (allocate in chunk.arena), erase
  // events, or append events. Must not throw: a record it can't handle is
  // kept as it came and counted.
  virtual void filter(Chunk& chunk) = 0;
  // At shutdown, before outputs drain: emit whatever the filter holds.
  virtual void flush() {}
};

}  // namespace sluice
