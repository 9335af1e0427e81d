// Parsers' time_zone: IANA zones read from the system's TZif files, their
// POSIX footer rules, and times read around summer-time changes (a skipped
// hour, a repeated hour, both hemispheres); config errors.
#include <catch2/catch.hpp>

#include <ctime>
#include <string>

#include "agent/config/yaml_loader.hpp"
#include "agent/parse/parser.hpp"
#include "agent/parse/time_zone.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using sluice::timefmt::TimeZone;
using Catch::Matchers::Contains;

namespace {
constexpr int64_t kSec = 1'000'000'000;

// Seconds since the epoch of a wall-clock time read as UTC.
int64_t civil(int y, int mo, int d, int h, int mi, int s = 0) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<int64_t>(timegm(&tm));
}

std::shared_ptr<const TimeZone> zone(std::string_view name) {
  std::string error;
  auto z = TimeZone::load(name, &error);
  INFO(error);
  REQUIRE(z != nullptr);
  return z;
}

ParserSet build(std::string_view yaml_list) {
  return ParserSet::build(config::load_string("parsers:\n" + std::string(yaml_list)).parsers);
}

std::string build_error(std::string_view yaml_list) {
  try {
    build(yaml_list);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

std::optional<int64_t> parse_time(const ParserSet& set, std::string_view text) {
  Arena arena;
  auto parsed = set.find("p")->parse(text, arena);
  REQUIRE(parsed);
  return parsed->time_ns;
}

// A slim TZif v2 file: no transitions, one time type, and a footer rule.
std::string slim_tzif(std::string_view footer) {
  std::string block;
  auto be32 = [&](uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) block += static_cast<char>((v >> shift) & 0xff);
  };
  auto header = [&] {
    block += "TZif2";
    block += std::string(15, '\0');
    for (uint32_t count : {0u, 0u, 0u, 0u, 1u, 4u}) be32(count);  // isut isstd leap time type chars
    be32(3600);                                                     // the type: +01:00, not DST, name 0
    block += '\0';
    block += '\0';
    block += std::string("CET\0", 4);
  };
  header();
  header();
  return block + "\n" + std::string(footer) + "\n";
}
}  // namespace

TEST_CASE("time_zone: Europe/Berlin around its summer-time changes", "[parse][time_zone]") {
  auto berlin = zone("Europe/Berlin");
  // 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00 UTC).
  CHECK(berlin->offset_at(civil(2026, 3, 29, 0, 59, 59)) == 3600);
  CHECK(berlin->offset_at(civil(2026, 3, 29, 1, 0)) == 7200);
  CHECK(berlin->to_utc(civil(2026, 3, 29, 1, 59, 59)) == civil(2026, 3, 29, 0, 59, 59));
  CHECK(berlin->to_utc(civil(2026, 3, 29, 3, 0)) == civil(2026, 3, 29, 1, 0));
  // 02:30 never happened: read with the offset before the change (as 03:30 CEST).
  CHECK(berlin->to_utc(civil(2026, 3, 29, 2, 30)) == civil(2026, 3, 29, 1, 30));
  // 2026-10-25: 03:00 CEST becomes 02:00 CET (01:00 UTC); 02:00-02:59 happen twice.
  CHECK(berlin->to_utc(civil(2026, 10, 25, 1, 59)) == civil(2026, 10, 24, 23, 59));
  CHECK(berlin->to_utc(civil(2026, 10, 25, 2, 30)) == civil(2026, 10, 25, 0, 30));  // the first (CEST)
  CHECK(berlin->to_utc(civil(2026, 10, 25, 3, 0)) == civil(2026, 10, 25, 2, 0));
  // Winter and summer, far from any change; and 2040, past the file's transitions
  // or read from its footer rule.
  CHECK(berlin->to_utc(civil(2026, 1, 15, 12, 0)) == civil(2026, 1, 15, 11, 0));
  CHECK(berlin->to_utc(civil(2040, 7, 1, 12, 0)) == civil(2040, 7, 1, 10, 0));
  CHECK(berlin->to_utc(civil(2040, 12, 1, 12, 0)) == civil(2040, 12, 1, 11, 0));
}

TEST_CASE("time_zone: New York and Sydney (southern summer)", "[parse][time_zone]") {
  auto ny = zone("America/New_York");
  CHECK(ny->to_utc(civil(2026, 3, 8, 2, 30)) == civil(2026, 3, 8, 7, 30));   // skipped: read as EST
  CHECK(ny->to_utc(civil(2026, 3, 8, 3, 30)) == civil(2026, 3, 8, 7, 30));   // EDT
  CHECK(ny->to_utc(civil(2026, 11, 1, 1, 30)) == civil(2026, 11, 1, 5, 30)); // twice: the first (EDT)
  CHECK(ny->to_utc(civil(2026, 11, 1, 2, 30)) == civil(2026, 11, 1, 7, 30)); // EST
  auto sydney = zone("Australia/Sydney");
  CHECK(sydney->to_utc(civil(2026, 1, 15, 12, 0)) == civil(2026, 1, 15, 1, 0));  // AEDT +11
  CHECK(sydney->to_utc(civil(2026, 7, 15, 12, 0)) == civil(2026, 7, 15, 2, 0));  // AEST +10
  // 2026-04-05 03:00 AEDT becomes 02:00 AEST: 02:30 happens twice.
  CHECK(sydney->to_utc(civil(2026, 4, 5, 2, 30)) == civil(2026, 4, 4, 15, 30));
  auto utc = zone("UTC");
  CHECK(utc->to_utc(civil(2026, 6, 1, 0, 0)) == civil(2026, 6, 1, 0, 0));
}

