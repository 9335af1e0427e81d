// The filesystem buffer's file format: a segment file is a header and a
// sequence of frames. Pure functions over bytes, shared by the writer, the
// recovery scan, the backlog reader and the fuzz target.
//
//   segment := header frame*
//   header  := "SLUICESG" u16(version=1) u16(name length) name u32(CRC32C of what precedes)
//   frame   := frame header (32 bytes) payload trailer (8 bytes)
//   frame header := u32 magic "SLFR" | u8 type | u8 0 | u16 0 | u32 payload length | u32 records
//                 | u64 id | u32 0 | u32 CRC32C of the 28 bytes before
//   trailer := u32 CRC32C of the payload | u32 commit mark "SLOK"
//
// Integers are little-endian. The trailer is the commit marker: a frame
// counts only when it is whole and both checksums match, so a write torn by a
// crash is recognised and cut back. A chunk frame's payload is a chunk
// (chunk_codec.hpp); an ack frame's is `records` u64 ids of chunks of this
// segment that every output is done with.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::storage {

enum class FrameType : uint8_t { Chunk = 1, Ack = 2 };

inline constexpr size_t kFrameHeaderSize = 32;
inline constexpr size_t kFrameTrailerSize = 8;
inline constexpr size_t kFrameOverhead = kFrameHeaderSize + kFrameTrailerSize;
// A payload longer than this is a damaged header, not a chunk.
inline constexpr uint32_t kMaxPayload = 256u * 1024 * 1024;
inline constexpr uint16_t kSegmentVersion = 1;

struct FrameHeader {
  FrameType type = FrameType::Chunk;
  uint32_t length = 0;   // payload bytes
  uint32_t records = 0;  // chunk: events; ack: ids
  uint64_t id = 0;       // chunk: its id; ack: 0
};

// The segment header for an input instance.
std::string segment_header(std::string_view input_name);
// Parses a segment header at the start of data: its size, or nullopt when
// damaged (or too short); *name gets the input's name.
std::optional<size_t> parse_segment_header(std::string_view data, std::string* name);

// Writes a frame header into out[0..32) for a payload that follows, and the
// trailer into trailer[0..8).
void encode_frame_header(const FrameHeader& h, char* out);
void encode_frame_trailer(std::string_view payload, char* trailer);

// An ack frame's payload: ids as u64 each; and the i-th id of one.
void append_ack_ids(const std::vector<uint64_t>& ids, std::string& out);
uint64_t ack_id_at(std::string_view payload, uint32_t i);

// One step of reading frames from data at offset.
struct FrameRead {
  enum class Kind {
    Frame,      // a whole frame with valid checksums: header, payload
    End,        // offset is at the end of data
    Torn,       // the frame starting here runs past the end of data (a torn write)
    BadHeader,  // no valid frame header here: framing is lost
    BadPayload  // a valid header, but the payload or trailer does not match
  } kind = Kind::End;
  FrameHeader header;
  std::string_view payload;
  size_t size = 0;  // bytes of the whole frame (Frame, BadPayload)
};
FrameRead read_frame(std::string_view data, size_t offset);

// Parses a header alone (32 bytes): nullopt when its magic or checksum is wrong.
std::optional<FrameHeader> parse_frame_header(const char* p);
// True when payload and trailer (8 bytes after it) belong together.
bool check_frame_trailer(std::string_view payload, const char* trailer);

// After a BadHeader at offset: the next offset at which a whole valid frame
// starts, or nullopt (the rest of data is damaged).
std::optional<size_t> resync(std::string_view data, size_t offset);

}  // namespace sluice::storage
