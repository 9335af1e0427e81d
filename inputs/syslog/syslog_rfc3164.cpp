// The RFC 3164 parser; see syslog_rfc3164.hpp.
#include "inputs/syslog/syslog_rfc3164.hpp"

#include <ctime>

#include "agent/parse/time_format.hpp"

namespace sluice::syslog {

namespace {

constexpr int64_t kNsPerSec = 1'000'000'000;
constexpr int64_t kDayNs = 86'400 * kNsPerSec;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int64_t fields_as_utc(int year, int month, int day, int hour, int minute, int second) {
  return days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

// Seconds to add to a local wall time read as UTC to get real UTC, for the
// local hour given. mktime takes the zone's lock and rules each call, so the
// answer is kept per hour (zones change offset on hour boundaries).
int64_t local_offset_s(int year, int month, int day, int hour) {
  thread_local int64_t cached_key = -1;
  thread_local int64_t cached_offset = 0;
  int64_t key = ((int64_t{year} * 13 + month) * 32 + day) * 24 + hour;
  if (key == cached_key) return cached_offset;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_isdst = -1;
  std::time_t t = std::mktime(&tm);
  cached_offset = t == static_cast<std::time_t>(-1) ? 0 : t - fields_as_utc(year, month, day, hour, 0, 0);
  cached_key = key;
  return cached_offset;
}

int local_year(int64_t now_ns) {
  thread_local int64_t cached_minute = INT64_MIN;
  thread_local int cached_year = 1970;
  int64_t minute = now_ns / (60 * kNsPerSec);
  if (minute != cached_minute) {
    std::time_t t = static_cast<std::time_t>(now_ns / kNsPerSec);
    std::tm tm{};
    if (localtime_r(&t, &tm) != nullptr) cached_year = tm.tm_year + 1900;
    cached_minute = minute;
  }
  return cached_year;
}

bool digit(char c) { return c >= '0' && c <= '9'; }

// A local wall time of a known year, in ns since the epoch.
int64_t stamp_time_in_year(int year, int month, int day, int hour, int minute, int second) {
  int64_t s = fields_as_utc(year, month, day, hour, minute, second) + local_offset_s(year, month, day, hour);
  return s * kNsPerSec;
}

int month_of(std::string_view m) {
  static constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                 "jul", "aug", "sep", "oct", "nov", "dec"};
  char lower[3];
  for (int i = 0; i < 3; ++i) lower[i] = static_cast<char>(m[i] | 0x20);
  for (int i = 0; i < 12; ++i)
    if (std::string_view(lower, 3) == kMonths[i]) return i + 1;
  return 0;
}

// A BSD stamp at the start of s, in the forms senders use:
//   "Mmm dd hh:mm:ss"        the RFC (dd space-padded, "Mmm d" and "Feb 08" too)
//   "Mmm dd hh:mm:ss.fff"    a fraction (Cisco's millisecond timestamps, rsyslog)
//   "Mmm dd yyyy hh:mm:ss"   a year (Cisco ASA/PIX "logging timestamp")
//   "*Mmm dd hh:mm:ss.fff"   Cisco IOS's mark of a clock not yet synchronised
//   any of them followed by ':' (Cisco: "Mar 7 19:06:53: %ASA-4-...")
// Returns how much of s it takes (with the ':'), or 0; stamp_len is the
// stamp's own length (for the `time` field, without the ':').
size_t bsd_stamp(std::string_view s, int64_t now_ns, int64_t& time_ns, size_t& stamp_len) {
  size_t i = 0;
  if (!s.empty() && (s[0] == '*' || s[0] == '.')) i = 1;
  if (s.size() < i + 14 || s[i + 3] != ' ') return 0;
  int month = month_of(s.substr(i));
  if (month == 0) return 0;
  i += 4;
  if (s[i] == ' ') ++i;  // space-padded day
  int day = 0;
  size_t day_start = i;
  while (i < s.size() && digit(s[i]) && i - day_start < 2) day = day * 10 + (s[i++] - '0');
  if (i == day_start || day < 1 || day > 31) return 0;
  if (i >= s.size() || s[i] != ' ') return 0;
  ++i;
  std::optional<int> year;
  if (i + 5 <= s.size() && digit(s[i]) && digit(s[i + 1]) && digit(s[i + 2]) && digit(s[i + 3]) && s[i + 4] == ' ') {
    year = (s[i] - '0') * 1000 + (s[i + 1] - '0') * 100 + (s[i + 2] - '0') * 10 + (s[i + 3] - '0');
    i += 5;
  }
  if (i + 8 > s.size()) return 0;
  std::string_view t = s.substr(i, 8);
  if (!digit(t[0]) || !digit(t[1]) || t[2] != ':' || !digit(t[3]) || !digit(t[4]) || t[5] != ':' || !digit(t[6]) ||
      !digit(t[7]))
    return 0;
  int hour = (t[0] - '0') * 10 + (t[1] - '0');
  int minute = (t[3] - '0') * 10 + (t[4] - '0');
  int second = (t[6] - '0') * 10 + (t[7] - '0');
  if (hour > 23 || minute > 59 || second > 60) return 0;
  i += 8;
  int64_t frac_ns = 0;
  if (i + 1 < s.size() && s[i] == '.' && digit(s[i + 1])) {
    int64_t scale = kNsPerSec;
    for (++i; i < s.size() && digit(s[i]); ++i) {
      if (scale > 1) {
        scale /= 10;
        frac_ns += (s[i] - '0') * scale;
      }
    }
  }
  stamp_len = i;
  if (i < s.size() && s[i] == ':') ++i;
  if (i < s.size() && s[i] != ' ') return 0;
  time_ns = (year ? stamp_time_in_year(*year, month, day, hour, minute, second)
                  : bsd_stamp_time(month, day, hour, minute, second, now_ns)) +
            frac_ns;
  return i;
}

// An RFC 3339 stamp as its own token (rsyslog's RSYSLOG_ForwardFormat).
size_t iso_stamp(std::string_view s, int64_t& time_ns) {
  if (s.size() < 19 || !digit(s[0]) || s[4] != '-' || (s[10] != 'T' && s[10] != 't')) return 0;
  size_t n = s.find(' ');
  if (n == std::string_view::npos) n = s.size();
  auto t = timefmt::parse_rfc3339(s.substr(0, n));
  if (!t) return 0;
  time_ns = *t;
  return n;
}

bool tag_char(char c) { return c > 32 && c < 127 && c != ':' && c != '[' && c != ']'; }

// A TAG at the start of s: "tag:", "tag[pid]:" or "tag[pid]" followed by a
// space or the end. On success sets ident/pid and returns where the message
// starts (after one space), else npos.
size_t tag(std::string_view s, SyslogMessage& out) {
  size_t i = 0;
  while (i < s.size() && i <= 128 && tag_char(s[i])) ++i;
  if (i == 0 || i > 128 || i == s.size()) return std::string_view::npos;
  std::string_view ident = s.substr(0, i);
  std::string_view pid;
  bool bracket = false;
  if (s[i] == '[') {
    size_t start = ++i;
    while (i < s.size() && s[i] != ']' && s[i] != ' ' && i - start <= 128) ++i;
    if (i == start || i == s.size() || s[i] != ']') return std::string_view::npos;
    pid = s.substr(start, i - start);
    ++i;
    bracket = true;
  }
  if (i < s.size() && s[i] == ':') {
    ++i;
  } else if (!(bracket && (i == s.size() || s[i] == ' '))) {
    return std::string_view::npos;
  }
  if (i < s.size() && s[i] != ' ') return std::string_view::npos;  // "a:b" is text, not a tag
  out.ident = ident;
  out.pid = pid;
  return i < s.size() ? i + 1 : i;
}

}  // namespace

