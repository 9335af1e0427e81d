// JSON encoding of records; see json_writer.hpp.
#include "agent/json_writer.hpp"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "agent/hex.hpp"

namespace sluice::json {

namespace {



// The bytes of w (8, little-endian) that are < 0x20, '"', '\\' or >= 0x80,
// as their high bits (SWAR "has zero byte" tests, so plain ASCII text is
// skipped 8 bytes at a time). Only the lowest set bit is exact: a borrow
// may flag bytes after it too.
static_assert(std::endian::native == std::endian::little, "attention_mask reads bytes little-endian");
inline uint64_t attention_mask(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  uint64_t control = (w - kOnes * 0x20) & ~w & kHigh;
  return (w & kHigh) | control | has_zero(w ^ (kOnes * '"')) | has_zero(w ^ (kOnes * '\\'));
}

}  // namespace

size_t utf8_sequence_length(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t n;
  uint32_t min;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) { n = 2; min = 0x80; }
  else if ((c & 0xF0) == 0xE0) { n = 3; min = 0x800; }
  else if ((c & 0xF8) == 0xF0) { n = 4; min = 0x10000; }
  else return 0;
  if (i + n > s.size()) return 0;
  uint32_t cp = c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

// Aligned so that its scanning loop's place relative to 32- and 64-byte
// boundaries doesn't change with whatever the linker puts before it: that
// alone moved the file pipeline's throughput by 20% between builds of the
// same code (loop and branch placement on Intel cores).
[[gnu::aligned(64)]] void append_string(std::string& out, std::string_view s) {
  // Written through a pointer into space sized for the common worst case
  // (every byte escaped as two) instead of one append per escape: a record's
  // JSON sent as a string (CloudWatch's message, OCI's data) has a quote
  // every few bytes. Invariant: at least 2 bytes free per byte left, plus
  // the closing quote; the rare longer escapes (\u00XX, U+FFFD) grow it.
  const size_t start = out.size();
  out.resize(start + 2 * s.size() + 2);
  char* p = out.data() + start;
  auto grow = [&](size_t extra) {
    size_t used = static_cast<size_t>(p - out.data());
    out.resize(out.size() + extra);
    p = out.data() + used;
  };
  *p++ = '"';
  for (size_t i = 0; i < s.size();) {
    if (i + 8 <= s.size()) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      uint64_t mask = attention_mask(w);
      // Copy the 8 bytes; keep those before the first that needs attention.
      std::memcpy(p, s.data() + i, 8);
      size_t plain = mask == 0 ? 8 : static_cast<size_t>(__builtin_ctzll(mask)) / 8;
      p += plain;
      i += plain;
      if (plain == 8) continue;
    }
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      *p++ = static_cast<char>(c);
      ++i;
      continue;
    }
    if (c >= 0x80) {
      size_t n = utf8_sequence_length(s, i);
      if (n > 0) {
        std::memcpy(p, s.data() + i, n);
        p += n;
        i += n;
        continue;
      }
    }
    ++i;
    char esc = 0;
    switch (c) {
      case '"': esc = '"'; break;
      case '\\': esc = '\\'; break;
      case '\n': esc = 'n'; break;
      case '\r': esc = 'r'; break;
      case '\t': esc = 't'; break;
      case '\b': esc = 'b'; break;
      case '\f': esc = 'f'; break;
      default: break;
    }
    if (esc != 0) {
      *p++ = '\\';
      *p++ = esc;
    } else if (c < 0x20) {
      grow(4);
      std::memcpy(p, "\\u00", 4);
      p[4] = hex::kDigits[c >> 4];
      p[5] = hex::kDigits[c & 15];
      p += 6;
    } else {
      grow(1);
      std::memcpy(p, "\xEF\xBF\xBD", 3);  // invalid UTF-8 byte → U+FFFD
      p += 3;
    }
  }
  *p++ = '"';
  out.resize(static_cast<size_t>(p - out.data()));
}

void append_double(std::string& out, double d) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  out.append(buf, r.ptr);
  for (const char* p = buf; p < r.ptr; ++p)
    if (*p == '.' || *p == 'e') return;
  out += ".0";
}

void append_value(std::string& out, const Value& v) {
  char buf[32];
  switch (v.kind()) {
    case Kind::Null: out += "null"; break;
    case Kind::Bool: out += v.as_bool() ? "true" : "false"; break;
    case Kind::Int: {
      auto r = std::to_chars(buf, buf + sizeof buf, v.as_int());
      out.append(buf, r.ptr);
      break;
    }
    case Kind::Double: {
      double d = v.as_double();
      if (!std::isfinite(d)) {
        out += "null";
        break;
      }
      append_double(out, d);
      break;
    }
    case Kind::String: append_string(out, v.as_string()); break;
    case Kind::Array: {
      out.push_back('[');
      bool first = true;
      for (const auto& item : v.items()) {
        if (!first) out.push_back(',');
        first = false;
        append_value(out, item);
      }
      out.push_back(']');
      break;
    }
    case Kind::Map: {
      out.push_back('{');
      bool first = true;
      for (const auto& m : v.members()) {
        if (!first) out.push_back(',');
        first = false;
        append_string(out, m.key);
        out.push_back(':');
        append_value(out, m.value);
      }
      out.push_back('}');
      break;
    }
  }
}

