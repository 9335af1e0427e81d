// RFC 6587 framing; see syslog_framing.hpp.
#include "inputs/syslog/syslog_framing.hpp"

#include <algorithm>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sluice::syslog {

namespace {

// MSG-LEN of RFC 6587 §3.4.1 is NONZERO-DIGIT *DIGIT; nine digits allow
// frames up to ~1 GB, which buffer_max_size then cuts.
constexpr size_t kMaxLenDigits = 9;

bool digit(char c) { return c >= '0' && c <= '9'; }

bool json_special(char c) {
  return c == '"' || c == '\\' || c == '\n' || c == '{' || c == '}' || c == '[' || c == ']';
}

#if defined(__SSE2__)
// One bit per byte of p[0..16) that json_special() would pick. Most of a
// log record's bytes are inside strings and matter to no one: the bytes
// that do are found sixteen at a time (a byte-by-byte walk cost 340 ns a
// record against 19 for the newline framing's memchr; this, about 45).
unsigned json_special_bits(const char* p) {
  __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  // x | 0x20 is '{' only for '[' and '{', and '}' only for ']' and '}'.
  __m128i folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
  __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
  hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, _mm_set1_epi8('\n')));
  hit = _mm_or_si128(hit, _mm_or_si128(_mm_cmpeq_epi8(folded, _mm_set1_epi8('{')),
                                       _mm_cmpeq_epi8(folded, _mm_set1_epi8('}'))));
  return static_cast<unsigned>(_mm_movemask_epi8(hit));
}
#endif

// The first LF or NUL in data, or npos.
size_t find_trailer(std::string_view data) {
  const void* lf = std::memchr(data.data(), '\n', data.size());
  size_t end = lf != nullptr ? static_cast<size_t>(static_cast<const char*>(lf) - data.data()) : data.size();
  const void* nul = std::memchr(data.data(), '\0', end);
  if (nul != nullptr) return static_cast<size_t>(static_cast<const char*>(nul) - data.data());
  return lf != nullptr ? end : std::string_view::npos;
}

}  // namespace

void Framer::feed(std::string_view data, FrameSink& sink) {
  if (data.empty()) return;
  if (framing_ == Framing::Auto) framing_ = digit(data[0]) ? Framing::OctetCounting : Framing::Newline;
  if (framing_ == Framing::Newline) {
    while (!data.empty()) delimited(data, {}, sink);
    return;
  }
  if (framing_ == Framing::JsonStream) {
    while (!data.empty()) json_stream(data, sink);
    return;
  }
  while (!data.empty()) octet_counted(data, sink);
}

bool Framer::delimited(std::string_view& data, FrameFlags flags, FrameSink& sink) {
  size_t end = find_trailer(data);
  if (skipping_) {
    if (end == std::string_view::npos) {
      data = {};
      return false;
    }
    data.remove_prefix(end + 1);
    skipping_ = false;
    return true;
  }
  if (end == std::string_view::npos) {
    if (carry_.size() + data.size() > max_) {
      // Over-long: pass its first max_ bytes on now and drop the rest of it.
      pass_on_start(data, flags, sink);
      skipping_ = true;
    } else {
      carry_.append(data);
    }
    data = {};
    return false;
  }
  std::string_view part = data.substr(0, end);
  data.remove_prefix(end + 1);
  pass_on(part, flags, sink);
  return true;
}

bool Framer::pass_on(std::string_view part, FrameFlags flags, FrameSink& sink) {
  flags.truncated = carry_.size() + part.size() > max_;
  if (carry_.empty()) {
    if (!part.empty()) sink.on_frame(part.substr(0, max_), flags);
    return flags.truncated;
  }
  carry_.append(part.substr(0, max_ - carry_.size()));
  sink.on_frame(carry_, flags);
  drop_carry();
  return flags.truncated;
}

size_t Framer::pass_on_start(std::string_view data, FrameFlags flags, FrameSink& sink) {
  size_t room = max_ - carry_.size();
  carry_.append(data.substr(0, room));
  flags.truncated = true;
  sink.on_frame(carry_, flags);
  drop_carry();
  return room;
}

void Framer::json_stream(std::string_view& data, FrameSink& sink) {
  if (text_line_) {
    if (delimited(data, {}, sink)) text_line_ = false;
    return;
  }
  if (json_depth_ == 0 && carry_.empty()) {
    // Between values: whitespace and NULs separate them.
    static constexpr std::string_view kBetween(" \t\r\n\0", 5);
    size_t start = data.find_first_not_of(kBetween);
    if (start == std::string_view::npos) {
      data = {};
      return;
    }
    data.remove_prefix(start);
    if (data[0] != '{' && data[0] != '[') {
      text_line_ = true;
      return;
    }
  }
  bool broken = false;
  size_t end = json_value_end(data, broken);
  if (end == std::string_view::npos) {
    if (carry_.size() + data.size() > max_) {
      // Over-long: its first max_ bytes go on now. The rest of its line is
      // skipped and reading starts again at the next line, as for an
      // over-long line: a value that never closes (a lost bracket) costs
      // one message, not the rest of the stream.
      data.remove_prefix(pass_on_start(data, {}, sink));
      skip_rest_of_line();
    } else {
      carry_.append(data);
      data = {};
    }
    return;
  }
  std::string_view part = data.substr(0, end);
  data.remove_prefix(end);
  if (broken) reset_json();  // a newline inside a string: the value ended there, unfinished
  // A value cut at max_ that ended within this read skips the rest of its
  // line too, so what comes through does not depend on how the reads fell.
  if (pass_on(part, {}, sink)) skip_rest_of_line();
}

