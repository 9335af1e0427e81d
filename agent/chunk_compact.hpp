// Compacting a chunk before it is queued, so that the memory it is charged
// (and holds for as long as an output keeps it) is what its records need.
#pragma once
#include <cstddef>

#include "agent/chunk.hpp"

namespace sluice {

// Bytes the chunk's records would take in an arena of their own: strings,
// member and item arrays, with alignment (an upper bound by at most 7 bytes
// per array). Top-level keys and string values equal to the previous
// record's at the same position are counted once, as compact() shares them.
size_t record_bytes(const Chunk& chunk);

// When the chunk's arena holds much more than its records need (unused room
// in its blocks, data nothing points to any more), copies the records into
// an arena sized to them and frees the old one; also trims the event vector
// to its size. Returns whether the records were copied. Runs on the stage
// that owns the chunk (the pipeline thread, before routing). The records'
// metadata (Lua's, OTLP's) is dropped, unless keep_metadata (an output that
// sends it, opentelemetry): then it is kept, copied along, and charged.
bool compact(Chunk& chunk, bool keep_metadata = false);

}  // namespace sluice