void append_rfc3339(std::string& out, int64_t time_ns) {
  int64_t secs = time_ns / 1'000'000'000;
  int64_t nanos = time_ns % 1'000'000'000;
  if (nanos < 0) {
    nanos += 1'000'000'000;
    secs -= 1;
  }
  int64_t days = secs / 86'400;
  int64_t sod = secs % 86'400;
  if (sod < 0) {
    sod += 86'400;
    days -= 1;
  }
  // The civil date of a day count (Howard Hinnant's days_from_civil,
  // inverted): no gmtime_r, strftime or snprintf, which cost more than the
  // rest of an entry in the outputs that stamp every record.
  days += 719'468;
  const int64_t era = (days >= 0 ? days : days - 146'096) / 146'097;
  const int64_t doe = days - era * 146'097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2);
  char buf[40];
  char* p = buf;
  auto digits = [&p](int64_t v, int width) {
    for (int k = width - 1; k >= 0; --k) {
      p[k] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    p += width;
  };
  if (year < 0 || year > 9999) {  // outside RFC 3339's years: as strftime's %Y would print it
    auto r = std::to_chars(p, p + 12, year);
    p = r.ptr;
  } else {
    digits(year, 4);
  }
  *p++ = '-';
  digits(month, 2);
  *p++ = '-';
  digits(day, 2);
  *p++ = 'T';
  digits(sod / 3600, 2);
  *p++ = ':';
  digits(sod / 60 % 60, 2);
  *p++ = ':';
  digits(sod % 60, 2);
  *p++ = '.';
  digits(nanos, 9);
  *p++ = 'Z';
  out.append(buf, static_cast<size_t>(p - buf));
}

// ---- Writer ----

namespace {
[[noreturn]] void misuse(const char* what) {
  std::fprintf(stderr, "sluice: bug: json::Writer: %s\n", what);
  std::abort();
}
}  // namespace

void Writer::before_value() {
  if (stack_.empty()) {
    if (started_) misuse("a second value at the top level");
    started_ = true;
    return;
  }
  Level& top = stack_.back();
  if (top.kind == '{') {
    if (!key_pending_) misuse("a value in an object without a key");
    key_pending_ = false;
    return;
  }
  if (top.has_items) out_.push_back(',');
  top.has_items = true;
}

void Writer::open(char kind) {
  before_value();
  out_.push_back(kind);
  stack_.push_back({kind});
}

void Writer::close(char kind) {
  if (stack_.empty() || stack_.back().kind != kind) misuse("an end that matches no begin");
  if (key_pending_) misuse("a key without a value");
  stack_.pop_back();
  out_.push_back(kind == '{' ? '}' : ']');
}

Writer& Writer::begin_object() { open('{'); return *this; }
Writer& Writer::end_object() { close('{'); return *this; }
Writer& Writer::begin_array() { open('['); return *this; }
Writer& Writer::end_array() { close('['); return *this; }

Writer& Writer::key(std::string_view k) {
  if (stack_.empty() || stack_.back().kind != '{') misuse("a key outside an object");
  if (key_pending_) misuse("two keys in a row");
  if (stack_.back().has_items) out_.push_back(',');
  stack_.back().has_items = true;
  append_string(out_, k);
  out_.push_back(':');
  key_pending_ = true;
  return *this;
}

Writer& Writer::value(std::string_view s) {
  before_value();
  append_string(out_, s);
  return *this;
}

Writer& Writer::value(bool b) {
  before_value();
  out_ += b ? "true" : "false";
  return *this;
}

Writer& Writer::value(double d) {
  before_value();
  append_value(out_, Value::real(d));
  return *this;
}

Writer& Writer::integer(int64_t v) {
  before_value();
  append_value(out_, Value::integer(v));
  return *this;
}

Writer& Writer::uinteger(uint64_t v) {
  before_value();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
  return *this;
}

Writer& Writer::value(const Value& v) {
  before_value();
  append_value(out_, v);
  return *this;
}

Writer& Writer::null() {
  before_value();
  out_ += "null";
  return *this;
}

Writer& Writer::time(int64_t time_ns) {
  before_value();
  out_.push_back('"');
  append_rfc3339(out_, time_ns);
  out_.push_back('"');
  return *this;
}

}  // namespace sluice::json
