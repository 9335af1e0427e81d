// strptime-style timestamp parsing without libc (locale-free, thread-safe);
// see time_format.hpp.
#include "agent/parse/time_format.hpp"

#include <array>
#include <ctime>
#include <limits>

#include "agent/parse/civil_date.hpp"

namespace sluice::timefmt {

namespace {

constexpr int64_t kNsPerSec = 1'000'000'000;

bool is_digit(char c) { return static_cast<unsigned char>(c - '0') < 10; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

int days_in_month(int64_t y, int m) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[static_cast<size_t>(m - 1)];
}

int64_t current_year() { return year_of_day(static_cast<int64_t>(std::time(nullptr)) / 86400); }

struct Fields {
  int64_t year = 1970;
  int month = 1, day = 1, hour = 0, minute = 0, second = 0;
  int yday = 0;  // 1-based day of year from %j; 0 = unset
  int64_t frac_ns = 0;
  int ampm = -1;  // 0 am, 1 pm, -1 unset
  bool has_year = false, has_month_day = false, has_zone = false;
  int64_t zone_offset_s = 0;
  bool has_epoch = false;
  int64_t epoch_s = 0;
};

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[pos_]; }
  void advance(size_t n = 1) { pos_ += n; }
  std::string_view rest() const { return s_.substr(pos_); }
  void skip_space() {
    while (!at_end() && is_space(s_[pos_])) ++pos_;
  }
  // Reads 1..max_digits digits into out; fails if none.
  bool number(int max_digits, int64_t& out) {
    int64_t v = 0;
    int n = 0;
    while (n < max_digits && !at_end() && is_digit(s_[pos_])) {
      v = v * 10 + (s_[pos_] - '0');
      ++pos_;
      ++n;
    }
    out = v;
    return n > 0;
  }
  bool number(int max_digits, int& out, int lo, int hi) {
    int64_t v = 0;
    if (!number(max_digits, v) || v < lo || v > hi) return false;
    out = static_cast<int>(v);
    return true;
  }
  // Fraction digits after the decimal point: nanoseconds, digits past the
  // ninth are read and ignored.
  bool fraction(int64_t& ns) {
    int n = 0;
    int64_t v = 0;
    while (!at_end() && is_digit(s_[pos_])) {
      if (n < 9) v = v * 10 + (s_[pos_] - '0');
      ++n;
      ++pos_;
    }
    if (n == 0) return false;
    for (int i = n; i < 9; ++i) v *= 10;
    ns = v;
    return true;
  }
  // Case-insensitive match of a name's full spelling or its first three letters.
  bool name(std::string_view full) {
    auto matches = [&](size_t len) {
      if (s_.size() - pos_ < len) return false;
      for (size_t i = 0; i < len; ++i)
        if (lower(s_[pos_ + i]) != full[i]) return false;
      return true;
    };
    if (matches(full.size())) {
      pos_ += full.size();
      return true;
    }
    if (matches(3)) {
      pos_ += 3;
      return true;
    }
    return false;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

constexpr std::array<std::string_view, 12> kMonths = {"january", "february", "march",     "april",
                                                      "may",     "june",     "july",      "august",
                                                      "september", "october", "november", "december"};
constexpr std::array<std::string_view, 7> kWeekdays = {"sunday",   "monday", "tuesday", "wednesday",
                                                       "thursday", "friday", "saturday"};

// "Z", "+hh", "+hhmm", "+hh:mm" (and "-").
bool zone_offset(Cursor& c, int64_t& offset_s) {
  char sign = c.peek();
  if (sign == 'Z' || sign == 'z') {
    c.advance();
    offset_s = 0;
    return true;
  }
  if (sign != '+' && sign != '-') return false;
  c.advance();
  int hh = 0, mm = 0;
  std::string_view r = c.rest();
  if (r.size() < 2 || !is_digit(r[0]) || !is_digit(r[1])) return false;
  hh = (r[0] - '0') * 10 + (r[1] - '0');
  c.advance(2);
  r = c.rest();
  if (!r.empty() && r[0] == ':') r.remove_prefix(1);
  if (r.size() >= 2 && is_digit(r[0]) && is_digit(r[1])) {
    mm = (r[0] - '0') * 10 + (r[1] - '0');
    c.advance(c.rest().size() - r.size() + 2);
  }
  if (hh > 23 || mm > 59) return false;
  offset_s = (hh * 3600 + mm * 60) * (sign == '-' ? -1 : 1);
  return true;
}

bool zone_name(Cursor& c, int64_t& offset_s) {
  for (std::string_view n : {"utc", "gmt", "z"}) {
    std::string_view r = c.rest();
    if (r.size() < n.size()) continue;
    bool ok = true;
    for (size_t i = 0; i < n.size() && ok; ++i) ok = lower(r[i]) == n[i];
    if (ok) {
      c.advance(n.size());
      offset_s = 0;
      return true;
    }
  }
  return false;
}

// %s: [-]digits, with a fraction when the text has one and the format
// doesn't itself continue with a '.'.
bool epoch(Cursor& c, Fields& f, bool fraction_follows_in_format) {
  bool neg = c.peek() == '-';
  if (neg) c.advance();
  int64_t s = 0;
  if (!c.number(12, s)) return false;
  f.epoch_s = neg ? -s : s;
  f.has_epoch = true;
  if (!fraction_follows_in_format && c.peek() == '.') {
    c.advance();
    int64_t ns = 0;
    if (!c.fraction(ns)) return false;
    f.frac_ns = neg ? -ns : ns;
  }
  return true;
}

bool match(Cursor& c, std::string_view fmt, Fields& f);

bool directive(Cursor& c, char d, std::string_view after, Fields& f) {
  switch (d) {
    case 'Y': f.has_year = true; return c.number(4, f.year);
    case 'y': {
      int y = 0;
      if (!c.number(2, y, 0, 99)) return false;
      f.year = y < 69 ? 2000 + y : 1900 + y;  // POSIX
      f.has_year = true;
      return true;
    }
    case 'm': f.has_month_day = true; return c.number(2, f.month, 1, 12);
    case 'e': c.skip_space(); [[fallthrough]];
    case 'd': f.has_month_day = true; return c.number(2, f.day, 1, 31);
    case 'H': return c.number(2, f.hour, 0, 23);
    case 'I': return c.number(2, f.hour, 1, 12);
    case 'M': return c.number(2, f.minute, 0, 59);
    case 'S': return c.number(2, f.second, 0, 60);
    case 'j': return c.number(3, f.yday, 1, 366);
    case 'L': return c.fraction(f.frac_ns);
    case 'z': f.has_zone = true; return zone_offset(c, f.zone_offset_s);
    case 'Z': f.has_zone = true; return zone_name(c, f.zone_offset_s);
    case 's': return epoch(c, f, !after.empty() && after.front() == '.');
    case 'b': case 'B': case 'h':
      for (size_t i = 0; i < kMonths.size(); ++i) {
        if (c.name(kMonths[i])) {
          f.month = static_cast<int>(i) + 1;
          f.has_month_day = true;
          return true;
        }
      }
      return false;
    case 'a': case 'A':
      for (auto w : kWeekdays)
        if (c.name(w)) return true;
      return false;
    case 'p': {
      std::string_view r = c.rest();
      if (r.size() < 2 || lower(r[1]) != 'm' || (lower(r[0]) != 'a' && lower(r[0]) != 'p')) return false;
      f.ampm = lower(r[0]) == 'p' ? 1 : 0;
      c.advance(2);
      return true;
    }
    case 'T': return match(c, "%H:%M:%S", f);
    case 'R': return match(c, "%H:%M", f);
    case 'F': return match(c, "%Y-%m-%d", f);
    case 'D': return match(c, "%m/%d/%y", f);
    case 'n': case 't': c.skip_space(); return true;
    case '%':
      if (c.peek() != '%') return false;
      c.advance();
      return true;
    default: return false;
  }
}

bool match(Cursor& c, std::string_view fmt, Fields& f) {
  for (size_t i = 0; i < fmt.size(); ++i) {
    char ch = fmt[i];
    if (ch == '%') {
      if (i + 1 >= fmt.size()) return false;
      char d = fmt[++i];
      if (!directive(c, d, fmt.substr(i + 1), f)) return false;
    } else if (is_space(ch)) {
      c.skip_space();  // as strptime: whitespace matches any amount, even none
    } else {
      if (c.peek() != ch || c.at_end()) return false;
      c.advance();
    }
  }
  return true;
}

// Seconds + fraction - offset in nanoseconds, or nullopt past int64's range
// (years ~1678 to ~2262).
std::optional<int64_t> to_ns(int64_t seconds, int64_t frac_ns, int64_t minus_ns) {
  int64_t ns = 0;
  if (__builtin_mul_overflow(seconds, kNsPerSec, &ns)) return std::nullopt;
  if (__builtin_add_overflow(ns, frac_ns, &ns)) return std::nullopt;
  if (__builtin_sub_overflow(ns, minus_ns, &ns)) return std::nullopt;
  return ns;
}

std::optional<int64_t> compose(Fields& f, int64_t offset_ns) {
  if (f.has_epoch) return to_ns(f.epoch_s, f.frac_ns, 0);
  if (!f.has_year) f.year = current_year();  // syslog-style stamps carry no year, as in Fluent Bit
  if (f.yday != 0 && !f.has_month_day) {
    if (f.yday > (is_leap(f.year) ? 366 : 365)) return std::nullopt;
    int left = f.yday;
    f.month = 1;
    while (left > days_in_month(f.year, f.month)) left -= days_in_month(f.year, f.month++);
    f.day = left;
  }
  if (f.day > days_in_month(f.year, f.month)) return std::nullopt;
  if (f.ampm >= 0) f.hour = f.hour % 12 + (f.ampm == 1 ? 12 : 0);
  const int64_t seconds = days_from_civil(f.year, f.month, f.day) * 86400 + f.hour * 3600 + f.minute * 60 + f.second;
  int64_t minus_ns = 0;
  if (f.has_zone) {
    minus_ns = f.zone_offset_s * kNsPerSec;
  } else {
    minus_ns = offset_ns;
  }
  return to_ns(seconds, f.frac_ns, minus_ns);
}

// Two digits at s[i], s[i+1].
bool two(std::string_view s, size_t i, int& out) {
  if (!is_digit(s[i]) || !is_digit(s[i + 1])) return false;
  out = (s[i] - '0') * 10 + (s[i + 1] - '0');
  return true;
}

}  // namespace

std::optional<int64_t> parse(std::string_view text, std::string_view format, int64_t offset_ns, bool strict) {
  Fields f;
  Cursor c(text);
  // Text after what the format matched is ignored, as Fluent Bit's
  // strptime leaves it: its own docker parser reads Docker's
  // "...:05.123456789Z" with "%Y-%m-%dT%H:%M:%S.%L". Not strict, a text
  // that ends before the format does keeps the fields read so far.
  if (!match(c, format, f) && (strict || !c.at_end() || text.empty())) return std::nullopt;
  return compose(f, offset_ns);
}

std::optional<int64_t> parse_rfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS is 19 bytes; everything after is optional.
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':') return std::nullopt;
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return std::nullopt;
  Fields f;
  int y_hi = 0, y_lo = 0;
  if (!two(s, 0, y_hi) || !two(s, 2, y_lo) || !two(s, 5, f.month) || !two(s, 8, f.day) || !two(s, 11, f.hour) ||
      !two(s, 14, f.minute) || !two(s, 17, f.second))
    return std::nullopt;
  f.year = y_hi * 100 + y_lo;
  f.has_year = true;
  if (f.month < 1 || f.month > 12 || f.day < 1 || f.hour > 23 || f.minute > 59 || f.second > 60) return std::nullopt;
  Cursor c(s.substr(19));
  if (c.peek() == '.' || c.peek() == ',') {
    c.advance();
    if (!c.fraction(f.frac_ns)) return std::nullopt;
  }
  if (!c.at_end()) {
    f.has_zone = true;
    if (!zone_offset(c, f.zone_offset_s) || !c.at_end()) return std::nullopt;
  }
  return compose(f, 0);
}

std::string validate(std::string_view format) {
  static constexpr std::string_view kKnown = "YymdeHIMSjLzZsbBhaApTRFDnt%";
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') continue;
    if (i + 1 >= format.size()) return "ends with a lone '%'";
    char d = format[++i];
    if (kKnown.find(d) == std::string_view::npos)
      return std::string("unsupported directive '%") + d + "' (supported: %Y %y %m %d %e %H %I %M %S %L %j %z %Z %s " +
             "%b %B %h %a %A %p %T %R %F %D %n %t %%)";
  }
  return {};
}

}  // namespace sluice::timefmt
