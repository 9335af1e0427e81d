// The syslog parsers: RFC 5424 (the examples of §6.5, structured data,
// NILVALUE, BOM, malformed headers), RFC 3164 (the examples of §5.4 and the
// variants real senders produce), priority names and format detection.
#include "inputs/syslog/syslog_parse.hpp"

#include <catch2/catch.hpp>
#include <ctime>
#include <string>

#include "agent/json_writer.hpp"
#include "agent/parse/time_format.hpp"
#include "inputs/syslog/syslog_rfc3164.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::syslog;

namespace {

struct Parsed {
  bool ok = false;
  std::string json;
  std::optional<int64_t> time_ns;
};

// 2026-11-21T12:00:00Z: the receive time of the RFC 3164 cases.
const int64_t kNow = *timefmt::parse_rfc3339("2026-11-21T12:00:00Z");

Parsed parse(std::string_view text, Format format = Format::Auto, int64_t now = kNow) {
  Arena arena;
  std::vector<Member> scratch;
  std::string_view copy = arena.copy(text);
  SyslogMessage m;
  Parsed out;
  MapBuilder b(arena, scratch);
  out.ok = parse_message(copy, format, now, m);
  if (out.ok) {
    add_fields(m, arena, scratch, b);
    out.time_ns = m.time_ns;
  } else {
    add_unparsed(copy, b);
  }
  out.json = json::to_string(b.finish());
  REQUIRE(scratch.empty());
  return out;
}

int64_t rfc3339(const char* s) { return *timefmt::parse_rfc3339(s); }

// The local time (TZ of the test run) as nanoseconds, as RFC 3164 stamps are read.
int64_t local_ns(int year, int month, int day, int hour, int minute, int second) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  tm.tm_isdst = -1;
  return static_cast<int64_t>(std::mktime(&tm)) * 1'000'000'000;
}

}  // namespace

TEST_CASE("syslog: RFC 5424 section 6.5 examples", "[syslog][syslog_parse]") {
  SECTION("example 1: no structured data, BOM before the message") {
    auto p = parse(
        "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xEF\xBB\xBF'su root' failed for "
        "lonvick on /dev/pts/8");
    REQUIRE(p.ok);
    CHECK(p.json == R"({"pri":34,"facility":4,"facility_name":"auth","severity":2,"severity_name":"crit",)"
                    R"("time":"2003-10-11T22:14:15.003Z","host":"mymachine.example.com","ident":"su","msgid":"ID47",)"
                    R"("message":"'su root' failed for lonvick on /dev/pts/8"})");
    CHECK(p.time_ns == rfc3339("2003-10-11T22:14:15.003Z"));
  }
  SECTION("example 2: microseconds and an offset; no MSGID") {
    auto p = parse(
        "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the "
        "do-nuts.");
    REQUIRE(p.ok);
    CHECK(p.json == R"({"pri":165,"facility":20,"facility_name":"local4","severity":5,"severity_name":"notice",)"
                    R"("time":"2003-08-24T05:14:15.000003-07:00","host":"192.0.2.1","ident":"myproc","pid":"8710",)"
                    R"("message":"%% It's time to make the do-nuts."})");
    CHECK(p.time_ns == rfc3339("2003-08-24T12:14:15.000003Z"));
  }
  SECTION("example 3: structured data and a message") {
    auto p = parse(R"(<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 )"
                   R"([exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] )"
                   "\xEF\xBB\xBF"
                   "An application event log entry...");
    REQUIRE(p.ok);
    CHECK(p.json == R"({"pri":165,"facility":20,"facility_name":"local4","severity":5,"severity_name":"notice",)"
                    R"("time":"2003-10-11T22:14:15.003Z","host":"mymachine.example.com","ident":"evntslog",)"
                    R"("msgid":"ID47","extradata":{"exampleSDID@32473":{"iut":"3","eventSource":"Application",)"
                    R"("eventID":"1011"}},"message":"An application event log entry..."})");
  }
  SECTION("example 4: two SD elements and no message") {
    auto p = parse(R"(<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 )"
                   R"([exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"])"
                   R"([examplePriority@32473 class="high"])");
    REQUIRE(p.ok);
    CHECK(p.json == R"({"pri":165,"facility":20,"facility_name":"local4","severity":5,"severity_name":"notice",)"
                    R"("time":"2003-10-11T22:14:15.003Z","host":"mymachine.example.com","ident":"evntslog",)"
                    R"("msgid":"ID47","extradata":{"exampleSDID@32473":{"iut":"3","eventSource":"Application",)"
                    R"("eventID":"1011"},"examplePriority@32473":{"class":"high"}}})");
  }
}

