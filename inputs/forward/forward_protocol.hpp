// Fluentd's Forward protocol (v1), the messages a forward input receives:
// Message [tag, time, record, option?], Forward [tag, [[time, record], ...],
// option?], PackedForward [tag, bytes of [time, record] arrays, option?],
// and CompressedPackedForward (those bytes gzipped, option compressed:
// "gzip"). Times are seconds or EventTime; Fluent Bit 2+ also writes an
// entry's time as [time, metadata]. Pure; no I/O.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/chunk.hpp"

namespace sluice::forward {

struct DecodedMessage {
  std::string tag;
  std::string chunk_id;  // option "chunk": the sender waits for {"ack": chunk_id}
  size_t events = 0;
  size_t skipped = 0;  // entries whose record was not a map
};

// Appends the events of message (one whole top-level object, as
// object_size measured it) to chunk, their values in its arena. Returns ""
// or what is wrong with the message (then chunk may hold some of its
// events: the caller drops it). max_unpacked bounds a gzipped entry stream
// once inflated.
std::string decode_message(std::string_view message, Chunk& chunk, DecodedMessage& out, size_t max_unpacked);

// A message's tag (its first item), read without the rest; nullopt when the
// message is not an array that starts with a string.
std::optional<std::string_view> message_tag(std::string_view message);

// The chunk option of any message whose last item is an option map, even
// one decode_message refused; "" if none.
std::string chunk_option(std::string_view message);

// The answer to a message with a chunk option: {"ack": chunk_id}.
std::string ack_for(std::string_view chunk_id);

}  // namespace sluice::forward
