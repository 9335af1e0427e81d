// Writing protobuf's wire format (protobuf.dev/programming-guides/encoding)
// without generated code: a message is built into a string field by field,
// an embedded message as a length-delimited field holding its own bytes.
// Proto3's rule is the caller's: fields at their default (0, "") are left out.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sluice::protobuf {

inline void append_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

inline void append_key(std::string& out, uint32_t field, uint8_t wire_type) {
  append_varint(out, (uint64_t{field} << 3) | wire_type);
}

// Wire type 0: int32, int64 (negative numbers as 10 bytes), uint32, uint64, bool, enums.
inline void append_varint_field(std::string& out, uint32_t field, uint64_t v) {
  append_key(out, field, 0);
  append_varint(out, v);
}

// Wire type 2: string, bytes, an embedded message (its encoded bytes).
inline void append_len_field(std::string& out, uint32_t field, std::string_view bytes) {
  append_key(out, field, 2);
  append_varint(out, bytes.size());
  out.append(bytes);
}

// Wire type 1 (fixed64, double) and 5 (fixed32): little-endian.
inline void append_fixed64_field(std::string& out, uint32_t field, uint64_t v) {
  append_key(out, field, 1);
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}
inline void append_fixed32_field(std::string& out, uint32_t field, uint32_t v) {
  append_key(out, field, 5);
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}
inline void append_double_field(std::string& out, uint32_t field, double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  append_fixed64_field(out, field, bits);
}

}  // namespace sluice::protobuf
