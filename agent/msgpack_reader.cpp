// MessagePack reading; see msgpack_reader.hpp.
#include "agent/msgpack_reader.hpp"

#include <cmath>
#include <cstring>
#include <limits>

#include "agent/json_writer.hpp"
#include "agent/record.hpp"

namespace sluice::msgpack {

namespace {

constexpr int64_t kNsPerSec = 1'000'000'000;
constexpr int8_t kEventTimeExt = 0;

// How an object starts: the bytes of its header, the bytes after the header
// that belong to it (strings, bins, exts, numbers), and the objects nested
// in it (arrays: n, maps: 2n). header 0: not MessagePack (0xc1).
struct Shape {
  size_t header = 1;
  size_t length_bytes = 0;  // big-endian length after the first byte (0, 1, 2 or 4)
  uint64_t payload = 0;     // fixed payload when length_bytes is 0
  int extra = 0;            // bytes between the length and the payload (an ext's type)
  enum { Scalar, Text, Ext, Array, Map } kind = Scalar;
};

Shape shape_of(uint8_t b) {
  Shape s;
  if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) return s;
  if (b <= 0x8f) return s.kind = Shape::Map, s.payload = b & 0x0f, s;
  if (b <= 0x9f) return s.kind = Shape::Array, s.payload = b & 0x0f, s;
  if (b <= 0xbf) return s.kind = Shape::Text, s.payload = b & 0x1f, s;
  switch (b) {
    case 0xc4: case 0xd9: s.kind = Shape::Text; s.length_bytes = 1; break;
    case 0xc5: case 0xda: s.kind = Shape::Text; s.length_bytes = 2; break;
    case 0xc6: case 0xdb: s.kind = Shape::Text; s.length_bytes = 4; break;
    case 0xc7: s.kind = Shape::Ext; s.length_bytes = 1; s.extra = 1; break;
    case 0xc8: s.kind = Shape::Ext; s.length_bytes = 2; s.extra = 1; break;
    case 0xc9: s.kind = Shape::Ext; s.length_bytes = 4; s.extra = 1; break;
    case 0xca: s.payload = 4; break;
    case 0xcb: s.payload = 8; break;
    case 0xcc: case 0xd0: s.payload = 1; break;
    case 0xcd: case 0xd1: s.payload = 2; break;
    case 0xce: case 0xd2: s.payload = 4; break;
    case 0xcf: case 0xd3: s.payload = 8; break;
    case 0xd4: s.kind = Shape::Ext; s.extra = 1; s.payload = 1; break;
    case 0xd5: s.kind = Shape::Ext; s.extra = 1; s.payload = 2; break;
    case 0xd6: s.kind = Shape::Ext; s.extra = 1; s.payload = 4; break;
    case 0xd7: s.kind = Shape::Ext; s.extra = 1; s.payload = 8; break;
    case 0xd8: s.kind = Shape::Ext; s.extra = 1; s.payload = 16; break;
    case 0xdc: s.kind = Shape::Array; s.length_bytes = 2; break;
    case 0xdd: s.kind = Shape::Array; s.length_bytes = 4; break;
    case 0xde: s.kind = Shape::Map; s.length_bytes = 2; break;
    case 0xdf: s.kind = Shape::Map; s.length_bytes = 4; break;
    default: s.header = 0; break;  // 0xc1, never used
  }
  return s;
}

uint64_t read_big_endian(std::string_view bytes, size_t at, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(bytes[at + i]);
  return v;
}

}  // namespace

int64_t object_size(std::string_view bytes, std::string* error) {
  size_t pos = 0;
  uint64_t pending = 1;  // objects still to read; each container adds its own
  while (pending > 0) {
    if (pos >= bytes.size()) return 0;
    --pending;
    Shape s = shape_of(static_cast<uint8_t>(bytes[pos]));
    if (s.header == 0) {
      if (error) *error = "byte 0xc1 at offset " + std::to_string(pos) + " is not MessagePack";
      return -1;
    }
    size_t head = 1 + s.length_bytes + s.extra;
    if (bytes.size() - pos < head) return 0;
    uint64_t n = s.length_bytes ? read_big_endian(bytes, pos + 1, s.length_bytes) : s.payload;
    pos += head;
    if (s.kind == Shape::Array) {
      pending += n;
    } else if (s.kind == Shape::Map) {
      pending += 2 * n;
    } else {
      if (bytes.size() - pos < n) return 0;
      pos += n;
    }
  }
  return static_cast<int64_t>(pos);
}