int64_t bsd_stamp_time(int month, int day, int hour, int minute, int second, int64_t now_ns) {
  int year = local_year(now_ns);
  auto at = [&](int y) { return stamp_time_in_year(y, month, day, hour, minute, second); };
  int64_t t = at(year);
  if (t > now_ns + kDayNs) t = at(year - 1);
  return t;
}

void parse_rfc3164(std::string_view s, int64_t now_ns, SyslogMessage& out) {
  int64_t time_ns = 0;
  size_t stamp_len = 0;
  // Spaces between the priority and the stamp (Netgear and others: "<167> Mar  7 ...").
  size_t lead = 0;
  while (lead < s.size() && lead < 8 && s[lead] == ' ') ++lead;
  std::string_view h = s.substr(lead);
  size_t n = bsd_stamp(h, now_ns, time_ns, stamp_len);
  if (n == 0) stamp_len = n = iso_stamp(h, time_ns);
  if (n == 0) {
    // No header (§4.3.3): all of it is the message.
    out.message = s;
    out.has_message = true;
    return;
  }
  s = h;
  out.time = s.substr(0, stamp_len);
  out.time_ns = time_ns;
  s.remove_prefix(n < s.size() ? n + 1 : n);
  size_t msg = tag(s, out);
  if (msg == std::string_view::npos) {
    // A HOST first (unless the sender left it out and this is text).
    size_t sp = s.find(' ');
    if (sp != std::string_view::npos && sp > 0) {
      out.host = s.substr(0, sp);
      s.remove_prefix(sp + 1);
      msg = tag(s, out);
      if (msg == std::string_view::npos) msg = 0;
    } else {
      msg = 0;  // one word: the message
    }
  }
  s.remove_prefix(msg);
  if (s.size() >= 3 && s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
  out.message = s;
  out.has_message = true;
}

}  // namespace sluice::syslog
