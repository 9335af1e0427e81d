// TZif and POSIX TZ rules; see time_zone.hpp.
#include "agent/parse/time_zone.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "agent/parse/civil_date.hpp"

namespace sluice::timefmt {

namespace {

constexpr int64_t kDay = 86400;

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

int64_t year_of(int64_t seconds) { return year_of_day(floor_div(seconds, kDay)); }

int days_in_month(int64_t y, int m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// A zone name is a relative path of name characters, never leaving the zoneinfo directory.
bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '/' || name.back() == '/') return false;
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '_' ||
              c == '-' || c == '+';
    if (!ok) return false;
  }
  return name.find("//") == std::string_view::npos;
}

uint32_t be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
int64_t be64(const unsigned char* p) {
  return static_cast<int64_t>((uint64_t{be32(p)} << 32) | uint64_t{be32(p + 4)});
}

// ---- POSIX TZ strings (the footer of TZif v2+) ----

struct Cursor {
  std::string_view s;
  size_t i = 0;
  bool done() const { return i >= s.size(); }
  char peek() const { return done() ? '\0' : s[i]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++i;
    return true;
  }
  std::optional<int> number(int max) {
    size_t start = i;
    int n = 0;
    while (!done() && s[i] >= '0' && s[i] <= '9') {
      n = n * 10 + (s[i] - '0');
      if (n > max) return std::nullopt;
      ++i;
    }
    if (i == start) return std::nullopt;
    return n;
  }
};

bool zone_name(Cursor& c) {
  if (c.eat('<')) {
    while (!c.done() && c.peek() != '>') ++c.i;
    return c.eat('>');
  }
  size_t start = c.i;
  while ((c.peek() >= 'A' && c.peek() <= 'Z') || (c.peek() >= 'a' && c.peek() <= 'z')) ++c.i;
  return c.i - start >= 3;
}

// [+-]hh[:mm[:ss]] in seconds; hours up to 167 (RFC 8536's extension).
std::optional<int32_t> hms(Cursor& c) {
  int sign = 1;
  if (c.eat('-')) sign = -1;
  else c.eat('+');
  auto h = c.number(167);
  if (!h) return std::nullopt;
  int32_t total = *h * 3600;
  if (c.eat(':')) {
    auto m = c.number(59);
    if (!m) return std::nullopt;
    total += *m * 60;
    if (c.eat(':')) {
      auto s = c.number(59);
      if (!s) return std::nullopt;
      total += *s;
    }
  }
  return sign * total;
}

std::optional<TimeZone::Rule::When> change_date(Cursor& c) {
  TimeZone::Rule::When w;
  if (c.eat('M')) {
    auto m = c.number(12);
    if (!m || *m < 1 || !c.eat('.')) return std::nullopt;
    auto wk = c.number(5);
    if (!wk || *wk < 1 || !c.eat('.')) return std::nullopt;
    auto d = c.number(6);
    if (!d) return std::nullopt;
    w.kind = 'M';
    w.month = *m;
    w.week = *wk;
    w.weekday = *d;
  } else if (c.eat('J')) {
    auto n = c.number(365);
    if (!n || *n < 1) return std::nullopt;
    w.kind = 'J';
    w.day = *n;
  } else {
    auto n = c.number(365);
    if (!n) return std::nullopt;
    w.kind = 'n';
    w.day = *n;
  }
  if (c.eat('/')) {
    auto t = hms(c);
    if (!t) return std::nullopt;
    w.time = *t;
  }
  return w;
}

// Local wall-clock seconds (as if UTC) at which w happens in year y.
int64_t local_change(const TimeZone::Rule::When& w, int64_t y) {
  int64_t days = 0;
  if (w.kind == 'M') {
    int64_t first = days_from_civil(y, w.month, 1);
    int first_weekday = static_cast<int>(((first % 7) + 7 + 4) % 7);  // 1970-01-01 was a Thursday
    int day = 1 + (w.weekday - first_weekday + 7) % 7 + 7 * (w.week - 1);
    while (day > days_in_month(y, w.month)) day -= 7;
    days = first + day - 1;
  } else if (w.kind == 'J') {
    days = days_from_civil(y, 1, 1) + w.day - 1 + (is_leap(y) && w.day >= 60 ? 1 : 0);
  } else {
    days = days_from_civil(y, 1, 1) + w.day;
  }
  return days * kDay + w.time;
}

}  // namespace

std::optional<TimeZone::Rule> TimeZone::parse_rule(std::string_view text) {
  Cursor c{text};
  Rule r;
  if (!zone_name(c)) return std::nullopt;
  auto std_off = hms(c);
  if (!std_off) return std::nullopt;
  r.std_offset = -*std_off;  // POSIX counts west of Greenwich
  if (c.done()) return r;
  if (!zone_name(c)) return std::nullopt;
  r.has_dst = true;
  r.dst_offset = r.std_offset + 3600;
  if (!c.done() && c.peek() != ',') {
    auto dst_off = hms(c);
    if (!dst_off) return std::nullopt;
    r.dst_offset = -*dst_off;
  }
  if (c.done()) {
    // POSIX leaves the default rule to the implementation; the US rule is what glibc uses.
    r.start = {'M', 3, 2, 0, 0, 7200};
    r.end = {'M', 11, 1, 0, 0, 7200};
    return r;
  }
  if (!c.eat(',')) return std::nullopt;
  auto start = change_date(c);
  if (!start || !c.eat(',')) return std::nullopt;
  auto end = change_date(c);
  if (!end || !c.done()) return std::nullopt;
  r.start = *start;
  r.end = *end;
  return r;
}

