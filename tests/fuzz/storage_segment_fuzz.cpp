// libFuzzer target for the filesystem buffer's reader: any bytes, read as a
// segment file (header, frames, resynchronisation after damage) and as a
// chunk payload, must be sorted into frames, torn tails and damage without
// crashing; every chunk that decodes must encode to the same bytes and its
// records to JSON. A segment is untrusted input: a disk can return anything.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "agent/json_writer.hpp"
#include "agent/storage/chunk_codec.hpp"
#include "agent/storage/segment_format.hpp"

namespace {

using namespace sluice;
using namespace sluice::storage;

void decode(std::string_view payload) {
  std::string error;
  ChunkPtr chunk = decode_chunk(payload, &error);
  if (!chunk) {
    if (error.empty()) std::abort();
    return;
  }
  std::string again;
  encode_chunk(*chunk, again);
  // Varints may be written longer than needed in the input: compare by decoding again.
  ChunkPtr twice = decode_chunk(again, &error);
  if (!twice || twice->events.size() != chunk->events.size() || twice->tag != chunk->tag) std::abort();
  for (size_t i = 0; i < chunk->events.size(); ++i) {
    if (!chunk->events[i].record.is_map()) std::abort();
    if (json::to_string(chunk->events[i].record) != json::to_string(twice->events[i].record)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  decode(bytes);

  std::string name;
  size_t pos = parse_segment_header(bytes, &name).value_or(0);
  for (int steps = 0; steps < 100000; ++steps) {
    FrameRead r = read_frame(bytes, pos);
    if (r.kind == FrameRead::Kind::End || r.kind == FrameRead::Kind::Torn) break;
    if (r.kind == FrameRead::Kind::BadHeader) {
      auto next = resync(bytes, pos);
      if (!next) break;
      if (*next <= pos) std::abort();
      pos = *next;
      continue;
    }
    if (r.size < kFrameOverhead || pos + r.size > bytes.size()) std::abort();
    if (r.kind == FrameRead::Kind::Frame && r.header.type == FrameType::Chunk) decode(r.payload);
    if (r.kind == FrameRead::Kind::Frame && r.header.type == FrameType::Ack)
      for (uint32_t i = 0; i < r.header.records; ++i) (void)ack_id_at(r.payload, i);
    pos += r.size;
  }
  return 0;
}