uint64_t Cursor::big_endian(size_t at, size_t n) const { return read_big_endian(bytes_, at, n); }

bool Cursor::header(uint8_t& kind, uint64_t& length, size_t& header_size) const {
  if (!need(1)) return false;
  Shape s = shape_of(static_cast<uint8_t>(bytes_[pos_]));
  if (s.header == 0) return false;
  header_size = 1 + s.length_bytes + s.extra;
  if (!need(header_size)) return false;
  length = s.length_bytes ? big_endian(pos_ + 1, s.length_bytes) : s.payload;
  kind = static_cast<uint8_t>(s.kind);
  return true;
}

bool Cursor::container(uint8_t want, uint32_t& n) {
  uint8_t kind = 0;
  uint64_t length = 0;
  size_t head = 0;
  if (!header(kind, length, head) || kind != want) return false;
  pos_ += head;
  n = static_cast<uint32_t>(length);
  return true;
}

bool Cursor::array_header(uint32_t& n) { return container(Shape::Array, n); }
bool Cursor::map_header(uint32_t& n) { return container(Shape::Map, n); }

bool Cursor::text(std::string_view& s) {
  uint8_t kind = 0;
  uint64_t length = 0;
  size_t head = 0;
  if (!header(kind, length, head) || kind != Shape::Text || bytes_.size() - pos_ - head < length) return false;
  s = bytes_.substr(pos_ + head, length);
  pos_ += head + length;
  return true;
}

bool Cursor::nil() {
  if (!need(1) || static_cast<uint8_t>(bytes_[pos_]) != 0xc0) return false;
  ++pos_;
  return true;
}

bool Cursor::boolean(bool& out) {
  if (!need(1)) return false;
  uint8_t b = static_cast<uint8_t>(bytes_[pos_]);
  if (b != 0xc2 && b != 0xc3) return false;
  out = b == 0xc3;
  ++pos_;
  return true;
}

bool Cursor::event_time(int64_t& time_ns) {
  if (!need(1)) return false;
  uint8_t b = static_cast<uint8_t>(bytes_[pos_]);
  // EventTime: fixext 8 (0xd7) or ext 8 (0xc7, length 8), type 0.
  size_t head = b == 0xd7 ? 2 : (b == 0xc7 && need(2) && static_cast<uint8_t>(bytes_[pos_ + 1]) == 8) ? 3 : 0;
  if (head != 0) {
    if (!need(head + 8) || static_cast<int8_t>(bytes_[pos_ + head - 1]) != kEventTimeExt) return false;
    auto sec = static_cast<int64_t>(big_endian(pos_ + head, 4));
    auto nsec = static_cast<int64_t>(big_endian(pos_ + head + 4, 4));
    if (nsec >= kNsPerSec) return false;
    time_ns = sec * kNsPerSec + nsec;
    pos_ += head + 8;
    return true;
  }
  Cursor probe = *this;
  Value v;
  if (!probe.number(v)) return false;
  double seconds = v.is_int() ? static_cast<double>(v.as_int()) : v.as_double();
  if (!(seconds > -9.2e9 && seconds < 9.2e9)) return false;  // int64 nanoseconds: years 1678 to 2262
  if (v.is_int()) {
    time_ns = v.as_int() * kNsPerSec;
  } else {  // whole seconds and the fraction apart: a double can't hold nanoseconds since 1970
    double whole = std::floor(seconds);
    time_ns = static_cast<int64_t>(whole) * kNsPerSec + std::llround((seconds - whole) * 1e9);
  }
  *this = probe;
  return true;
}

