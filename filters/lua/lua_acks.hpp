// Keeps input acknowledgements alive while a stateful Lua script may still
// hold records made from them, so the delivery promise holds across the
// aggregator: a tail offset is committed only after every record from it
// left sluice, even when the script kept a line back and emitted it later.
#pragma once
#include <chrono>
#include <cstddef>
#include <deque>
#include <vector>

#include "agent/chunk.hpp"

namespace sluice::lua {

// The rule: each chunk that reaches the filter has its acks held for
// `window` after it arrived, and every chunk the filter sends on meanwhile
// (passed-through, timer- or flush-emitted) carries a reference to all that
// is held. An input position is thus committed only when the window has
// passed AND everything emitted while it was held was delivered (or it is
// failed with it). The window must exceed the longest time the script keeps
// a record (the aggregator's stale_timeout + timer_interval).
//
// Held acks are grouped in segments of window/8, so a chunk carries at most
// ~9 references whatever the rate, not one per held chunk.
//
// Pipeline (main) thread; the groups are released on whichever thread
// delivers the last chunk that carries them.
class AckHold {
 public:
  using Clock = std::chrono::steady_clock;

  explicit AckHold(std::chrono::nanoseconds window) : window_(window), span_(window / 8) {}

  bool enabled() const { return window_.count() > 0; }
  // Holds copies of a chunk's acks (the chunk keeps its own).
  void hold(const std::vector<AckRef>& acks, Clock::time_point now);
  // Adds a reference to everything held to a chunk about to be sent on.
  void attach(Chunk& chunk) const;
  // Lets go of segments whose newest ack is older than the window.
  void expire(Clock::time_point now);
  // Lets go of everything (shutdown, after the last chunk was attached).
  void release_all() { segments_.clear(); }
  size_t segments() const { return segments_.size(); }

 private:
  class Group;
  struct Segment {
    AckRef ref;  // the filter's reference to the group; copies travel with chunks
    Group* group;
    Clock::time_point opened;
    Clock::time_point newest;
  };

  std::chrono::nanoseconds window_;
  std::chrono::nanoseconds span_;
  std::deque<Segment> segments_;
};

}  // namespace sluice::lua