TEST_CASE("syslog: RFC 5424 details", "[syslog][syslog_parse]") {
  SECTION("every header field NIL: only the priority and the message") {
    auto p = parse("<13>1 - - - - - - hello");
    REQUIRE(p.ok);
    CHECK(p.json == R"({"pri":13,"facility":1,"facility_name":"user","severity":5,"severity_name":"notice",)"
                    R"("message":"hello"})");
    CHECK_FALSE(p.time_ns);
  }
  SECTION("an empty message after SP is an empty message; none at all is no message") {
    CHECK(parse("<13>1 - h a - - - ").json.find(R"("message":"")") != std::string::npos);
    CHECK(parse("<13>1 - h a - - -").json.find("message") == std::string::npos);
  }
  SECTION("escaped \\\" \\\\ \\] in parameter values; other backslashes stay") {
    auto p = parse(R"(<14>1 - h a - - [x@1 q="say \"hi\"" b="C:\\dir" r="[a\]" o="\n"] m)");
    REQUIRE(p.ok);
    CHECK(p.json.find(R"("extradata":{"x@1":{"q":"say \"hi\"","b":"C:\\dir","r":"[a]","o":"\\n"}})") !=
          std::string::npos);
  }
  SECTION("a parameter repeated in one element keeps every value, in order") {
    auto p = parse(R"(<14>1 - h a - - [x@1 ip="10.0.0.1" ip="10.0.0.2" ip="10.0.0.3" k="v"][y])");
    REQUIRE(p.ok);
    CHECK(p.json.find(R"("extradata":{"x@1":{"ip":["10.0.0.1","10.0.0.2","10.0.0.3"],"k":"v"},"y":{}})") !=
          std::string::npos);
  }
  SECTION("a ']' or space inside a quoted value doesn't end the element") {
    auto p = parse(R"(<14>1 - h a - - [x@1 v="a ] b"] m)");
    REQUIRE(p.ok);
    CHECK(p.json.find(R"("x@1":{"v":"a ] b"})") != std::string::npos);
  }
  SECTION("malformed messages: kept raw with parse_error, priority still read") {
    for (const char* bad : {"<13>1 2026-13-45T99:00:00Z h a - - - bad time", "<13>1 - h a - - [unclosed x=\"1\"",
                            "<13>1 - h a - - [x@1 k=v] unquoted", "<13>1 - h a - - [x@1 k=\"v\"]no-space",
                            "<13>1 - h a - -", "<13>1  h a - - - double space", "<13>1 - h a - - x not sd",
                            "<13>1 - h a - waytoolongmsgid_waytoolongmsgid_waytoolong - m"}) {
      CAPTURE(bad);
      auto p = parse(bad);
      CHECK_FALSE(p.ok);
      CHECK(p.json == std::string(R"({"pri":13,"facility":1,"facility_name":"user","severity":5,)") +
                          R"("severity_name":"notice","message":)" + json::to_string(Value::string(bad)) +
                          R"(,"parse_error":true})");
    }
  }
  SECTION("parser rfc5424 refuses an RFC 3164 message") {
    CHECK_FALSE(parse("<34>Oct 11 22:14:15 mymachine su: hi", Format::Rfc5424).ok);
  }
}

