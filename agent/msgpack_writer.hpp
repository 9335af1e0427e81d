// Writing MessagePack (the specification's smallest encoding of each
// value), as the Forward protocol carries it: records, Fluentd's EventTime
// and the protocol's own arrays and maps. The forward output builds its
// messages with it. Appends to a string; no I/O.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/value.hpp"

namespace sluice::msgpack {

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void nil() { out_.push_back(static_cast<char>(0xc0)); }
  void boolean(bool b) { out_.push_back(static_cast<char>(b ? 0xc3 : 0xc2)); }
  void integer(int64_t i);
  void uinteger(uint64_t u);
  void real(double d);
  void str(std::string_view s);
  void bin(std::string_view b);
  void array_header(uint32_t n);
  void map_header(uint32_t n);
  // Fluentd's EventTime: ext type 0, seconds and nanoseconds, 32 bits each,
  // big-endian. Times before 1970 or after 2106 don't fit: they are clamped.
  void event_time(int64_t time_ns);
  // A record value, maps and arrays in full.
  void value(const Value& v);

 private:
  std::string& out_;
};

}  // namespace sluice::msgpack
