// RFC 6587 framing of a syslog stream (TCP, TLS, unix_tcp): octet counting
// ("LEN SP MSG") or a trailer (LF, and NUL as Python's SysLogHandler sends),
// detected per connection, with every message bounded by buffer_max_size.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::syslog {

enum class Framing : uint8_t { Auto, Newline, OctetCounting };

struct FrameFlags {
  bool truncated = false;  // the message was longer than buffer_max_size: this is its start
  bool bad_frame = false;  // an octet-counted stream had no valid "LEN SP" here: text up to LF/NUL
};

class FrameSink {
 public:
  virtual ~FrameSink() = default;
  // One message, without its trailer. The view is valid during the call only.
  virtual void on_frame(std::string_view message, FrameFlags flags) = 0;
};

// Splits one connection's bytes into messages. With Auto, the first byte
// decides: a digit means octet counting, anything else trailer framing (as
// rsyslog and syslog-ng detect it). Messages wholly inside one read are passed
// as views of it; only a message split across reads is copied (into a carry
// buffer that never grows past max_size). One per connection; the thread of
// its connection.
class Framer {
 public:
  Framer(Framing framing, size_t max_size) : framing_(framing), max_(max_size) {}

  void feed(std::string_view data, FrameSink& sink);
  // The peer closed: a last message without trailer still counts, an
  // incomplete octet-counted one is passed as truncated.
  void finish(FrameSink& sink);

  Framing framing() const { return framing_; }
  // Bytes held for a message not yet complete.
  size_t buffered() const { return carry_.size() + header_.size(); }
  // Heap bytes the framer keeps between messages (an idle connection's cost).
  size_t held_capacity() const { return carry_.capacity() + header_.capacity(); }
  // Room kept for the next split message; a longer carry is freed once passed on.
  static constexpr size_t kKeptCarry = 1024;

 private:
  enum class State : uint8_t { Header, Body, Skip, BadFrame };

  // Takes one delimited (LF/NUL) message from data, or all of data if it has
  // no delimiter; returns true when a message ended.
  bool delimited(std::string_view& data, FrameFlags flags, FrameSink& sink);
  void octet_counted(std::string_view& data, FrameSink& sink);
  void header_byte(std::string_view& data);
  void body(std::string_view& data, FrameSink& sink);
  void drop_carry();

  Framing framing_;
  size_t max_;
  std::string carry_;      // the start of a message split across reads
  bool skipping_ = false;  // discarding the rest of an over-long delimited message
  // Octet counting.
  State state_ = State::Header;
  std::string header_;  // the digits read so far (kept for a bad frame's text)
  uint64_t count_ = 0;
  size_t keep_ = 0;    // bytes of the current message still to pass on
  uint64_t skip_ = 0;  // bytes past max_size still to discard
  bool truncated_ = false;
};

}  // namespace sluice::syslog