TEST_CASE("syslog: priority", "[syslog][syslog_parse]") {
  CHECK(parse("<0>1 - - - - - -")
            .json.find(R"("facility":0,"facility_name":"kern","severity":0,)"
                       R"("severity_name":"emerg")") != std::string::npos);
  CHECK(parse("<191>1 - - - - - -")
            .json.find(R"("facility":23,"facility_name":"local7","severity":7,)"
                       R"("severity_name":"debug")") != std::string::npos);
  CHECK(parse("<11>hi").json.find(R"("severity":3,"severity_name":"err")") != std::string::npos);
  CHECK(parse("<86>hi").json.find(R"("facility":10,"facility_name":"authpriv","severity":6,)"
                                  R"("severity_name":"info")") != std::string::npos);
  for (const char* bad : {"<192>1 - - - - - - x", "<>x", "<1234>x", "no priority", "", "<", "<12", "<1a>x"}) {
    CAPTURE(bad);
    auto p = parse(bad);
    CHECK_FALSE(p.ok);
    CHECK(p.json == R"({"message":)" + json::to_string(Value::string(bad)) + R"(,"parse_error":true})");
  }
  CHECK(std::string(severity_name(4)) == "warning");
  CHECK(std::string(facility_name(16)) == "local0");
  CHECK(severity_name(8) == nullptr);
  CHECK(facility_name(24) == nullptr);
}

TEST_CASE("syslog: RFC 3164 section 5.4 examples", "[syslog][syslog_parse]") {
  SECTION("example 1") {
    auto p = parse("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8");
    REQUIRE(p.ok);
    CHECK(p.json == R"({"pri":34,"facility":4,"facility_name":"auth","severity":2,"severity_name":"crit",)"
                    R"("time":"Oct 11 22:14:15","host":"mymachine","ident":"su",)"
                    R"("message":"'su root' failed for lonvick on /dev/pts/8"})");
    CHECK(p.time_ns == local_ns(2026, 10, 11, 22, 14, 15));
  }
  SECTION("example 2: no priority at all") {
    auto p = parse("Use the BFG!");
    CHECK_FALSE(p.ok);
    CHECK(p.json == R"({"message":"Use the BFG!","parse_error":true})");
  }
  SECTION("example 3: a stamp followed by text that isn't a host and tag") {
    auto p = parse("<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's time to make the do-nuts.");
    REQUIRE(p.ok);
    CHECK(p.time_ns == local_ns(2026, 8, 24, 5, 34, 0));
    CHECK(p.json.find(R"("message":"1987 mymachine myproc[10]: %% It's time to make the do-nuts."})") !=
          std::string::npos);
  }
  SECTION("example 4: no valid stamp: everything after the priority is the message") {
    auto p = parse("<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!");
    REQUIRE(p.ok);
    CHECK(p.json == R"({"pri":0,"facility":0,"facility_name":"kern","severity":0,"severity_name":"emerg",)"
                    R"("message":"1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: )"
                    R"(That's All Folks!"})");
    CHECK_FALSE(p.time_ns);
  }
}