int32_t TimeZone::Rule::offset_at(int64_t utc) const {
  if (!has_dst) return std_offset;
  int64_t y = year_of(utc + std_offset);
  // Summer time starts at a standard-time wall clock and ends at a summer-time one.
  int64_t begins = local_change(start, y) - std_offset;
  int64_t ends = local_change(end, y) - dst_offset;
  bool dst = begins < ends ? (utc >= begins && utc < ends) : !(utc >= ends && utc < begins);
  return dst ? dst_offset : std_offset;
}

std::shared_ptr<const TimeZone> TimeZone::from_tzif(std::string_view bytes, std::string* error) {
  auto fail = [&](const char* why) {
    if (error != nullptr) *error = why;
    return std::shared_ptr<const TimeZone>();
  };
  auto data = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t size = bytes.size();
  if (size < 44 || bytes.substr(0, 4) != "TZif") return fail("not a TZif file");
  struct Counts {
    uint64_t isut, isstd, leap, time, type, chars;
  };
  auto counts_at = [&](size_t at) {
    const unsigned char* h = data + at + 20;
    return Counts{be32(h), be32(h + 4), be32(h + 8), be32(h + 12), be32(h + 16), be32(h + 20)};
  };
  auto block_size = [](const Counts& c, uint64_t time_size) {
    return c.time * time_size + c.time + c.type * 6 + c.chars + c.leap * (time_size + 4) + c.isstd + c.isut;
  };
  size_t at = 0;
  uint64_t time_size = 4;
  Counts c = counts_at(0);
  if (data[4] >= '2') {
    // Version 2+: skip the 32-bit block, read the 64-bit one.
    uint64_t skip = 44 + block_size(c, 4);
    if (skip + 44 > size || bytes.substr(skip, 4) != "TZif") return fail("truncated TZif file");
    at = skip;
    time_size = 8;
    c = counts_at(at);
  }
  if (c.type == 0 || c.type > 256) return fail("TZif file without valid time types");
  uint64_t body = at + 44;
  if (body + block_size(c, time_size) > size) return fail("truncated TZif file");
  auto zone = std::make_shared<TimeZone>();
  const unsigned char* times = data + body;
  const unsigned char* indices = times + c.time * time_size;
  const unsigned char* types = indices + c.time;
  auto type_offset = [&](uint64_t i) { return static_cast<int32_t>(be32(types + i * 6)); };
  zone->initial_offset_ = type_offset(0);
  for (uint64_t i = 0; i < c.time; ++i) {
    int64_t t = time_size == 8 ? be64(times + i * 8) : static_cast<int32_t>(be32(times + i * 4));
    if (indices[i] >= c.type) return fail("TZif transition with an unknown time type");
    if (!zone->transitions_.empty() && t <= zone->transitions_.back()) return fail("TZif transitions out of order");
    zone->transitions_.push_back(t);
    zone->offsets_.push_back(type_offset(indices[i]));
  }
  if (time_size == 8) {
    // The footer: "\n<POSIX TZ rule>\n", for times past the last transition.
    size_t footer = body + block_size(c, time_size);
    if (footer < size && bytes[footer] == '\n') {
      size_t end = bytes.find('\n', footer + 1);
      if (end == std::string_view::npos) return fail("TZif footer without its final newline");
      std::string_view tz = bytes.substr(footer + 1, end - footer - 1);
      if (!tz.empty()) {
        zone->rule_ = parse_rule(tz);
        if (!zone->rule_) return fail("TZif footer is not a POSIX TZ rule");
      }
    }
  }
  return zone;
}

std::shared_ptr<const TimeZone> TimeZone::load(std::string_view name, std::string* error) {
  if (!valid_name(name)) {
    if (error != nullptr) *error = "not a time zone name (like Europe/Berlin or America/New_York)";
    return nullptr;
  }
  const char* dir = std::getenv("TZDIR");
  std::string path = std::string(dir != nullptr && *dir != '\0' ? dir : "/usr/share/zoneinfo") + "/" +
                     std::string(name);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (error != nullptr) *error = "unknown time zone (no " + path + "; is the tzdata package installed?)";
    return nullptr;
  }
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string why;
  auto zone = from_tzif(bytes, &why);
  if (!zone && error != nullptr) *error = path + ": " + why;
  return zone;
}

int32_t TimeZone::offset_at(int64_t utc) const {
  if (transitions_.empty() || utc < transitions_.front()) {
    return transitions_.empty() && rule_ ? rule_->offset_at(utc) : initial_offset_;
  }
  if (rule_ && utc >= transitions_.back()) return rule_->offset_at(utc);
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc);
  return offsets_[static_cast<size_t>(it - transitions_.begin()) - 1];
}

int64_t TimeZone::to_utc(int64_t local) const {
  // The offsets a day either side: no zone changes twice within two days.
  int32_t before = offset_at(local - kDay);
  int32_t after = offset_at(local + kDay);
  int64_t with_before = local - before;
  int64_t with_after = local - after;
  bool before_fits = offset_at(with_before) == before;
  bool after_fits = offset_at(with_after) == after;
  if (before_fits && after_fits) return std::min(with_before, with_after);  // twice: the earlier
  if (after_fits) return with_after;
  return with_before;  // fits, or a skipped time read with the offset before the skip
}

}  // namespace sluice::timefmt
