// Named parsers: time_key/time_format/time_keep, types, and the ParserSet
// built from the `parsers` section (built-ins, replacement, config errors).
#include <catch2/catch.hpp>

#include <string>

#include "agent/config/yaml_loader.hpp"
#include "agent/json_writer.hpp"
#include "agent/parse/parser.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {
constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kBase = 1795256430;  // 2026-11-21T10:20:30Z

ParserSet build(std::string_view yaml_list) {
  std::vector<config::ComponentConfig> parsers;
  if (!yaml_list.empty()) parsers = config::load_string("parsers:\n" + std::string(yaml_list)).parsers;
  return ParserSet::build(parsers);
}

// Message of the ConfigError that building yaml_list throws.
std::string build_error(std::string_view yaml_list) {
  try {
    build(yaml_list);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

struct Result {
  std::string record;  // JSON, or "FAIL"
  std::optional<int64_t> time_ns;
};

Result run(const Parser& parser, std::string_view text) {
  Arena arena;
  auto parsed = parser.parse(text, arena);
  if (!parsed) return {"FAIL", std::nullopt};
  return {json::to_string(parsed->record), parsed->time_ns};
}

Result run(const ParserSet& set, std::string_view name, std::string_view text) {
  const Parser* p = set.find(name);
  REQUIRE(p != nullptr);
  return run(*p, text);
}
}  // namespace

TEST_CASE("parsers: built-ins", "[parse][parser]") {
  ParserSet set = build("");
  CHECK(set.names() == std::vector<std::string>{"docker", "json", "logfmt"});
  CHECK(set.find("nope") == nullptr);
  CHECK(run(set, "json", R"({"a":1,"time":"x"})").record == R"({"a":1,"time":"x"})");
  CHECK(run(set, "json", "not json").record == "FAIL");
  CHECK(run(set, "logfmt", "a=1 b").record == R"({"a":"1","b":true})");
  SECTION("docker reads its time and keeps the field") {
    Result r = run(set, "docker", R"({"log":"hi\n","stream":"stdout","time":"2026-11-21T10:20:30.123456789Z"})");
    CHECK(r.record == R"({"log":"hi\n","stream":"stdout","time":"2026-11-21T10:20:30.123456789Z"})");
    CHECK(r.time_ns == kBase * kSec + 123'456'789);
  }
}

TEST_CASE("parsers: time_key, time_format, time_keep, time_offset", "[parse][parser]") {
  ParserSet set = build(R"(
  - name: rfc
    format: json
    time_key: ts
  - name: fmt
    format: logfmt
    time_key: at
    time_format: "%d/%b/%Y:%H:%M:%S"
    time_offset: "+02:00"
  - name: keep
    format: json
    time_key: ts
    time_keep: on
  - name: default_key
    format: json
    time_format: "%s"
)");
  SECTION("RFC 3339 when time_format is unset; the field is removed") {
    Result r = run(set, "rfc", R"({"ts":"2026-11-21T10:20:30.5Z","m":"x"})");
    CHECK(r.record == R"({"m":"x"})");
    CHECK(r.time_ns == kBase * kSec + 500'000'000);
  }
  SECTION("numbers are epoch seconds, with a fraction") {
    CHECK(run(set, "rfc", R"({"ts":1795256430})").time_ns == kBase * kSec);
    CHECK(run(set, "rfc", R"({"ts":1795256430.25})").time_ns == kBase * kSec + 250'000'000);
    CHECK(run(set, "rfc", R"({"ts":-1.5})").time_ns == -1'500'000'000);
  }
  SECTION("time_format with time_offset for stamps without a zone") {
    Result r = run(set, "fmt", "at=21/Nov/2026:12:20:30 msg=x");
    CHECK(r.record == R"({"msg":"x"})");
    CHECK(r.time_ns == kBase * kSec);
  }
  SECTION("time_keep keeps the field") {
    Result r = run(set, "keep", R"({"ts":"2026-11-21T10:20:30Z"})");
    CHECK(r.record == R"({"ts":"2026-11-21T10:20:30Z"})");
    CHECK(r.time_ns == kBase * kSec);
  }
  SECTION("time_format without time_key reads 'time', as Fluent Bit") {
    Result r = run(set, "default_key", R"({"time":"1795256430","a":1})");
    CHECK(r.record == R"({"a":1})");
    CHECK(r.time_ns == kBase * kSec);
  }
  SECTION("a time that doesn't parse keeps the record and the field, without a time") {
    for (const char* text : {R"({"ts":"yesterday","m":1})", R"({"ts":true,"m":1})", R"({"ts":1e+300,"m":1})"}) {
      INFO(text);
      Result r = run(set, "rfc", text);
      CHECK(r.record == text);
      CHECK_FALSE(r.time_ns.has_value());
    }
  }
  SECTION("a missing time key is no failure") {
    Result r = run(set, "rfc", R"({"m":1})");
    CHECK(r.record == R"({"m":1})");
    CHECK_FALSE(r.time_ns.has_value());
  }
}

TEST_CASE("parsers: types convert fields, values that don't convert stay", "[parse][parser]") {
  ParserSet set = build(R"(
  - name: typed
    format: logfmt
    types: "status:integer latencyMs:float ok:bool mask:hex code:string bad:integer nan:float"
  - name: typed_json
    format: json
    types: status:integer latencyMs:float id:string ok:string r:string code:hex
)");
  CHECK(run(set, "typed", "status=200 latencyMs=12.5 ok=TRUE mask=0xff code=7 bad=12x nan=nan other=1").record ==
        R"({"status":200,"latencyMs":12.5,"ok":true,"mask":255,"code":"7","bad":"12x","nan":"nan","other":"1"})");
  CHECK(run(set, "typed", "status=-3 latencyMs=+1e3 ok=false mask=FF").record ==
        R"({"status":-3,"latencyMs":1000.0,"ok":false,"mask":255})");
  CHECK(run(set, "typed", "status=99999999999999999999 ok=yes mask=-1").record ==
        R"({"status":"99999999999999999999","ok":"yes","mask":"-1"})");
  CHECK(run(set, "typed_json", R"({"status":200.9,"latencyMs":3,"id":42,"ok":true,"r":0.5,"code":[1]})").record ==
        R"({"status":200,"latencyMs":3.0,"id":"42","ok":"true","r":"0.5","code":[1]})");
  SECTION("the converted values have the requested kinds") {
    Arena arena;
    auto parsed = set.find("typed_json")->parse(R"({"status":200.9,"latencyMs":3,"code":"ff"})", arena);
    REQUIRE(parsed);
    CHECK(parsed->record.find("status")->is_int());
    CHECK(parsed->record.find("latencyMs")->is_double());
    CHECK(parsed->record.find("code")->is_int());
    CHECK(parsed->record.find("code")->as_int() == 255);
  }
}

TEST_CASE("parsers: a regex parser with time and types", "[parse][parser]") {
  ParserSet set = build(R"(
  - name: access
    format: regex
    regex: '^(?<host>\S+) \[(?<time>[^\]]+)\] (?<code>\d+) (?<empty>x?)$'
    time_format: "%d/%b/%Y:%H:%M:%S %z"
    types: code:integer
)");
  Result r = run(set, "access", "10.0.0.1 [21/Nov/2026:12:20:30 +0200] 503 ");
  CHECK(r.record == R"({"host":"10.0.0.1","code":503})");
  CHECK(r.time_ns == kBase * kSec);
  CHECK(run(set, "access", "garbage").record == "FAIL");
}

TEST_CASE("parsers: a user parser replaces a built-in of the same name", "[parse][parser]") {
  ParserSet set = build(R"(
  - name: json
    format: logfmt
)");
  CHECK(run(set, "json", "a=1").record == R"({"a":"1"})");
  CHECK(set.names().size() == 3);
}

TEST_CASE("parsers: configuration errors", "[parse][parser]") {
  CHECK(build_error(R"(
  - name: twice
    format: json
  - name: twice
    format: logfmt
)") == "<config>:5:5: parser 'twice' (<config>:5): key 'name': a parser of this name is already defined at "
       "<config>:3:5");
  CHECK(build_error(R"(
  - name: r
    format: regex
)") == "<config>:3:5: parser 'r' (<config>:3): key 'regex': format regex needs a 'regex' key with named "
       "groups, e.g. (?<msg>.*)");
  CHECK(build_error(R"(
  - name: r
    format: regex
    regex: '(?<a>x'
)") == "<config>:5:5: parser 'r' (<config>:3): key 'regex': the pattern does not compile: missing "
       "closing parenthesis at offset 6");
  CHECK(build_error(R"(
  - name: r
    format: regex
    regex: '^(x)$'
)") == "<config>:5:5: parser 'r' (<config>:3): key 'regex': the pattern has no named capture group: name "
       "the fields with (?<name>...)");
  CHECK(build_error(R"(
  - name: j
    format: json
    regex: '(?<a>x)'
)") == "<config>:5:5: parser 'j' (<config>:3): key 'regex': is only used with format regex (this "
       "parser's format is json)");
  CHECK(build_error(R"(
  - name: t
    format: json
    types: "status:integr"
)") == "<config>:5:5: parser 't' (<config>:3): key 'types': unknown type 'integr' for 'status' (expected "
       "integer, float, bool, string or hex)");
  CHECK(build_error(R"(
  - name: t
    format: json
    types: "status"
)") == "<config>:5:5: parser 't' (<config>:3): key 'types': 'status' is not KEY:TYPE (e.g. "
       "\"status:integer latencyMs:float\")");
  CHECK(build_error(R"(
  - name: t
    format: json
    time_format: "%Y %Q"
)") == "<config>:5:5: parser 't' (<config>:3): key 'time_format': unsupported directive '%Q' (supported: "
       "%Y %y %m %d %e %H %I %M %S %L %j %z %Z %s %b %B %h %a %A %p %T %R %F %D %n %t %%)");
  CHECK(build_error(R"(
  - name: t
    format: json
    time_offset: "2 hours"
)") == "<config>:5:5: parser 't' (<config>:3): key 'time_offset': expected an offset like +0200, -05:00 "
       "or UTC");
  CHECK(build_error(R"(
  - name: ""
    format: json
)") == "<config>:3:5: parser '' (<config>:3): key 'name': a parser needs a non-empty name");
}

TEST_CASE("parsers: time_offset spellings", "[parse][parser]") {
  for (const char* offset : {"+0200", "+02:00", "+02"}) {
    INFO(offset);
    ParserSet set = build(std::string("  - name: p\n    format: json\n    time_key: t\n    time_format: '%F %T'\n"
                                      "    time_offset: '") + offset + "'\n");
    CHECK(run(set, "p", R"({"t":"2026-11-21 12:20:30"})").time_ns == kBase * kSec);
  }
  ParserSet set = build("  - name: p\n    format: json\n    time_key: t\n    time_format: '%F %T'\n"
                        "    time_offset: '-05:30'\n");
  CHECK(run(set, "p", R"({"t":"2026-11-21 04:50:30"})").time_ns == kBase * kSec);
}

}  // namespace SLUICE_UNITY_ID
