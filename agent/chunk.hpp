// Event and Chunk: the unit that moves between inputs, filters and outputs.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/ack.hpp"
#include "agent/arena.hpp"
#include "agent/value.hpp"

namespace sluice {

class ConditionalRoutes;  // agent/router.hpp

struct Event {
  int64_t time_ns = 0;  // nanoseconds since the Unix epoch
  Value record;         // a Map; its memory belongs to the chunk's arena
};

// A batch of events with one tag. Inputs build it; filters change it in place
// on the pipeline thread; after routing it is shared read-only
// (shared_ptr<const Chunk>) by every output that matched.
class Chunk {
 public:
  explicit Chunk(std::string tag, size_t first_block = 16 * 1024) : tag(std::move(tag)), arena(first_block) {}
  ~Chunk();
  Chunk(const Chunk&) = delete;
  Chunk& operator=(const Chunk&) = delete;

  std::string tag;
  Arena arena;
  std::vector<Event> events;
  // Released (acknowledging the input) when the chunk is destroyed; see AckRef.
  std::vector<AckRef> acks;
  // The conditional routes (`routes:`) of the input that made it, if it has
  // any: they, not the outputs' match, choose its records' outputs.
  std::shared_ptr<const ConditionalRoutes> routes;
  // With routes: the routes (bits) this chunk travels, once the pipeline
  // split the input's chunk by them before the filters; 0 until then.
  uint64_t route_mask = 0;
  // Fluent Bit's per-record metadata, which 5-argument Lua callbacks read
  // and set: empty while no event has any (so chunks that never met such a
  // script pay nothing), else one Value per event, parallel to events (a map
  // in the arena, or null for none). Filters that drop, split or reorder
  // events keep it aligned; outputs don't send it, but for those that ask
  // for it (Output::wants_metadata: opentelemetry's OTLP fields).
  std::vector<Value> metadata;
  const Value* metadata_of(size_t event) const { return event < metadata.size() ? &metadata[event] : nullptr; }

  // Marks every ack as undelivered (shutdown with data still queued).
  void fail_acks() const { for (const auto& a : acks) a.fail(); }

  // Memory this chunk holds, for the service memory budget.
  size_t memory_bytes() const {
    return arena.reserved() + events.capacity() * sizeof(Event) + metadata.capacity() * sizeof(Value) + sizeof(Chunk);
  }

  // Charges the chunk to a budget counter until it is destroyed.
  void charge(std::atomic<int64_t>* budget);

 private:
  std::atomic<int64_t>* budget_ = nullptr;
  int64_t charged_ = 0;
};

using ChunkPtr = std::unique_ptr<Chunk>;
using SharedChunk = std::shared_ptr<const Chunk>;

inline Chunk::~Chunk() {
  if (budget_ != nullptr) budget_->fetch_sub(charged_, std::memory_order_relaxed);
}

inline void Chunk::charge(std::atomic<int64_t>* budget) {
  if (budget_ != nullptr) budget_->fetch_sub(charged_, std::memory_order_relaxed);
  budget_ = budget;
  charged_ = static_cast<int64_t>(memory_bytes());
  budget_->fetch_add(charged_, std::memory_order_relaxed);
}

}  // namespace sluice
