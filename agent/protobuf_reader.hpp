// Reading protobuf's wire format (protobuf.dev/programming-guides/encoding)
// from untrusted bytes: one field at a time, without a schema or generated
// code. Every read is bounds-checked; a malformed message sets an error and
// makes every later read return nothing, so a decoder written as a plain loop
// over fields needs no check until its end.
#pragma once
#include <cstdint>
#include <cstring>
#include <string_view>

namespace sluice::protobuf {

enum class WireType : uint8_t { Varint = 0, Fixed64 = 1, Len = 2, StartGroup = 3, EndGroup = 4, Fixed32 = 5 };

// One field as read: its number and wire type, and its value (the varint or
// fixed number, or the bytes of a length-delimited field, pointing into the
// message).
struct Field {
  uint32_t number = 0;
  WireType type = WireType::Varint;
  uint64_t number_value = 0;  // Varint, Fixed64, Fixed32
  std::string_view bytes;     // Len: a string, bytes, an embedded message or a packed array
};

class Reader {
 public:
  explicit Reader(std::string_view message) : p_(message.data()), end_(message.data() + message.size()) {}

  // Reads the next field into f; false at the end of the message or on an
  // error (then error() says which). Groups (deprecated since proto2 and in
  // no OpenTelemetry message) are an error.
  bool next(Field& f) {
    if (error_ != nullptr || p_ == end_) return false;
    uint64_t key = 0;
    if (!varint(key)) return false;
    uint64_t number = key >> 3;
    if (number == 0 || number > 0x1FFFFFFF) return fail("a field number outside 1..2^29-1");
    f.number = static_cast<uint32_t>(number);
    f.type = static_cast<WireType>(key & 7);
    f.bytes = {};
    f.number_value = 0;
    switch (f.type) {
      case WireType::Varint:
        return varint(f.number_value);
      case WireType::Fixed64:
        return fixed(f.number_value, 8);
      case WireType::Fixed32:
        return fixed(f.number_value, 4);
      case WireType::Len: {
        uint64_t n = 0;
        if (!varint(n)) return false;
        if (n > static_cast<uint64_t>(end_ - p_)) return fail("a length past the end of the message");
        f.bytes = std::string_view(p_, static_cast<size_t>(n));
        p_ += n;
        return true;
      }
      default:
        return fail("a group or an unknown wire type");
    }
  }

  const char* error() const { return error_; }
  bool ok() const { return error_ == nullptr; }

 private:
  bool fail(const char* why) {
    error_ = why;
    return false;
  }

  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (p_ == end_) return fail("a varint cut short by the end of the message");
      auto byte = static_cast<uint8_t>(*p_++);
      if (shift == 63 && byte > 1) return fail("a varint longer than 64 bits");
      v |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return fail("a varint longer than 10 bytes");
  }

  bool fixed(uint64_t& v, size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) return fail("a fixed-width number cut short by the end of the message");
    uint8_t b[8] = {};
    std::memcpy(b, p_, n);
    p_ += n;
    v = 0;
    for (size_t i = n; i-- > 0;) v = (v << 8) | b[i];  // little-endian on the wire
    return true;
  }

  const char* p_;
  const char* end_;
  const char* error_ = nullptr;
};

// A field's value as the type its .proto declares, when the wire type is the
// one that type is encoded with (a mismatch is malformed).
inline bool is_varint(const Field& f) { return f.type == WireType::Varint; }
inline bool is_len(const Field& f) { return f.type == WireType::Len; }
inline double as_double(const Field& f) {
  double d;
  std::memcpy(&d, &f.number_value, sizeof d);
  return d;
}

}  // namespace sluice::protobuf
