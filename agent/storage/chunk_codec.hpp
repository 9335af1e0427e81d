// The binary form of a chunk in the filesystem buffer: its tag and events
// (time and record), compact and quick both ways, since every record of a
// filesystem input is encoded once on its way in.
//
//   chunk  := varint(tag length) tag varint(event count) event* [metadata]
//   event  := zigzag-varint(time_ns) value
//   metadata := varint(event count) value*  (one per event, a map or null;
//               only when the chunk has any: Lua's and OTLP's metadata
//               survive a restart; a chunk written before it had none)
//   value  := 0 null | 1 false | 2 true | 3 zigzag-varint | 4 double (8 bytes, little-endian)
//           | 5 varint(length) bytes | 6 varint(n) value*n | 7 varint(n) (varint(length) key value)*n
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/chunk.hpp"

namespace sluice::storage {

// Appends the encoding of chunk's tag, events and metadata to out, from out's current
// size on; returns the number of bytes appended. Acks are not part of it.
size_t encode_chunk(const Chunk& chunk, std::string& out);
// The same, written at out[at...]; out only grows (it may end up longer than
// at + the size returned): for a buffer reused from chunk to chunk.
size_t encode_chunk(const Chunk& chunk, std::string& out, size_t at);

// Rebuilds a chunk from an encoding. Untrusted input (a file on disk): a
// malformed or truncated encoding gives nullptr and a reason in *error,
// never a crash. The chunk's strings point into a copy in its own arena.
ChunkPtr decode_chunk(std::string_view payload, std::string* error);
// Decodes into chunk (its tag and events). With in_arena, payload already
// lives in chunk's arena and strings point into it (no copy). False (and
// no events) when malformed.
bool decode_chunk_into(std::string_view payload, Chunk& chunk, bool in_arena, std::string* error);

}  // namespace sluice::storage
