// MessagePack writing; see msgpack_writer.hpp.
#include "agent/msgpack_writer.hpp"

#include <algorithm>
#include <cstring>

namespace sluice::msgpack {

// Each value goes in with one or two appends: the per-call cost of
// std::string's push_back was a quarter of the forward output's encoding.
void Writer::head(uint8_t type, uint64_t v, int bytes) {
  char b[9];
  b[0] = static_cast<char>(type);
  for (int i = 0; i < bytes; ++i) b[1 + i] = static_cast<char>(v >> (8 * (bytes - 1 - i)));
  out_.append(b, static_cast<size_t>(bytes) + 1);
}

void Writer::uinteger(uint64_t u) {
  if (u < 128) return out_.push_back(static_cast<char>(u));
  if (u <= 0xff) return head(0xcc, u, 1);
  if (u <= 0xffff) return head(0xcd, u, 2);
  if (u <= 0xffffffff) return head(0xce, u, 4);
  head(0xcf, u, 8);
}

void Writer::integer(int64_t i) {
  if (i >= 0) return uinteger(static_cast<uint64_t>(i));
  const auto bits = static_cast<uint64_t>(i);
  if (i >= -32) return out_.push_back(static_cast<char>(i));  // negative fixint: 111xxxxx
  if (i >= INT8_MIN) return head(0xd0, bits, 1);
  if (i >= INT16_MIN) return head(0xd1, bits, 2);
  if (i >= INT32_MIN) return head(0xd2, bits, 4);
  head(0xd3, bits, 8);
}

void Writer::real(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  head(0xcb, bits, 8);
}

void Writer::str(std::string_view s) {
  const uint64_t n = s.size();
  if (n < 32) {
    // Most keys and many values: the fixstr byte and the text in one append.
    char b[32];
    b[0] = static_cast<char>(0xa0 | n);
    if (n > 0) std::memcpy(b + 1, s.data(), n);  // an empty value's text may be a null pointer
    out_.append(b, n + 1);
    return;
  }
  if (n <= 0xff) head(0xd9, n, 1);
  else if (n <= 0xffff) head(0xda, n, 2);
  else head(0xdb, n, 4);
  out_.append(s);
}

void Writer::bin(std::string_view b) {
  const uint64_t n = b.size();
  if (n <= 0xff) head(0xc4, n, 1);
  else if (n <= 0xffff) head(0xc5, n, 2);
  else head(0xc6, n, 4);
  out_.append(b);
}

void Writer::array_header(uint32_t n) {
  if (n < 16) return out_.push_back(static_cast<char>(0x90 | n));
  if (n <= 0xffff) return head(0xdc, n, 2);
  head(0xdd, n, 4);
}

void Writer::map_header(uint32_t n) {
  if (n < 16) return out_.push_back(static_cast<char>(0x80 | n));
  if (n <= 0xffff) return head(0xde, n, 2);
  head(0xdf, n, 4);
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
  // fixext 8, type 0 (EventTime), seconds and nanoseconds.
  char b[10] = {static_cast<char>(0xd7), 0};
  for (int i = 0; i < 4; ++i) {
    b[2 + i] = static_cast<char>(static_cast<uint64_t>(sec) >> (8 * (3 - i)));
    b[6 + i] = static_cast<char>(static_cast<uint64_t>(nsec) >> (8 * (3 - i)));
  }
  out_.append(b, 10);
}

namespace {

// Writes a record straight into the string's bytes: the string is grown
// (zero-filled) ahead of the writes and cut back to what was written at the
// end, so that no field pays std::string's per-append checks. A record of
// 200-odd bytes takes one resize up and one down.
class RawWriter {
 public:
  explicit RawWriter(std::string& out)
      : out_(out), data_(out.data()), start_(out.size()), pos_(out.size()), end_(out.size()) {}
  ~RawWriter() { out_.resize(pos_); }

  void value(const Value& v) {
    switch (v.kind()) {
      case Kind::Null: return byte(0xc0);
      case Kind::Bool: return byte(v.as_bool() ? 0xc3 : 0xc2);
      case Kind::Int: return integer(v.as_int());
      case Kind::Double: {
        uint64_t bits;
        double d = v.as_double();
        std::memcpy(&bits, &d, 8);
        return head(0xcb, bits, 8);
      }
      case Kind::String: return str(v.as_string());
      case Kind::Array:
        container(0x90, 0xdc, v.size());
        for (const Value& item : v.items()) value(item);
        return;
      case Kind::Map:
        container(0x80, 0xde, v.size());
        for (const Member& m : v.members()) {
          str(m.key.view());
          value(m.value);
        }
        return;
    }
  }

 private:
  __attribute__((always_inline)) char* room(size_t n) {
    if (pos_ + n > end_) grow(n);
    char* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  __attribute__((noinline)) void grow(size_t n) {
    out_.resize(std::max(pos_ + n, pos_ + std::max<size_t>(256, pos_ - start_)));
    data_ = out_.data();
    end_ = out_.size();
  }
  void byte(uint8_t b) { *room(1) = static_cast<char>(b); }
  void head(uint8_t type, uint64_t v, int bytes) {
    char* p = room(static_cast<size_t>(bytes) + 1);
    p[0] = static_cast<char>(type);
    for (int i = 0; i < bytes; ++i) p[1 + i] = static_cast<char>(v >> (8 * (bytes - 1 - i)));
  }
  void integer(int64_t i) {
    const auto u = static_cast<uint64_t>(i);
    if (i >= 0) {
      if (u < 128) return byte(static_cast<uint8_t>(u));
      if (u <= 0xff) return head(0xcc, u, 1);
      if (u <= 0xffff) return head(0xcd, u, 2);
      if (u <= 0xffffffff) return head(0xce, u, 4);
      return head(0xcf, u, 8);
    }
    if (i >= -32) return byte(static_cast<uint8_t>(i));
    if (i >= INT8_MIN) return head(0xd0, u, 1);
    if (i >= INT16_MIN) return head(0xd1, u, 2);
    if (i >= INT32_MIN) return head(0xd2, u, 4);
    head(0xd3, u, 8);
  }
  void str(std::string_view s) {
    const uint64_t n = s.size();
    char* p;
    if (n < 32) {
      p = room(n + 1);
      *p++ = static_cast<char>(0xa0 | n);
    } else {
      if (n <= 0xff) head(0xd9, n, 1);
      else if (n <= 0xffff) head(0xda, n, 2);
      else head(0xdb, n, 4);
      p = room(n);
    }
    if (n > 0) std::memcpy(p, s.data(), n);  // an empty value's text may be a null pointer
  }
  void container(uint8_t fix, uint8_t type16, uint32_t n) {
    if (n < 16) return byte(static_cast<uint8_t>(fix | n));
    if (n <= 0xffff) return head(type16, n, 2);
    head(static_cast<uint8_t>(type16 + 1), n, 4);  // array32 0xdd, map32 0xdf
  }

  std::string& out_;
  char* data_;    // out_.data() since the last grow
  size_t start_;  // where this record began
  size_t pos_;    // where the next byte goes
  size_t end_;    // out_.size() since the last grow
};

}  // namespace

void Writer::value(const Value& v) { RawWriter(out_).value(v); }

}  // namespace sluice::msgpack
