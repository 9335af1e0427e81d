// MessagePack writing; see msgpack_writer.hpp.
#include "agent/msgpack_writer.hpp"

#include <cstring>

namespace sluice::msgpack {

void Writer::big_endian(uint64_t v, int bytes) {
  char b[8];
  for (int i = 0; i < bytes; ++i) b[i] = static_cast<char>(v >> (8 * (bytes - 1 - i)));
  out_.append(b, static_cast<size_t>(bytes));
}

void Writer::uinteger(uint64_t u) {
  if (u < 128) {
    out_.push_back(static_cast<char>(u));
  } else if (u <= 0xff) {
    out_.push_back(static_cast<char>(0xcc));
    big_endian(u, 1);
  } else if (u <= 0xffff) {
    out_.push_back(static_cast<char>(0xcd));
    big_endian(u, 2);
  } else if (u <= 0xffffffff) {
    out_.push_back(static_cast<char>(0xce));
    big_endian(u, 4);
  } else {
    out_.push_back(static_cast<char>(0xcf));
    big_endian(u, 8);
  }
}

void Writer::integer(int64_t i) {
  if (i >= 0) return uinteger(static_cast<uint64_t>(i));
  if (i >= -32) {
    out_.push_back(static_cast<char>(i));  // negative fixint: 111xxxxx
  } else if (i >= INT8_MIN) {
    out_.push_back(static_cast<char>(0xd0));
    big_endian(static_cast<uint64_t>(i), 1);
  } else if (i >= INT16_MIN) {
    out_.push_back(static_cast<char>(0xd1));
    big_endian(static_cast<uint64_t>(i), 2);
  } else if (i >= INT32_MIN) {
    out_.push_back(static_cast<char>(0xd2));
    big_endian(static_cast<uint64_t>(i), 4);
  } else {
    out_.push_back(static_cast<char>(0xd3));
    big_endian(static_cast<uint64_t>(i), 8);
  }
}

void Writer::real(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  out_.push_back(static_cast<char>(0xcb));
  big_endian(bits, 8);
}

void Writer::str(std::string_view s) {
  const uint64_t n = s.size();
  if (n < 32) {
    out_.push_back(static_cast<char>(0xa0 | n));
  } else if (n <= 0xff) {
    out_.push_back(static_cast<char>(0xd9));
    big_endian(n, 1);
  } else if (n <= 0xffff) {
    out_.push_back(static_cast<char>(0xda));
    big_endian(n, 2);
  } else {
    out_.push_back(static_cast<char>(0xdb));
    big_endian(n, 4);
  }
  out_.append(s);
}

void Writer::bin(std::string_view b) {
  const uint64_t n = b.size();
  if (n <= 0xff) {
    out_.push_back(static_cast<char>(0xc4));
    big_endian(n, 1);
  } else if (n <= 0xffff) {
    out_.push_back(static_cast<char>(0xc5));
    big_endian(n, 2);
  } else {
    out_.push_back(static_cast<char>(0xc6));
    big_endian(n, 4);
  }
  out_.append(b);
}

void Writer::array_header(uint32_t n) {
  if (n < 16) {
    out_.push_back(static_cast<char>(0x90 | n));
  } else if (n <= 0xffff) {
    out_.push_back(static_cast<char>(0xdc));
    big_endian(n, 2);
  } else {
    out_.push_back(static_cast<char>(0xdd));
    big_endian(n, 4);
  }
}

void Writer::map_header(uint32_t n) {
  if (n < 16) {
    out_.push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xffff) {
    out_.push_back(static_cast<char>(0xde));
    big_endian(n, 2);
  } else {
    out_.push_back(static_cast<char>(0xdf));
    big_endian(n, 4);
  }
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
  out_.push_back(static_cast<char>(0xd7));  // fixext 8
  out_.push_back(0);                        // type 0: EventTime
  big_endian(static_cast<uint64_t>(sec), 4);
  big_endian(static_cast<uint64_t>(nsec), 4);
}

void Writer::value(const Value& v) {
  switch (v.kind()) {
    case Kind::Null: return nil();
    case Kind::Bool: return boolean(v.as_bool());
    case Kind::Int: return integer(v.as_int());
    case Kind::Double: return real(v.as_double());
    case Kind::String: return str(v.as_string());
    case Kind::Array:
      array_header(v.size());
      for (const Value& item : v.items()) value(item);
      return;
    case Kind::Map:
      map_header(v.size());
      for (const Member& m : v.members()) {
        str(m.key.view());
        value(m.value);
      }
      return;
  }
}

}  // namespace sluice::msgpack