bool Cursor::number(Value& out) {
  if (!need(1)) return false;
  const uint8_t b = static_cast<uint8_t>(bytes_[pos_]);
  if (b <= 0x7f) return out = Value::integer(b), ++pos_, true;
  if (b >= 0xe0) return out = Value::integer(static_cast<int8_t>(b)), ++pos_, true;
  switch (b) {
    case 0xca: case 0xcb: {
      size_t n = b == 0xca ? 4 : 8;
      if (!need(1 + n)) return false;
      uint64_t bits = big_endian(pos_ + 1, n);
      double d = 0;
      if (n == 4) {
        auto bits32 = static_cast<uint32_t>(bits);
        float f = 0;
        std::memcpy(&f, &bits32, sizeof f);
        d = f;
      } else {
        std::memcpy(&d, &bits, sizeof d);
      }
      pos_ += 1 + n;
      out = Value::real(d);
      return true;
    }
    case 0xcc: case 0xcd: case 0xce: case 0xcf: {
      size_t n = size_t{1} << (b - 0xcc);
      if (!need(1 + n)) return false;
      uint64_t u = big_endian(pos_ + 1, n);
      pos_ += 1 + n;
      out = u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ? Value::integer(static_cast<int64_t>(u))
                                                                            : Value::real(static_cast<double>(u));
      return true;
    }
    case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
      size_t n = size_t{1} << (b - 0xd0);
      if (!need(1 + n)) return false;
      uint64_t u = big_endian(pos_ + 1, n);
      // Sign-extend from n bytes.
      int shift = static_cast<int>(64 - 8 * n);
      auto i = static_cast<int64_t>(u << shift) >> shift;
      pos_ += 1 + n;
      out = Value::integer(i);
      return true;
    }
    default: return false;
  }
}

bool Cursor::skip() {
  std::string_view rest = bytes_.substr(pos_);
  int64_t n = object_size(rest, nullptr);
  if (n <= 0) return false;
  pos_ += static_cast<size_t>(n);
  return true;
}

bool Cursor::value(Arena& arena, Value& out, int depth) {
  if (!need(1) || depth > kMaxDepth) return false;
  const size_t start = pos_;
  const uint8_t b = static_cast<uint8_t>(bytes_[pos_]);
  auto fail = [&] {
    pos_ = start;
    return false;
  };
  if (number(out)) return true;
  switch (b) {
    case 0xc0: return out = Value::null(), ++pos_, true;
    case 0xc2: return out = Value::boolean(false), ++pos_, true;
    case 0xc3: return out = Value::boolean(true), ++pos_, true;
    default: break;
  }
  uint8_t kind = 0;
  uint64_t length = 0;
  size_t head = 0;
  if (!header(kind, length, head)) return fail();
  const size_t left = bytes_.size() - pos_ - head;
  switch (kind) {
    case Shape::Text: {
      if (left < length) return fail();
      out = record::string(arena, bytes_.substr(pos_ + head, length));
      pos_ += head + length;
      return true;
    }
    case Shape::Ext: {
      if (left < length) return fail();
      auto type = static_cast<int8_t>(bytes_[pos_ + head - 1]);
      std::string_view payload = bytes_.substr(pos_ + head, length);
      if (type == kEventTimeExt && length == 8) {
        double sec = static_cast<double>(big_endian(pos_ + head, 4));
        double nsec = static_cast<double>(big_endian(pos_ + head + 4, 4));
        out = Value::real(sec + nsec / 1e9);
      } else {
        out = record::string(arena, payload);
      }
      pos_ += head + length;
      return true;
    }
    case Shape::Array: {
      if (length > left) return fail();  // each item takes a byte at least
      pos_ += head;
      auto n = static_cast<uint32_t>(length);
      Value* items = arena.allocate_array<Value>(n);
      for (uint32_t i = 0; i < n; ++i)
        if (!value(arena, items[i], depth + 1)) return fail();
      out = Value::array(items, n);
      return true;
    }
    case Shape::Map: {
      if (length > left / 2) return fail();
      pos_ += head;
      auto n = static_cast<uint32_t>(length);
      Member* members = arena.allocate_array<Member>(n);
      for (uint32_t i = 0; i < n; ++i) {
        std::string_view key;
        if (!text(key)) {
          // A key that isn't a string: its JSON text, as Fluent Bit's JSON would show it.
          Value k;
          if (!value(arena, k, depth + 1)) return fail();
          key = arena.copy(json::to_string(k));
        } else {
          key = arena.copy(key);
        }
        members[i].key = Key(key);
        if (!value(arena, members[i].value, depth + 1)) return fail();
      }
      out = Value::map(members, n);
      return true;
    }
    default: return fail();
  }
}

}  // namespace sluice::msgpack
