// IANA time zones (a parser's `time_zone: Europe/Berlin`), read from the
// system's TZif files (RFC 8536) without the C library's global TZ state:
// the transitions, and the POSIX TZ rule of the file's footer for times past
// the last one. Immutable after load; safe to share between threads.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::timefmt {

class TimeZone {
 public:
  // Loads zone `name` from $TZDIR, else /usr/share/zoneinfo. Null with
  // error set when the name isn't a zone name or the file isn't a TZif file.
  static std::shared_ptr<const TimeZone> load(std::string_view name, std::string* error);
  // Reads a TZif file's bytes (version 1 to 4).
  static std::shared_ptr<const TimeZone> from_tzif(std::string_view bytes, std::string* error);

  // Seconds east of UTC in force at the instant utc (seconds since the epoch).
  int32_t offset_at(int64_t utc) const;
  // The instant of a wall-clock time in this zone (local: seconds since the
  // epoch as if the wall clock were UTC). A time the clocks went back over
  // (it happened twice) is the earlier instant; a time they skipped (it never
  // happened) is read with the offset in force before the skip, so 02:30 on
  // the night Berlin goes from 02:00 to 03:00 is 03:30 CEST (as mktime and
  // Python read it).
  int64_t to_utc(int64_t local) const;

  // A POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3"); public for tests.
  struct Rule {
    int32_t std_offset = 0;  // seconds east of UTC
    int32_t dst_offset = 0;
    bool has_dst = false;
    // A change date: Jn (kind 'J', day 1-365 without Feb 29), n (kind 'n',
    // day 0-365), Mm.w.d (kind 'M'); at `time` seconds of local wall time.
    struct When {
      char kind = 'M';
      int month = 0, week = 0, weekday = 0, day = 0;
      int32_t time = 7200;
    };
    When start, end;
    int32_t offset_at(int64_t utc) const;
  };
  static std::optional<Rule> parse_rule(std::string_view text);

 private:
  std::vector<int64_t> transitions_;  // ascending instants
  std::vector<int32_t> offsets_;      // offset in force from transitions_[i] on
  int32_t initial_offset_ = 0;        // before the first transition (time type 0)
  std::optional<Rule> rule_;          // past the last transition
};

}  // namespace sluice::timefmt
