// Removing a chunk's events in place: what a filter that drops records
// (grep, throttle) does with a chunk.
#pragma once
#include <cstddef>

#include "agent/chunk.hpp"

namespace sluice {

// Keeps the events for which keep(event) is true, in their order, moving
// each one's metadata with it; returns how many were removed.
template <class Keep>
size_t keep_events(Chunk& chunk, Keep&& keep) {
  const bool with_metadata = !chunk.metadata.empty();
  size_t kept = 0;
  for (size_t i = 0; i < chunk.events.size(); ++i) {
    if (!keep(chunk.events[i])) continue;
    if (with_metadata) chunk.metadata[kept] = chunk.metadata[i];
    chunk.events[kept++] = chunk.events[i];
  }
  const size_t removed = chunk.events.size() - kept;
  chunk.events.resize(kept);
  if (with_metadata) chunk.metadata.resize(kept);
  return removed;
}

}  // namespace sluice
