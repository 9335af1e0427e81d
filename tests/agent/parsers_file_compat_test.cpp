// A classic parsers file with every kind of entry Fluent Bit's stock
// parsers.conf has, and the formats and keys its documentation adds, loads
// whole through service.parsers_file, and each parser reads its kind of line.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <ctime>
#include <string>

#include "agent/config/yaml_loader.hpp"
#include "agent/json_writer.hpp"
#include "agent/parse/parser.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {
constexpr int64_t kSec = 1'000'000'000;

struct Parsed {
  std::string record;  // JSON, or "FAIL"
  std::optional<int64_t> time_ns;
};

Parsed run(const ParserSet& set, std::string_view name, std::string_view text) {
  const Parser* p = set.find(name);
  REQUIRE(p != nullptr);
  Arena arena;
  auto parsed = p->parse(text, arena);
  if (!parsed) return {"FAIL", std::nullopt};
  return {json::to_string(parsed->record), parsed->time_ns};
}

// Sets TZ for one test and puts the old value back.
class ScopedTz {
 public:
  explicit ScopedTz(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    setenv("TZ", tz, 1);
    tzset();
  }
  ~ScopedTz() {
    if (old_) setenv("TZ", old_->c_str(), 1);
    else unsetenv("TZ");
    tzset();
  }

 private:
  std::optional<std::string> old_;
};
}  // namespace

TEST_CASE("a Fluent Bit style parsers.conf loads whole and its parsers work", "[parse][classic]") {
  const std::string file = std::string(SLUICE_SOURCE_DIR) + "/tests/data/parsers/fluent-bit-style.conf";
  config::PipelineConfig cfg = config::load_string("service:\n  parsers_file: " + file + "\n", "sluice.yaml", ".");
  REQUIRE(cfg.parsers.size() == 9);
  REQUIRE(cfg.multiline_parsers.size() == 1);
  ParserSet set = ParserSet::build(cfg.parsers, cfg.multiline_parsers);
  CHECK(set.find_multiline("stack_lines") != nullptr);

  SECTION("regex with a zone in the time, and types") {
    auto r = run(set, "web_combined",
                 R"(127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326 "http://r/" "curl/8")");
    CHECK(r.record == R"({"host":"127.0.0.1","user":"frank","method":"GET","path":"/a.gif","code":200,)"
                      R"("size":2326,"referer":"http://r/","agent":"curl/8"})");
    CHECK(r.time_ns == 971211336 * kSec);
  }
  SECTION("json with Time_Keep, and with Time_Offset") {
    auto r = run(set, "container_json", R"({"log":"hi\n","stream":"stdout","time":"2024-05-01T12:00:00.25Z"})");
    CHECK(r.record == R"({"log":"hi\n","stream":"stdout","time":"2024-05-01T12:00:00.25Z"})");
    CHECK(r.time_ns == 1714564800 * kSec + kSec / 4);
    auto o = run(set, "app_json", R"({"ts":"2024-05-01T14:00:00.500","msg":"x"})");
    CHECK(o.record == R"({"msg":"x"})");
    CHECK(o.time_ns == 1714564800 * kSec + kSec / 2);
  }
  SECTION("Fluent Bit's stock docker parser on a line of Docker's json-file log") {
    auto r = run(set, "docker", R"({"log":"hello\n","stream":"stdout","time":"2026-12-07T10:00:00.123456789Z"})");
    CHECK(r.record == R"({"log":"hello\n","stream":"stdout","time":"2026-12-07T10:00:00.123456789Z"})");
    CHECK(r.time_ns == 1796637600 * kSec + 123'456'789);
  }
  SECTION("a syslog regex with a stamp without year") {
    auto r = run(set, "bsd_syslog", "<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed");
    CHECK(r.record == R"({"pri":34,"host":"mymachine","ident":"su","pid":230,"message":"'su root' failed"})");
    CHECK(r.time_ns.has_value());
  }
  SECTION("logfmt without bare keys") {
    CHECK(run(set, "kv_logs", "level=info msg=ok").record == R"({"level":"info","msg":"ok"})");
    CHECK(run(set, "kv_logs", "level=info debug").record == "FAIL");
  }
  SECTION("ltsv with its time in brackets and comma-separated types") {
    auto r = run(set, "access_ltsv", "time:[10/Oct/2000:13:55:36 -0700]\thost:10.0.0.1\tstatus:404\tsize:12");
    CHECK(r.record == R"({"host":"10.0.0.1","status":404,"size":12})");
    CHECK(r.time_ns == 971211336 * kSec);
  }
  SECTION("decoders: escaped text in place, then its JSON keys") {
    auto r = run(set, "wrapped_json", R"({"log":"{\\\"user\\\":\\\"ann\\\"}","stream":"stderr"})");
    CHECK(r.record == R"({"log":"{\"user\":\"ann\"}","stream":"stderr","user":"ann"})");
  }
  SECTION("Time_Strict off and the system's time zone") {
    ScopedTz tz("XST-3");  // three hours east of UTC, no DST: no tzdata needed
    auto r = run(set, "loose_time", "2024-05-01 12:00:30 started");
    CHECK(r.record == R"({"msg":"started"})");
    CHECK(r.time_ns == (1714564800 - 3 * 3600) * kSec);
  }
}

TEST_CASE("parser keys added for Fluent Bit are checked", "[parse][config]") {
  auto error = [](std::string_view yaml) {
    try {
      ParserSet::build(config::load_string("parsers:\n  - name: p\n" + std::string(yaml)).parsers);
    } catch (const config::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(error("    format: regex\n    regex: '(?<t>.*)'\n    time_format: '%H'\n    time_offset: '+0100'\n"
                   "    time_system_timezone: on\n"),
             Catch::Contains("time_system_timezone") && Catch::Contains("can't be combined with time_offset"));
  CHECK_THAT(error("    format: csv\n"), Catch::Contains("ltsv"));
}

}  // namespace SLUICE_UNITY_ID
