// MessagePack writing; see msgpack_writer.hpp.
#include "agent/msgpack_writer.hpp"

#include <algorithm>
#include <cstring>

namespace sluice::msgpack {

namespace {

// The encodings, shared by the appending writer and the record writer below:
// each writes a type byte and its big-endian length or value into b (room
// for 9 bytes) and returns how many bytes it wrote.
__attribute__((always_inline)) inline size_t put(char* b, uint8_t type, uint64_t v, int bytes) {
  b[0] = static_cast<char>(type);
  for (int i = 0; i < bytes; ++i) b[1 + i] = static_cast<char>(v >> (8 * (bytes - 1 - i)));
  return static_cast<size_t>(bytes) + 1;
}

__attribute__((always_inline)) inline size_t put_uint(char* b, uint64_t u) {
  if (u < 128) return b[0] = static_cast<char>(u), 1;
  if (u <= 0xff) return put(b, 0xcc, u, 1);
  if (u <= 0xffff) return put(b, 0xcd, u, 2);
  if (u <= 0xffffffff) return put(b, 0xce, u, 4);
  return put(b, 0xcf, u, 8);
}

__attribute__((always_inline)) inline size_t put_int(char* b, int64_t i) {
  if (i >= 0) return put_uint(b, static_cast<uint64_t>(i));
  const auto bits = static_cast<uint64_t>(i);
  if (i >= -32) return b[0] = static_cast<char>(i), 1;  // negative fixint: 111xxxxx
  if (i >= INT8_MIN) return put(b, 0xd0, bits, 1);
  if (i >= INT16_MIN) return put(b, 0xd1, bits, 2);
  if (i >= INT32_MIN) return put(b, 0xd2, bits, 4);
  return put(b, 0xd3, bits, 8);
}

__attribute__((always_inline)) inline size_t put_double(char* b, double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  return put(b, 0xcb, bits, 8);
}

__attribute__((always_inline)) inline size_t put_str_head(char* b, uint64_t n) {
  if (n < 32) return b[0] = static_cast<char>(0xa0 | n), 1;
  if (n <= 0xff) return put(b, 0xd9, n, 1);
  if (n <= 0xffff) return put(b, 0xda, n, 2);
  return put(b, 0xdb, n, 4);
}

__attribute__((always_inline)) inline size_t put_bin_head(char* b, uint64_t n) {
  if (n <= 0xff) return put(b, 0xc4, n, 1);
  if (n <= 0xffff) return put(b, 0xc5, n, 2);
  return put(b, 0xc6, n, 4);
}

// fix is fixarray's or fixmap's type byte; the 16- and 32-bit forms follow it.
__attribute__((always_inline)) inline size_t put_container_head(char* b, uint8_t fix, uint8_t type16, uint32_t n) {
  if (n < 16) return b[0] = static_cast<char>(fix | n), 1;
  if (n <= 0xffff) return put(b, type16, n, 2);
  return put(b, static_cast<uint8_t>(type16 + 1), n, 4);
}

constexpr size_t kMaxHead = 9;

// Writes a record straight into the string's bytes: the string is grown
// (zero-filled) ahead of the writes and cut back to what was written at the
// end, so that no field pays std::string's per-append checks (a quarter of
// the forward output's encoding when it appended). A record of 200-odd
// bytes takes one resize up and one down.
class RawWriter {
 public:
  explicit RawWriter(std::string& out)
      : out_(out), data_(out.data()), start_(out.size()), pos_(out.size()), end_(out.size()) {}
  ~RawWriter() { out_.resize(pos_); }

  void value(const Value& v) {
    switch (v.kind()) {
      case Kind::Null: return byte(0xc0);
      case Kind::Bool: return byte(v.as_bool() ? 0xc3 : 0xc2);
      case Kind::Int: return head(put_int(room(kMaxHead), v.as_int()));
      case Kind::Double: return head(put_double(room(kMaxHead), v.as_double()));
      case Kind::String: return str(v.as_string());
      case Kind::Array:
        head(put_container_head(room(kMaxHead), 0x90, 0xdc, v.size()));
        for (const Value& item : v.items()) value(item);
        return;
      case Kind::Map:
        head(put_container_head(room(kMaxHead), 0x80, 0xde, v.size()));
        for (const Member& m : v.members()) {
          str(m.key.view());
          value(m.value);
        }
        return;
    }
  }

 private:
  // A pointer to n writable bytes at the end; head() or the caller says how many were used.
  __attribute__((always_inline)) char* room(size_t n) {
    if (pos_ + n > end_) grow(n);
    return data_ + pos_;
  }
  void head(size_t used) { pos_ += used; }
  __attribute__((noinline)) void grow(size_t n) {
    out_.resize(std::max(pos_ + n, pos_ + std::max<size_t>(256, pos_ - start_)));
    data_ = out_.data();
    end_ = out_.size();
  }
  void byte(uint8_t b) {
    *room(1) = static_cast<char>(b);
    ++pos_;
  }
  void str(std::string_view s) {
    const size_t n = s.size();
    char* p = room(kMaxHead + n);
    size_t h = put_str_head(p, n);
    if (n > 0) std::memcpy(p + h, s.data(), n);  // an empty value's text may be a null pointer
    pos_ += h + n;
  }

  std::string& out_;
  char* data_;    // out_.data() since the last grow
  size_t start_;  // where this record began
  size_t pos_;    // where the next byte goes
  size_t end_;    // out_.size() since the last grow
};

}  // namespace

void Writer::uinteger(uint64_t u) {
  char b[kMaxHead];
  out_.append(b, put_uint(b, u));
}

void Writer::integer(int64_t i) {
  char b[kMaxHead];
  out_.append(b, put_int(b, i));
}

void Writer::real(double d) {
  char b[kMaxHead];
  out_.append(b, put_double(b, d));
}

void Writer::str(std::string_view s) {
  char b[kMaxHead];
  out_.append(b, put_str_head(b, s.size()));
  out_.append(s);
}

void Writer::bin(std::string_view s) {
  char b[kMaxHead];
  out_.append(b, put_bin_head(b, s.size()));
  out_.append(s);
}

void Writer::array_header(uint32_t n) {
  char b[kMaxHead];
  out_.append(b, put_container_head(b, 0x90, 0xdc, n));
}

void Writer::map_header(uint32_t n) {
  char b[kMaxHead];
  out_.append(b, put_container_head(b, 0x80, 0xde, n));
}

void Writer::event_time(int64_t time_ns) {
  constexpr int64_t kNs = 1'000'000'000;
  int64_t sec = time_ns / kNs;
  int64_t nsec = time_ns % kNs;
  if (nsec < 0) {  // floor, so that a time before 1970 rounds down, not toward zero
    nsec += kNs;
    --sec;
  }
  if (sec < 0) sec = nsec = 0;
  if (sec > 0xffffffffLL) {
    sec = 0xffffffffLL;
    nsec = kNs - 1;
  }
  // fixext 8, type 0 (EventTime), seconds and nanoseconds, 32 bits each.
  char b[10] = {static_cast<char>(0xd7), 0};
  uint64_t both = (static_cast<uint64_t>(sec) << 32) | static_cast<uint64_t>(nsec);
  for (int i = 0; i < 8; ++i) b[2 + i] = static_cast<char>(both >> (8 * (7 - i)));
  out_.append(b, 10);
}

void Writer::value(const Value& v) { RawWriter(out_).value(v); }

}  // namespace sluice::msgpack
