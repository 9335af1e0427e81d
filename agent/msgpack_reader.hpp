// Reading MessagePack as the Forward protocol carries it (Fluentd's, which
// Fluent Bit, Docker's fluentd log driver and the fluent-logger libraries
// speak; the forward input reads messages, the forward output the server's
// handshake and acks): a check that a whole object has arrived, and a cursor
// that reads objects into sluice's records. Both are bounded: no read past the bytes given, no
// recursion past kMaxDepth. Pure; no I/O.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/arena.hpp"
#include "agent/value.hpp"

namespace sluice::msgpack {

constexpr int kMaxDepth = 64;

// The size of the first object in bytes: > 0 when it is all there, 0 when
// more bytes are needed, -1 when the bytes are not MessagePack (the unused
// byte 0xc1), with *error saying so.
int64_t object_size(std::string_view bytes, std::string* error);

// Reads objects one after the other. Every read returns false, and leaves
// the cursor where it was, when the next object is not of the kind asked
// for or doesn't fit in the bytes.
class Cursor {
 public:
  explicit Cursor(std::string_view bytes) : bytes_(bytes) {}

  bool at_end() const { return pos_ >= bytes_.size(); }
  size_t position() const { return pos_; }

  bool array_header(uint32_t& n);
  bool map_header(uint32_t& n);
  // A str or a bin, as bytes.
  bool text(std::string_view& s);
  bool nil();
  bool boolean(bool& out);
  // An event's time: integer or float seconds, or Fluentd's EventTime (ext
  // type 0: seconds and nanoseconds, 32 bits each, big-endian).
  bool event_time(int64_t& time_ns);
  // Any object as a record value, its strings copied into arena. Map keys
  // that aren't strings become their text; an integer past int64 a double;
  // EventTime seconds as a double; another ext its payload bytes.
  bool value(Arena& arena, Value& out, int depth = 0);
  bool skip();

 private:
  // An integer or a float (the record value, without an arena).
  bool number(Value& out);
  bool need(size_t n) const { return bytes_.size() - pos_ >= n; }
  uint64_t big_endian(size_t at, size_t n) const;
  // Reads a container or text header at pos_: its kind, length and header size.
  bool header(uint8_t& kind, uint64_t& length, size_t& header_size) const;
  bool container(uint8_t kind, uint32_t& n);

  std::string_view bytes_;
  size_t pos_ = 0;
};

}  // namespace sluice::msgpack