TEST_CASE("syslog: RFC 3164 variants", "[syslog][syslog_parse]") {
  const std::string pri = R"({"pri":13,"facility":1,"facility_name":"user","severity":5,"severity_name":"notice",)";
  SECTION("tag with pid, space-padded day") {
    auto p = parse("<13>Nov  1 08:05:09 n1 sshd[4711]: Accepted key");
    CHECK(p.json == pri + R"("time":"Nov  1 08:05:09","host":"n1","ident":"sshd","pid":"4711",)"
                          R"("message":"Accepted key"})");
    CHECK(p.time_ns == local_ns(2026, 11, 1, 8, 5, 9));
  }
  SECTION("no hostname (local senders: logger -u, /dev/log)") {
    CHECK(parse("<13>Nov 21 10:00:00 root: hello there").json ==
          pri + R"("time":"Nov 21 10:00:00","ident":"root","message":"hello there"})");
    CHECK(parse("<13>Nov 21 10:00:00 cron[99]: job done").json ==
          pri + R"("time":"Nov 21 10:00:00","ident":"cron","pid":"99","message":"job done"})");
  }
  SECTION("a host but no tag: the rest is the message") {
    CHECK(parse("<13>Nov 21 10:00:00 n1 last message repeated 2 times").json ==
          pri + R"("time":"Nov 21 10:00:00","host":"n1","message":"last message repeated 2 times"})");
  }
  SECTION("tag[pid] without a colon; tags with slashes and dots") {
    CHECK(parse("<13>Nov 21 10:00:00 n1 app[7] started").json ==
          pri + R"("time":"Nov 21 10:00:00","host":"n1","ident":"app","pid":"7","message":"started"})");
    CHECK(parse("<13>Nov 21 10:00:00 n1 postfix/smtpd[12]: connect").json ==
          pri + R"("time":"Nov 21 10:00:00","host":"n1","ident":"postfix/smtpd","pid":"12","message":"connect"})");
  }
  SECTION("an IPv6 host is a host, not a tag") {
    CHECK(parse("<13>Nov 21 10:00:00 fe80::1 app: m").json ==
          pri + R"("time":"Nov 21 10:00:00","host":"fe80::1","ident":"app","message":"m"})");
  }
  SECTION("RFC 3339 stamp (rsyslog's RSYSLOG_ForwardFormat)") {
    auto p = parse("<13>2026-11-21T10:00:00.123456+01:00 n1 app[5]: forwarded");
    CHECK(p.json == pri + R"("time":"2026-11-21T10:00:00.123456+01:00","host":"n1","ident":"app","pid":"5",)"
                          R"("message":"forwarded"})");
    CHECK(p.time_ns == rfc3339("2026-11-21T09:00:00.123456Z"));
  }
  SECTION("Python's SysLogHandler: no header at all") {
    auto p = parse("<14>Something happened: details");
    CHECK(p.json == R"({"pri":14,"facility":1,"facility_name":"user","severity":6,"severity_name":"info",)"
                    R"("message":"Something happened: details"})");
    CHECK_FALSE(p.time_ns);
    CHECK(parse("<14>").json.find(R"("message":"")") != std::string::npos);
  }
  SECTION("fractional seconds after a BSD stamp") {
    auto p = parse("<13>Nov 21 10:00:00.250 n1 app: m");
    CHECK(p.time_ns == local_ns(2026, 11, 21, 10, 0, 0) + 250'000'000);
  }
  SECTION("parser rfc3164 reads an RFC 5424 message as text") {
    auto p = parse("<13>1 - - - - - - x", Format::Rfc3164);
    REQUIRE(p.ok);
    CHECK(p.json == pri + R"("message":"1 - - - - - - x"})");
  }
}

