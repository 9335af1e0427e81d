// See json_fast_reader.hpp. RFC 8259's grammar, read by recursive descent;
// every "return false" declines the text to simdjson.
#include "agent/parse/json_fast_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "agent/parse/json_format.hpp"
#include "agent/record.hpp"

namespace sluice {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool plain(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x20 && u < 0x80 && c != '"' && c != '\\';
}

// The first byte at or after p that a string can't hold as it is: '"', '\\',
// a control character or a non-ASCII byte (end if none). Most strings of a
// log line end at their first such byte, found 16 bytes at a time.
[[gnu::always_inline]] inline const char* skip_plain(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i space = _mm_set1_epi8(0x20);
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // A signed compare: bytes from 0x80 are negative, so one compare finds
    // them and the control characters.
    const __m128i special = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                                         _mm_cmplt_epi8(v, space));
    const int mask = _mm_movemask_epi8(special);
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  while (p < end && plain(*p)) ++p;
  return p;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Four hex digits at p (which has at least four bytes).
bool hex4(const char* p, uint32_t& unit) {
  unit = 0;
  for (int i = 0; i < 4; ++i) {
    const int d = hex_digit(p[i]);
    if (d < 0) return false;
    unit = unit << 4 | static_cast<uint32_t>(d);
  }
  return true;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | cp >> 6);
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | cp >> 12);
    out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | cp >> 18);
    out += static_cast<char>(0x80 | (cp >> 12 & 0x3F));
    out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

bool JsonFastReader::read(std::string_view text, JsonRecordBuilder& builder, Value& out) {
  p_ = text.data();
  end_ = p_ + text.size();
  builder_ = &builder;
  skip_space();
  if (p_ == end_ || *p_ != '{') return false;
  ++p_;
  Value v;
  if (!object(1, v)) return false;
  skip_space();
  if (p_ != end_) return false;
  out = v;
  return true;
}

// p_ is past the '{'. depth 1 is the top-level object.
bool JsonFastReader::object(int depth, Value& out) {
  if (depth > kMaxJsonDepth) return false;
  const size_t start = builder_->open_object(depth);
  skip_space();
  if (p_ < end_ && *p_ == '}') {
    ++p_;
    out = builder_->close_object(depth, start);
    return true;
  }
  for (;;) {
    if (p_ == end_ || *p_ != '"') return false;
    ++p_;
    std::string_view key;
    if (!string(key) || !Key::fits(key)) return false;
    // Copied before the value is read: an escaped key's text is in unescaped_.
    key = builder_->key(key, depth, start);
    skip_space();
    if (p_ == end_ || *p_ != ':') return false;
    ++p_;
    skip_space();
    if (!value(depth, builder_->add_member(key))) return false;
    skip_space();
    if (p_ == end_) return false;
    if (*p_ == '}') break;
    if (*p_ != ',') return false;
    ++p_;
    skip_space();
  }
  ++p_;
  out = builder_->close_object(depth, start);
  return true;
}

// p_ is past the '['.
__attribute__((noinline)) bool JsonFastReader::array(int depth, Value& out) {
  if (depth > kMaxJsonDepth) return false;
  const size_t start = builder_->open_array();
  skip_space();
  if (p_ < end_ && *p_ == ']') {
    ++p_;
    out = builder_->close_array(start);
    return true;
  }
  for (;;) {
    if (!value(depth, builder_->add_item())) return false;
    skip_space();
    if (p_ == end_) return false;
    if (*p_ == ']') break;
    if (*p_ != ',') return false;
    ++p_;
    skip_space();
  }
  ++p_;
  out = builder_->close_array(start);
  return true;
}

// A value inside a container of the given depth, into its slot.
inline bool JsonFastReader::value(int depth, JsonRecordBuilder::Slot slot) {
  if (p_ == end_) return false;
  Value nested;
  switch (*p_) {
    case '"': {
      ++p_;
      std::string_view s;
      if (!string(s)) return false;
      builder_->at(slot) = builder_->string(s, depth);
      return true;
    }
    case '{':
      ++p_;
      if (!object(depth + 1, nested)) return false;
      builder_->at(slot) = nested;
      return true;
    case '[':
      ++p_;
      if (!array(depth + 1, nested)) return false;
      builder_->at(slot) = nested;
      return true;
    case 't': builder_->at(slot) = Value::boolean(true); return literal("true");
    case 'f': builder_->at(slot) = Value::boolean(false); return literal("false");
    case 'n': return literal("null");  // the slot starts as null
    default: return number(builder_->at(slot));
  }
}

bool JsonFastReader::literal(std::string_view word) {
  if (static_cast<size_t>(end_ - p_) < word.size() || std::memcmp(p_, word.data(), word.size()) != 0) return false;
  p_ += word.size();
  return true;
}

// p_ is past the opening quote. `out` views the text itself unless the string
// has escapes; then it views unescaped_, valid until the next string.
inline bool JsonFastReader::string(std::string_view& out) {
  const char* start = p_;
  const char* stop = skip_plain(p_, end_);
  if (stop != end_ && *stop == '"') {  // most strings: no escape, ASCII
    out = std::string_view(start, static_cast<size_t>(stop - start));
    p_ = stop + 1;
    return true;
  }
  const char* run = p_;  // the text not yet appended to unescaped_
  bool escaped = false;
  for (;;) {
    p_ = skip_plain(p_, end_);
    if (p_ == end_) return false;
    const auto c = static_cast<unsigned char>(*p_);
    if (c == '"') break;
    if (c == '\\') {
      if (!escaped) unescaped_.clear();
      escaped = true;
      unescaped_.append(run, p_);
      if (!escape()) return false;
      run = p_;
    } else if (c >= 0x80) {
      if (!utf8_sequence()) return false;
    } else {
      return false;  // a control character must be escaped
    }
  }
  if (escaped) {
    unescaped_.append(run, p_);
    out = unescaped_;
  } else {
    out = std::string_view(start, static_cast<size_t>(p_ - start));
  }
  ++p_;
  return true;
}