void Framer::skip_rest_of_line() {
  reset_json();
  skipping_ = true;
  text_line_ = true;
}

size_t Framer::json_value_end(std::string_view data, bool& broken) {
  const char* p = data.data();
  size_t n = data.size();
  size_t next = 0;  // bytes before it are taken (an escaped byte)
  if (json_in_string_ && json_escape_ && n > 0) {  // the escaped byte, whatever it is
    if (p[0] == '\n') {
      broken = true;
      return 0;
    }
    json_escape_ = false;
    next = 1;
  }
  // One byte that json_special() picks: npos to go on, or where the value
  // ended (one past its bracket; at a newline in a string, broken).
  auto step = [&](size_t j) -> size_t {
    if (j < next) return std::string_view::npos;
    char c = p[j];
    if (json_in_string_) {
      if (c == '\n') {
        // JSON has no raw newline inside a string (escaped or not): this
        // value is broken (an odd quote) and ends here rather than swallow
        // the lines after it.
        broken = true;
        return j;
      }
      if (c == '\\') {
        if (j + 1 == n) {
          json_escape_ = true;  // the escaped byte comes with the next read
        } else if (p[j + 1] == '\n') {
          broken = true;
          return j + 1;
        }
        next = j + 2;
      } else if (c == '"') {
        json_in_string_ = false;
      }
    } else if (c == '"') {
      json_in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++json_depth_;
    } else if ((c == '}' || c == ']') && json_depth_ > 0 && --json_depth_ == 0) {
      return j + 1;
    }
    return std::string_view::npos;
  };
  size_t i = 0;
#if defined(__SSE2__)
  for (; i + 16 <= n; i += 16) {
    for (unsigned bits = json_special_bits(p + i); bits != 0; bits &= bits - 1) {
      size_t end = step(i + static_cast<size_t>(__builtin_ctz(bits)));
      if (end != std::string_view::npos) return end;
    }
  }
#endif
  for (; i < n; ++i) {
    if (!json_special(p[i])) continue;
    size_t end = step(i);
    if (end != std::string_view::npos) return end;
  }
  return std::string_view::npos;
}

void Framer::reset_json() {
  json_depth_ = 0;
  json_in_string_ = json_escape_ = false;
}

void Framer::octet_counted(std::string_view& data, FrameSink& sink) {
  switch (state_) {
    case State::Header:
      header_byte(data);
      return;
    case State::Body:
      body(data, sink);
      return;
    case State::Skip: {
      uint64_t n = std::min<uint64_t>(skip_, data.size());
      skip_ -= n;
      data.remove_prefix(static_cast<size_t>(n));
      if (skip_ == 0) state_ = State::Header;
      return;
    }
    case State::BadFrame:
      if (delimited(data, {false, true}, sink)) state_ = State::Header;
      return;
  }
}

void Framer::drop_carry() {
  // A connection that goes quiet after a long message must not keep its
  // memory: with thousands of mostly idle clients that would add up to
  // buffer_max_size each. Small carries keep their room (no allocation
  // per split message on a busy connection).
  if (carry_.capacity() > kKeptCarry) std::string().swap(carry_);
  else carry_.clear();
}

void Framer::header_byte(std::string_view& data) {
  char c = data[0];
  if (header_.empty() && (c == '\n' || c == '\r' || c == ' ' || c == '\0')) {
    // Some senders put a trailer after counted frames too: not a frame.
    data.remove_prefix(1);
    return;
  }
  if (digit(c) && !(header_.empty() && c == '0') && header_.size() < kMaxLenDigits) {
    header_.push_back(c);
    count_ = count_ * 10 + static_cast<uint64_t>(c - '0');
    data.remove_prefix(1);
    return;
  }
  if (c == ' ' && !header_.empty()) {
    data.remove_prefix(1);
    keep_ = static_cast<size_t>(std::min<uint64_t>(count_, max_));
    skip_ = count_ - keep_;
    truncated_ = skip_ > 0;
    header_.clear();
    count_ = 0;
    state_ = State::Body;
    return;
  }
  // Not "LEN SP": the text up to the next LF/NUL is passed on as a bad frame
  // (kept, flagged), then counting resumes.
  carry_ = header_;
  header_.clear();
  count_ = 0;
  state_ = State::BadFrame;
}

void Framer::body(std::string_view& data, FrameSink& sink) {
  FrameFlags flags{truncated_, false};
  if (carry_.empty() && data.size() >= keep_) {
    sink.on_frame(data.substr(0, keep_), flags);
    data.remove_prefix(keep_);
  } else {
    size_t n = std::min(keep_ - carry_.size(), data.size());
    carry_.append(data.substr(0, n));
    data.remove_prefix(n);
    if (carry_.size() < keep_) return;
    sink.on_frame(carry_, flags);
    drop_carry();
  }
  keep_ = 0;
  state_ = skip_ > 0 ? State::Skip : State::Header;
}

void Framer::finish(FrameSink& sink) {
  if (framing_ == Framing::OctetCounting) {
    if (state_ == State::Body && !carry_.empty()) {
      sink.on_frame(carry_, {true, false});
    } else if (state_ == State::BadFrame && !carry_.empty() && !skipping_) {
      sink.on_frame(carry_, {false, true});
    } else if (state_ == State::Header && !header_.empty()) {
      sink.on_frame(header_, {false, true});
    }
  } else if (!carry_.empty() && !skipping_) {
    sink.on_frame(carry_, {});
  }
  carry_.clear();
  header_.clear();
  state_ = State::Header;
  skipping_ = false;
  reset_json();
  text_line_ = false;
}

}  // namespace sluice::syslog