// What network devices send, as rsyslog and syslog-ng read it (the messages
// are those devices' documented formats).
TEST_CASE("syslog: RFC 3164 as real devices send it", "[syslog][syslog_parse]") {
  const std::string local7 =
      R"({"pri":190,"facility":23,"facility_name":"local7","severity":6,"severity_name":"info",)";
  SECTION("a space after the priority (Netgear and others), also with a fraction") {
    auto p = parse("<190> Mar  7 19:06:53 gw1 kernel: DROP IN=eth0");
    CHECK(p.json == local7 + R"("time":"Mar  7 19:06:53","host":"gw1","ident":"kernel","message":"DROP IN=eth0"})");
    CHECK(p.time_ns == local_ns(2026, 3, 7, 19, 6, 53));
    auto f = parse("<190> Mar  7 19:06:53.125 gw1 kernel: x");
    CHECK(f.time_ns == local_ns(2026, 3, 7, 19, 6, 53) + 125'000'000);
    CHECK(f.json.find(R"("time":"Mar  7 19:06:53.125","host":"gw1")") != std::string::npos);
  }
  SECTION("Cisco ASA: a year in the stamp, the message ID as the program") {
    auto p = parse("<190>Mar 7 2008 19:06:53 asa1 %ASA-6-302013: Built outbound TCP connection 4");
    CHECK(p.json == local7 + R"("time":"Mar 7 2008 19:06:53","host":"asa1","ident":"%ASA-6-302013",)"
                             R"("message":"Built outbound TCP connection 4"})");
    CHECK(p.time_ns == local_ns(2008, 3, 7, 19, 6, 53));
  }
  SECTION("Cisco: a colon after the stamp, with and without a host, with and without a year") {
    CHECK(parse("<190>Mar 7 19:06:53: asa1 %ASA-4-102030: Deny").json ==
          local7 + R"("time":"Mar 7 19:06:53","host":"asa1","ident":"%ASA-4-102030","message":"Deny"})");
    auto p = parse("<190>Mar 07 2008 19:06:53: %ASA-4-106023: Deny tcp src outside");
    CHECK(p.json == local7 + R"("time":"Mar 07 2008 19:06:53","ident":"%ASA-4-106023","message":"Deny tcp src outside"})");
    CHECK(p.time_ns == local_ns(2008, 3, 7, 19, 6, 53));
  }
  SECTION("Cisco IOS: milliseconds, and '*' for a clock not yet synchronised") {
    auto p = parse("<190>*Mar  1 00:03:15.295: %SYS-5-CONFIG_I: Configured from console by vty0");
    CHECK(p.json == local7 + R"("time":"*Mar  1 00:03:15.295","ident":"%SYS-5-CONFIG_I",)"
                             R"("message":"Configured from console by vty0"})");
    CHECK(p.time_ns == local_ns(2026, 3, 1, 0, 3, 15) + 295'000'000);
  }
  SECTION("a zero-padded day") {
    auto p = parse("<190>Feb 08 10:00:00 n1 app: m");
    CHECK(p.json == local7 + R"("time":"Feb 08 10:00:00","host":"n1","ident":"app","message":"m"})");
    CHECK(p.time_ns == local_ns(2026, 2, 8, 10, 0, 0));
  }
  SECTION("what still isn't a stamp stays the message") {
    CHECK(parse("<190> hello world").json == local7 + R"("message":" hello world"})");
    CHECK(parse("<190>Mar 7 19:06:53x n1 a: m").json.find(R"("message":"Mar 7 19:06:53x n1 a: m")") !=
          std::string::npos);
    CHECK(parse("<190>Mar 7 20081 19:06:53 n1 a: m").json.find(R"("message":"Mar 7 20081)") != std::string::npos);
  }
}

TEST_CASE("syslog: RFC 3164 stamps have no year", "[syslog][syslog_parse]") {
  int64_t new_year = local_ns(2027, 1, 1, 0, 10, 0);
  // Read just after New Year: last night's stamp is from the year before.
  CHECK(bsd_stamp_time(12, 31, 23, 59, 0, new_year) == local_ns(2026, 12, 31, 23, 59, 0));
  // Less than a day ahead (a sender's clock running fast): this year.
  CHECK(bsd_stamp_time(1, 1, 12, 0, 0, new_year) == local_ns(2027, 1, 1, 12, 0, 0));
  CHECK(bsd_stamp_time(6, 1, 0, 0, 0, local_ns(2026, 11, 21, 0, 0, 0)) == local_ns(2026, 6, 1, 0, 0, 0));
}

TEST_CASE("syslog: trailers are trimmed", "[syslog][syslog_parse]") {
  CHECK(trim_trailer("<13>x\n") == "<13>x");
  CHECK(trim_trailer(std::string_view("<13>x\r\n\0", 8)) == "<13>x");
  CHECK(trim_trailer("\n\n") == "");
  CHECK(trim_trailer("a b ") == "a b ");
}

}  // namespace SLUICE_UNITY_ID