// p_ is at a backslash: appends what the escape stands for and moves past it.
__attribute__((noinline)) bool JsonFastReader::escape() {
  if (end_ - p_ < 2) return false;
  const char c = p_[1];
  p_ += 2;
  switch (c) {
    case '"': unescaped_ += '"'; return true;
    case '\\': unescaped_ += '\\'; return true;
    case '/': unescaped_ += '/'; return true;
    case 'b': unescaped_ += '\b'; return true;
    case 'f': unescaped_ += '\f'; return true;
    case 'n': unescaped_ += '\n'; return true;
    case 'r': unescaped_ += '\r'; return true;
    case 't': unescaped_ += '\t'; return true;
    case 'u': break;
    default: return false;
  }
  uint32_t unit = 0;
  if (end_ - p_ < 4 || !hex4(p_, unit)) return false;
  p_ += 4;
  uint32_t cp = unit;
  if (unit >= 0xD800 && unit <= 0xDBFF) {
    // A high surrogate counts only followed by its low one.
    uint32_t low = 0;
    if (end_ - p_ < 6 || p_[0] != '\\' || p_[1] != 'u' || !hex4(p_ + 2, low)) return false;
    if (low < 0xDC00 || low > 0xDFFF) return false;
    p_ += 6;
    cp = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
  } else if ((unit >= 0xDC00 && unit <= 0xDFFF) || unit == 0) {
    return false;  // a lone low surrogate, or a NUL: simdjson's to judge
  }
  append_utf8(unescaped_, cp);
  return true;
}

// p_ is at a byte from 0x80: moves past one well-formed UTF-8 sequence
// (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF).
__attribute__((noinline)) bool JsonFastReader::utf8_sequence() {
  const auto* s = reinterpret_cast<const unsigned char*>(p_);
  const size_t left = static_cast<size_t>(end_ - p_);
  const unsigned char lead = s[0];
  size_t n = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    n = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return false;
  }
  if (left < n || s[1] < low || s[1] > high) return false;
  for (size_t i = 2; i < n; ++i)
    if ((s[i] & 0xC0) != 0x80) return false;
  p_ += n;
  return true;
}

// One pass over the number: its grammar checked and its digits gathered
// into a mantissa (and a power of ten) at once.
inline bool JsonFastReader::number(Value& out) {
  const char* start = p_;
  const bool negative = *p_ == '-';
  if (negative) ++p_;
  if (p_ == end_ || !is_digit(*p_)) return false;
  const char* first_digit = p_;
  uint64_t mantissa = 0;  // wraps past 19 digits; then unused
  if (*p_ == '0') {
    ++p_;  // a leading zero stands alone: "01" fails at the caller's next check
  } else {
    while (p_ < end_ && is_digit(*p_)) mantissa = mantissa * 10 + static_cast<uint64_t>(*p_++ - '0');
  }
  ptrdiff_t digits = p_ - first_digit;
  int exponent = 0;
  bool integer = true;
  if (p_ < end_ && *p_ == '.') {
    integer = false;
    const char* from = ++p_;
    while (p_ < end_ && is_digit(*p_)) mantissa = mantissa * 10 + static_cast<uint64_t>(*p_++ - '0');
    if (p_ == from) return false;
    digits += p_ - from;
    exponent = -static_cast<int>(std::min<ptrdiff_t>(p_ - from, 100000));
  }
  if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
    integer = false;
    ++p_;
    const bool minus = p_ < end_ && *p_ == '-';
    if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
    const char* from = p_;
    int e = 0;
    for (; p_ < end_ && is_digit(*p_); ++p_)
      if (e < 100000) e = e * 10 + (*p_ - '0');
    if (p_ == from) return false;
    exponent += minus ? -e : e;
  }
  if (integer) {
    // 18 digits always fit int64; longer ones and "-0" are simdjson's.
    if (digits > 18 || (negative && *first_digit == '0')) return false;
    const auto v = static_cast<int64_t>(mantissa);
    out = Value::integer(negative ? -v : v);
    return true;
  }
  // Clinger's fast path: when the digits make an integer below 2^53 and the
  // power of ten is within 10^±22, both are exact doubles and one
  // multiplication or division rounds correctly: the double from_chars
  // gives. Most numbers in logs (latencies, sizes, ratios) are such.
  static constexpr double kPowers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  if (digits <= 19 && mantissa <= (uint64_t{1} << 53) && exponent >= -22 && exponent <= 22) {
    double d = static_cast<double>(mantissa);
    d = exponent < 0 ? d / kPowers[-exponent] : d * kPowers[exponent];
    out = Value::real(negative ? -d : d);
    return true;
  }
  return correctly_rounded(start, out);
}

// libstdc++'s from_chars rounds correctly (json_format.cpp reads simdjson's
// doubles with it too); out of double's range (either way) is simdjson's to
// judge. Kept out of line: few numbers of a log need it.
__attribute__((noinline)) bool JsonFastReader::correctly_rounded(const char* start, Value& out) const {
  double d = 0;
  const auto [end, error] = std::from_chars(start, p_, d);
  if (error != std::errc{} || end != p_ || !std::isfinite(d)) return false;
  out = Value::real(d);
  return true;
}

}  // namespace sluice
