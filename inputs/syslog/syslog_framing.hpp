// RFC 6587 framing of a syslog stream (TCP, TLS, unix_tcp): octet counting
// ("LEN SP MSG") or a trailer (LF, and NUL as Python's SysLogHandler sends),
// detected per connection, with every message bounded by buffer_max_size.
// Also the tcp input's JSON stream: one message per JSON object or array,
// whatever whitespace (or none) is between them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::syslog {

// JsonStream: each top-level JSON object or array is one message, however
// it is laid out (pretty-printed over several lines, or back to back with no
// separator, as Fluent Bit's tcp input reads them); a line that starts with
// anything else is a message of its own up to its LF, as with Newline. A
// broken value can't take the stream with it: a newline inside a string
// ends it, and one longer than the bound is cut there and the reading
// starts again at the next line.
enum class Framing : uint8_t { Auto, Newline, OctetCounting, JsonStream };

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
  // Passes on carry_ + part as one message, cut at max_ (flagged); returns
  // whether it was cut. An empty message is not passed on.
  bool pass_on(std::string_view part, FrameFlags flags, FrameSink& sink);
  // carry_ + data runs past max_ with no end in sight: its first max_ bytes
  // go on now, flagged. Returns how many bytes of data that took.
  size_t pass_on_start(std::string_view data, FrameFlags flags, FrameSink& sink);
  void octet_counted(std::string_view& data, FrameSink& sink);
  void header_byte(std::string_view& data);
  void json_stream(std::string_view& data, FrameSink& sink);
  // Where the JSON value under way ends in data (one past its closing
  // bracket; at a newline inside a string, with `broken` set), or npos;
  // follows strings and nesting across calls.
  size_t json_value_end(std::string_view data, bool& broken);
  void reset_json();
  // After a value cut at max_: its line's rest is dropped, reading resumes at the next line.
  void skip_rest_of_line();
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
  // JSON stream.
  uint32_t json_depth_ = 0;
  bool json_in_string_ = false;
  bool json_escape_ = false;
  bool text_line_ = false;  // a line that is no JSON object or array, up to its LF
};

}  // namespace sluice::syslog
