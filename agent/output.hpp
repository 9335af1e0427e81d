// The interface between the core and an output component.
#pragma once
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agent/chunk.hpp"
#include "agent/input.hpp"

namespace sluice {

// The events an output is asked to deliver: whole chunks, or after a partial
// failure only the events that still have to go.
struct BatchPart {
  SharedChunk chunk;
  std::vector<uint32_t> only;  // event indices; empty = every event of the chunk
};

class Batch {
 public:
  std::vector<BatchPart> parts;

  // Calls fn(tag, event, metadata) for each event, in order; metadata is
  // null for an event without any (only outputs that want metadata get it).
  template <class Fn>
  void for_each_with_metadata(Fn&& fn) const {
    for (const auto& p : parts) {
      const Chunk& c = *p.chunk;
      if (p.only.empty()) {
        for (size_t i = 0; i < c.events.size(); ++i) fn(c.tag, c.events[i], c.metadata_of(i));
      } else {
        for (uint32_t i : p.only) fn(c.tag, c.events[i], c.metadata_of(i));
      }
    }
  }

  // Calls fn(tag, event) for each event, in order.
  template <class Fn>
  void for_each(Fn&& fn) const {
    for_each_with_metadata([&](const std::string& tag, const Event& e, const Value*) { fn(tag, e); });
  }
  size_t size() const {
    size_t n = 0;
    for (const auto& p : parts) n += p.only.empty() ? p.chunk->events.size() : p.only.size();
    return n;
  }
};

// One event of a flush, in Batch::for_each order (outputs that address
// events by index build a vector of these).
struct EventRef {
  const std::string* tag;
  const Event* event;
  const Value* metadata = nullptr;  // the event's metadata, for outputs that want it (else null)
};

enum class Outcome { Delivered, Retry, Permanent };

struct RecordOutcome {
  Outcome outcome = Outcome::Delivered;
  std::string reason;  // the backend's error text for Retry/Permanent
};

// What a flush reports. With per_record empty, `outcome` covers the batch;
// otherwise per_record has one entry per event in Batch::for_each order.
struct FlushResult {
  Outcome outcome = Outcome::Delivered;
  std::string reason;
  std::optional<std::chrono::milliseconds> retry_after;  // the backend's Retry-After
  std::vector<RecordOutcome> per_record;

  static FlushResult delivered() { return {}; }
  static FlushResult retry(std::string why) { FlushResult r; r.outcome = Outcome::Retry; r.reason = std::move(why); return r; }
  static FlushResult permanent(std::string why) { FlushResult r; r.outcome = Outcome::Permanent; r.reason = std::move(why); return r; }
};

using FlushDone = std::function<void(FlushResult)>;

class OutputContext {
 public:
  virtual ~OutputContext() = default;
  // The output's own worker io_context (its thread).
  virtual boost::asio::io_context& io() = 0;
  virtual Metrics& metrics() = 0;
  virtual const std::string& instance() const = 0;
  // Memory the output holds beyond the batches it was given (a client
  // library's own send queue), in bytes, + when taken, - when freed: counted
  // in the output's buffer against mem_buf_limit, so that a full client
  // queue pauses the inputs like a full buffer. Worker thread.
  virtual void charge_memory(int64_t /*delta*/) {}
};

// An output runs on its own worker thread. The core owns batching, retries,
// backoff and dead-lettering; an output only encodes, sends and sorts the
// answer into Delivered / Retry / Permanent.
class Output {
 public:
  virtual ~Output() = default;
  virtual void start(OutputContext& /*ctx*/) {}
  // Delivers batch and calls done exactly once, on the worker thread (now or
  // later). batch stays alive until done is called. Up to `workers` flushes
  // may be in flight at once.
  virtual void flush(const Batch& batch, FlushDone done) = 0;
  // After the last flush: close files and connections.
  virtual void stop() {}
  // Whether this output sends the records' metadata (the opentelemetry
  // output: OTLP's fields): then chunks routed to it keep it. Asked once, on
  // the main thread, before start().
  virtual bool wants_metadata() const { return false; }
};

}  // namespace sluice