TEST_CASE("time_zone: POSIX TZ rules of slim TZif files", "[parse][time_zone]") {
  std::string error;
  auto slim = TimeZone::from_tzif(slim_tzif("CET-1CEST,M3.5.0,M10.5.0/3"), &error);
  INFO(error);
  REQUIRE(slim != nullptr);
  CHECK(slim->to_utc(civil(2026, 3, 29, 2, 30)) == civil(2026, 3, 29, 1, 30));
  CHECK(slim->to_utc(civil(2026, 10, 25, 2, 30)) == civil(2026, 10, 25, 0, 30));
  CHECK(slim->to_utc(civil(2031, 8, 1, 12, 0)) == civil(2031, 8, 1, 10, 0));
  CHECK(slim->to_utc(civil(1999, 2, 1, 12, 0)) == civil(1999, 2, 1, 11, 0));

  auto rule = TimeZone::parse_rule("AEST-10AEDT,M10.1.0,M4.1.0/3");
  REQUIRE(rule);
  CHECK(rule->offset_at(civil(2026, 1, 1, 0, 0)) == 11 * 3600);
  CHECK(rule->offset_at(civil(2026, 7, 1, 0, 0)) == 10 * 3600);
  auto fixed = TimeZone::parse_rule("<+0530>-5:30");
  REQUIRE(fixed);
  CHECK(fixed->offset_at(civil(2026, 7, 1, 0, 0)) == 5 * 3600 + 1800);
  auto us = TimeZone::parse_rule("EST5EDT,M3.2.0,M11.1.0");
  REQUIRE(us);
  CHECK(us->offset_at(civil(2026, 3, 8, 6, 59)) == -5 * 3600);
  CHECK(us->offset_at(civil(2026, 3, 8, 7, 0)) == -4 * 3600);
  auto julian = TimeZone::parse_rule("XST-2XDT,J60/0,J300/0");  // Julian days: Feb 29 is never counted
  REQUIRE(julian);
  CHECK(julian->offset_at(civil(2028, 3, 1, 12, 0)) == 3 * 3600);
  CHECK(julian->offset_at(civil(2028, 2, 29, 12, 0)) == 2 * 3600);
  for (const char* bad : {"", "CET", "CET-1CEST,M3.5.0", "CET-1CEST,M13.5.0,M10.5.0", "CET-1CEST,M3.5.0,M10.5.0x",
                          "<CET-1"}) {
    INFO(bad);
    CHECK_FALSE(TimeZone::parse_rule(bad));
  }
  CHECK(TimeZone::from_tzif("not a tzif file at all, not at all, not at all", &error) == nullptr);
  CHECK(error == "not a TZif file");
  CHECK(TimeZone::from_tzif(slim_tzif("CET-1CEST,M3.5.0,M10.5.0/3").substr(0, 60), &error) == nullptr);
  CHECK_THAT(error, Contains("truncated"));
}

TEST_CASE("time_zone: a parser reads times without a zone in it", "[parse][time_zone][parser]") {
  ParserSet set = build("  - name: p\n    format: json\n    time_key: t\n    time_format: '%Y-%m-%d %H:%M:%S.%L'\n"
                        "    time_zone: Europe/Berlin\n");
  CHECK(parse_time(set, R"({"t":"2026-07-01 12:00:00.250"})") == civil(2026, 7, 1, 10, 0) * kSec + 250'000'000);
  CHECK(parse_time(set, R"({"t":"2026-03-29 02:30:00.000"})") == civil(2026, 3, 29, 1, 30) * kSec);
  CHECK(parse_time(set, R"({"t":"2026-10-25 02:30:00.000"})") == civil(2026, 10, 25, 0, 30) * kSec);
  CHECK(parse_time(set, R"({"t":"2026-10-25 03:30:00.000"})") == civil(2026, 10, 25, 2, 30) * kSec);
  // A time with its own offset keeps it.
  ParserSet zoned = build("  - name: p\n    format: json\n    time_key: t\n    time_format: '%Y-%m-%dT%H:%M:%S%z'\n"
                          "    time_zone: Europe/Berlin\n");
  CHECK(parse_time(zoned, R"({"t":"2026-07-01T12:00:00+0000"})") == civil(2026, 7, 1, 12, 0) * kSec);
}

TEST_CASE("time_zone: configuration errors", "[parse][time_zone][config]") {
  const std::string head = "  - name: p\n    format: json\n    time_format: '%F %T'\n";
  CHECK_THAT(build_error(head + "    time_zone: Mars/Olympus_Mons\n"),
             Contains("key 'time_zone'") && Contains("'Mars/Olympus_Mons': unknown time zone"));
  CHECK_THAT(build_error(head + "    time_zone: ../../etc/passwd\n"), Contains("not a time zone name"));
  CHECK_THAT(build_error(head + "    time_zone: Europe/Berlin\n    time_offset: '+0100'\n"),
             Contains("time_zone") && Contains("can't be combined with time_offset"));
  CHECK_THAT(build_error(head + "    time_zone: Europe/Berlin\n    time_system_timezone: on\n"),
             Contains("time_zone") && Contains("can't be combined with time_system_timezone"));
  CHECK_THAT(build_error("  - name: p\n    format: json\n    time_zone: Europe/Berlin\n"),
             Contains("needs time_format"));
  CHECK(build_error(head + "    time_zone: America/Argentina/Buenos_Aires\n") == "no error");
}

}  // namespace SLUICE_UNITY_ID
