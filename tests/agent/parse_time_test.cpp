// Timestamps from text: RFC 3339 and strptime-style formats with %L.
#include <catch2/catch.hpp>

#include <ctime>

#include "agent/parse/time_format.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {
constexpr int64_t kSec = 1'000'000'000;
// 2026-11-21T10:20:30Z
constexpr int64_t kBase = 1795256430;
}  // namespace

TEST_CASE("time: RFC 3339 variants", "[parse][time]") {
  using timefmt::parse_rfc3339;
  CHECK(parse_rfc3339("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_rfc3339("2026-11-21T10:20:30Z") == kBase * kSec);
  CHECK(parse_rfc3339("2026-11-21t10:20:30z") == kBase * kSec);
  CHECK(parse_rfc3339("2026-11-21 10:20:30Z") == kBase * kSec);
  CHECK(parse_rfc3339("2026-11-21T10:20:30") == kBase * kSec);  // no zone: UTC
  SECTION("fractions of 1 to 9 digits, more are cut") {
    CHECK(parse_rfc3339("2026-11-21T10:20:30.1Z") == kBase * kSec + 100'000'000);
    CHECK(parse_rfc3339("2026-11-21T10:20:30.123Z") == kBase * kSec + 123'000'000);
    CHECK(parse_rfc3339("2026-11-21T10:20:30.123456Z") == kBase * kSec + 123'456'000);
    CHECK(parse_rfc3339("2026-11-21T10:20:30.123456789Z") == kBase * kSec + 123'456'789);
    CHECK(parse_rfc3339("2026-11-21T10:20:30.1234567891Z") == kBase * kSec + 123'456'789);
    CHECK(parse_rfc3339("2026-11-21T10:20:30,5Z") == kBase * kSec + 500'000'000);
  }
  SECTION("offsets") {
    CHECK(parse_rfc3339("2026-11-21T12:20:30+02:00") == kBase * kSec);
    CHECK(parse_rfc3339("2026-11-21T12:20:30+0200") == kBase * kSec);
    CHECK(parse_rfc3339("2026-11-21T05:20:30.5-05:00") == kBase * kSec + 500'000'000);
    CHECK(parse_rfc3339("2026-11-21T10:20:30+00:00") == kBase * kSec);
  }
  SECTION("dates before the epoch and leap days") {
    CHECK(parse_rfc3339("1969-12-31T23:59:59Z") == -kSec);
    CHECK(parse_rfc3339("2024-02-29T00:00:00Z") == 1709164800 * kSec);
    CHECK(parse_rfc3339("2000-02-29T00:00:00Z") == 951782400 * kSec);
  }
  SECTION("malformed stamps fail") {
    for (const char* bad : {"", "2026-11-21", "2026-11-21T10:20", "2026-13-01T00:00:00Z", "2026-11-31T00:00:00Z",
                            "2023-02-29T00:00:00Z", "2026-11-21T24:00:00Z", "2026-11-21T10:60:00Z",
                            "2026-11-21T10:20:30.Z", "2026-11-21T10:20:30+2:00", "2026-11-21T10:20:30Zjunk",
                            "2026-11-21X10:20:30Z", "2026-1a-21T10:20:30Z", "2026-11-21T10:20:30+25:00",
                            "9999-12-31T23:59:59Z"}) {
      INFO(bad);
      CHECK_FALSE(parse_rfc3339(bad).has_value());
    }
  }
}

TEST_CASE("time: strptime-style formats", "[parse][time]") {
  using timefmt::parse;
  SECTION("the docker format, %L and %z") {
    const char* fmt = "%Y-%m-%dT%H:%M:%S.%L%z";
    CHECK(parse("2026-11-21T10:20:30.123456789Z", fmt) == kBase * kSec + 123'456'789);
    CHECK(parse("2026-11-21T12:20:30.5+02:00", fmt) == kBase * kSec + 500'000'000);
    CHECK(parse("2026-11-21T12:20:30.5+0200", fmt) == kBase * kSec + 500'000'000);
    CHECK(parse("2026-11-21T10:20:30.5-0030", fmt) == (kBase + 1800) * kSec + 500'000'000);
    CHECK_FALSE(parse("2026-11-21T10:20:30Z", fmt).has_value());  // %L needs digits
  }
  SECTION("apache/nginx access logs") {
    CHECK(parse("21/Nov/2026:12:20:30 +0200", "%d/%b/%Y:%H:%M:%S %z") == kBase * kSec);
    CHECK(parse("21/november/2026:10:20:30 +0000", "%d/%B/%Y:%H:%M:%S %z") == kBase * kSec);
  }
  SECTION("compound directives and 12-hour clocks") {
    CHECK(parse("2026-11-21 10:20:30", "%F %T") == kBase * kSec);
    CHECK(parse("11/21/26 10:20", "%D %R") == (kBase - 30) * kSec);
    CHECK(parse("Sat, 21 Nov 2026 10:20:30 GMT", "%a, %d %b %Y %H:%M:%S %Z") == kBase * kSec);
    CHECK(parse("Saturday 2026-11-21 10:20:30 PM", "%A %Y-%m-%d %I:%M:%S %p") == (kBase + 12 * 3600) * kSec);
    CHECK(parse("2026-11-21 12:20:30 am", "%Y-%m-%d %I:%M:%S %p") == (kBase - 10 * 3600) * kSec);
    CHECK(parse("2026-11-21 12:20:30 PM", "%Y-%m-%d %I:%M:%S %p") == (kBase + 2 * 3600) * kSec);
  }
  SECTION("day of year, two-digit years, %e and %%") {
    CHECK(parse("2026 325 10:20:30", "%Y %j %T") == kBase * kSec);
    // Known values (date -u -d DAY +%s), not one parse compared with another:
    // two failed parses would compare equal.
    constexpr int64_t k20241231 = 1735603200, k20261121 = 1795219200, k20261101 = 1793491200;
    CHECK(parse("2024 366", "%Y %j") == k20241231 * kSec);
    CHECK_FALSE(parse("2026 366", "%Y %j").has_value());
    CHECK(parse("26-11-21", "%y-%m-%d") == k20261121 * kSec);
    CHECK(parse("69-01-01", "%y-%m-%d") == -31536000 * kSec);  // 1969-01-01: POSIX's 69-99 → 19xx
    CHECK(parse("Nov  1 2026", "%b %e %Y") == k20261101 * kSec);
    CHECK(parse("100% 2026-11-21", "100%% %F") == k20261121 * kSec);
  }
  SECTION("epoch seconds, with or without a fraction") {
    CHECK(parse("1795256430", "%s") == kBase * kSec);
    CHECK(parse("1795256430.25", "%s") == kBase * kSec + 250'000'000);
    CHECK(parse("1795256430.123", "%s.%L") == kBase * kSec + 123'000'000);
    CHECK(parse("-1", "%s") == -kSec);
    CHECK(parse("1795256430", "%s", 3600 * kSec) == kBase * kSec);  // epoch has no zone to offset
  }
  SECTION("whitespace in the format matches any run of whitespace, trailing whitespace is ignored") {
    CHECK(parse("2026-11-21   10:20:30 ", "%Y-%m-%d %H:%M:%S") == kBase * kSec);
    CHECK(parse("2026-11-2110:20:30", "%Y-%m-%d %H:%M:%S") == kBase * kSec);
  }
  SECTION("time_offset applies only when the text has no zone") {
    CHECK(parse("2026-11-21 12:20:30", "%F %T", 2 * 3600 * kSec) == kBase * kSec);
    CHECK(parse("2026-11-21 05:20:30", "%F %T", -5 * 3600 * kSec) == kBase * kSec);
    CHECK(parse("2026-11-21 10:20:30 +0000", "%F %T %z", 2 * 3600 * kSec) == kBase * kSec);
  }
  SECTION("a stamp without a year is in the current year, as in Fluent Bit (syslog)") {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    int year = tm.tm_year + 1900;
    CHECK(parse("Nov 21 10:20:30", "%b %d %H:%M:%S") ==
          parse(std::to_string(year) + "-11-21 10:20:30", "%Y-%m-%d %H:%M:%S"));
  }
  SECTION("text after the format's end is ignored, as Fluent Bit's strptime leaves it") {
    // Fluent Bit's own docker parser: %L, and Docker's Z after it.
    CHECK(parse("2026-11-21T10:20:30.123456789Z", "%Y-%m-%dT%H:%M:%S.%L") == kBase * kSec + 123'456'789);
    CHECK(parse("2026-11-21 trailing", "%Y-%m-%d") == 1795219200 * kSec);
    CHECK(parse("21/Nov/2026:10:20:30 +0200", "%d/%b/%Y:%H:%M:%S") == kBase * kSec);
  }
  SECTION("time_strict off reads a time that ends early as far as it goes") {
    CHECK(parse("2026-11-21 10:20", "%Y-%m-%d %H:%M:%S", 0, false) == kBase * kSec - 30 * kSec);
    CHECK_FALSE(parse("2026-11-21 10:20", "%Y-%m-%d %H:%M:%S").has_value());
    CHECK_FALSE(parse("garbage", "%Y-%m-%d %H:%M:%S", 0, false).has_value());  // a mismatch, not an early end
    CHECK_FALSE(parse("", "%Y", 0, false).has_value());
  }
  SECTION("mismatches fail") {
    CHECK_FALSE(parse("2026-11-21", "%Y-%m-%d %H").has_value());
    CHECK_FALSE(parse("2026/11/21", "%Y-%m-%d").has_value());
    CHECK_FALSE(parse("2026-02-30", "%Y-%m-%d").has_value());
    CHECK_FALSE(parse("Foo 21 2026", "%b %d %Y").has_value());
    CHECK_FALSE(parse("13:00 PM", "%I:%M %p").has_value());
    CHECK_FALSE(parse("2026-11-21 10:20:30 CEST", "%F %T %Z").has_value());
    CHECK_FALSE(parse("x", "%Q").has_value());
    CHECK_FALSE(parse("2026", "%Y%").has_value());
  }
}

TEST_CASE("time: validate names unsupported directives", "[parse][time]") {
  CHECK(timefmt::validate("%Y-%m-%dT%H:%M:%S.%L%z").empty());
  CHECK(timefmt::validate("%d/%b/%Y:%H:%M:%S %z").empty());
  CHECK(timefmt::validate("%Y-%m-%d %c").find("unsupported directive '%c'") == 0);
  CHECK(timefmt::validate("%Y %") == "ends with a lone '%'");
}

}  // namespace SLUICE_UNITY_ID
