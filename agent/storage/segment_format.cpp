// Segment and frame encoding; see segment_format.hpp.
#include "agent/storage/segment_format.hpp"

#include <cstring>

#include "agent/storage/crc32c.hpp"

namespace sluice::storage {

namespace {

constexpr std::string_view kSegmentMagic = "SLUICESG";
constexpr uint32_t kFrameMagic = 0x52464C53;   // "SLFR"
constexpr uint32_t kCommitMark = 0x4B4F4C53;   // "SLOK"

void put16(char* p, uint16_t v) {
  p[0] = static_cast<char>(v);
  p[1] = static_cast<char>(v >> 8);
}
void put32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
void put64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
uint16_t get16(const char* p) {
  return static_cast<uint16_t>(static_cast<uint8_t>(p[0]) | static_cast<uint8_t>(p[1]) << 8);
}
uint32_t get32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}
uint64_t get64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

}  // namespace

std::string segment_header(std::string_view input_name) {
  std::string h(kSegmentMagic);
  char b[4];
  put16(b, kSegmentVersion);
  h.append(b, 2);
  auto n = static_cast<uint16_t>(std::min<size_t>(input_name.size(), 0xFFFF));
  put16(b, n);
  h.append(b, 2);
  h.append(input_name.substr(0, n));
  put32(b, crc32c(h.data(), h.size()));
  h.append(b, 4);
  return h;
}

std::optional<size_t> parse_segment_header(std::string_view data, std::string* name) {
  constexpr size_t fixed = 8 + 2 + 2;
  if (data.size() < fixed + 4 || data.substr(0, 8) != kSegmentMagic) return std::nullopt;
  if (get16(data.data() + 8) != kSegmentVersion) return std::nullopt;
  size_t n = get16(data.data() + 10);
  if (data.size() < fixed + n + 4) return std::nullopt;
  if (get32(data.data() + fixed + n) != crc32c(data.data(), fixed + n)) return std::nullopt;
  if (name != nullptr) name->assign(data.substr(fixed, n));
  return fixed + n + 4;
}

void encode_frame_header(const FrameHeader& h, char* out) {
  std::memset(out, 0, kFrameHeaderSize);
  put32(out, kFrameMagic);
  out[4] = static_cast<char>(h.type);
  put32(out + 8, h.length);
  put32(out + 12, h.records);
  put64(out + 16, h.id);
  put32(out + 28, crc32c(out, 28));
}

void encode_frame_trailer(std::string_view payload, char* trailer) {
  put32(trailer, crc32c(payload.data(), payload.size()));
  put32(trailer + 4, kCommitMark);
}

void append_ack_ids(const std::vector<uint64_t>& ids, std::string& out) {
  char b[8];
  for (uint64_t id : ids) {
    put64(b, id);
    out.append(b, 8);
  }
}

uint64_t ack_id_at(std::string_view payload, uint32_t i) { return get64(payload.data() + 8 * size_t{i}); }

std::optional<FrameHeader> parse_frame_header(const char* p) {
  if (get32(p) != kFrameMagic || get32(p + 28) != crc32c(p, 28)) return std::nullopt;
  auto type = static_cast<uint8_t>(p[4]);
  if (type != static_cast<uint8_t>(FrameType::Chunk) && type != static_cast<uint8_t>(FrameType::Ack))
    return std::nullopt;
  FrameHeader h;
  h.type = static_cast<FrameType>(type);
  h.length = get32(p + 8);
  h.records = get32(p + 12);
  h.id = get64(p + 16);
  if (h.length > kMaxPayload) return std::nullopt;
  return h;
}

bool check_frame_trailer(std::string_view payload, const char* trailer) {
  return get32(trailer + 4) == kCommitMark && get32(trailer) == crc32c(payload.data(), payload.size());
}

FrameRead read_frame(std::string_view data, size_t offset) {
  FrameRead r;
  if (offset >= data.size()) return r;  // End
  size_t left = data.size() - offset;
  const char* p = data.data() + offset;
  if (left < kFrameHeaderSize) {
    // A header cut short: a torn write if what is there could be one.
    r.kind = FrameRead::Kind::Torn;
    return r;
  }
  auto h = parse_frame_header(p);
  if (!h) {
    r.kind = FrameRead::Kind::BadHeader;
    return r;
  }
  r.header = *h;
  r.size = kFrameOverhead + h->length;
  if (left < r.size) {
    r.kind = FrameRead::Kind::Torn;
    return r;
  }
  r.payload = std::string_view(p + kFrameHeaderSize, h->length);
  r.kind = check_frame_trailer(r.payload, p + kFrameHeaderSize + h->length) ? FrameRead::Kind::Frame
                                                                            : FrameRead::Kind::BadPayload;
  if (r.kind == FrameRead::Kind::Frame && h->type == FrameType::Ack &&
      static_cast<uint64_t>(h->records) * 8 != h->length)
    r.kind = FrameRead::Kind::BadPayload;
  return r;
}

std::optional<size_t> resync(std::string_view data, size_t offset) {
  for (size_t at = offset + 1; at + kFrameOverhead <= data.size(); ++at) {
    if (get32(data.data() + at) != kFrameMagic) continue;
    FrameRead r = read_frame(data, at);
    if (r.kind == FrameRead::Kind::Frame) return at;
  }
  return std::nullopt;
}

}  // namespace sluice::storage
