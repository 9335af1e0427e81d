// The regex parse format: named PCRE2 groups become string fields.
#include <catch2/catch.hpp>

#include <string>

#include "agent/json_writer.hpp"
#include "agent/parse/regex_format.hpp"

using namespace sluice;

namespace {
std::string parse(ParseFormat& f, std::string_view text) {
  Arena arena;
  Value out;
  if (!f.parse(text, arena, out)) return "FAIL";
  return json::to_string(out);
}

std::unique_ptr<ParseFormat> make(std::string_view pattern, bool skip_empty = true) {
  RegexFormatResult r = make_regex_format(pattern, skip_empty);
  INFO(r.error);
  REQUIRE(r.format);
  return std::move(r.format);
}
}  // namespace

TEST_CASE("regex: named groups become fields in pattern order", "[parse][regex]") {
  // Fluent Bit's apache2 parser, Ruby-style (?<name>...) groups.
  auto f = make(R"re(^(?<host>[^ ]*) [^ ]* (?<user>[^ ]*) \[(?<time>[^\]]*)\] "(?<method>\S+)(?: +(?<path>[^ ]*) +\S*)?" )re"
                R"re((?<code>[^ ]*) (?<size>[^ ]*)(?: "(?<referer>[^\"]*)" "(?<agent>.*)")?$)re");
  CHECK(parse(*f, R"(192.168.0.1 - bob [21/Nov/2026:10:20:30 +0000] "GET /index.html HTTP/1.1" 200 512 "-" "curl/8")") ==
        R"({"host":"192.168.0.1","user":"bob","time":"21/Nov/2026:10:20:30 +0000","method":"GET",)"
        R"("path":"/index.html","code":"200","size":"512","referer":"-","agent":"curl/8"})");
  SECTION("unset optional groups are left out") {
    CHECK(parse(*f, R"(10.0.0.1 - - [t] "GET" 404 0)") ==
          R"({"host":"10.0.0.1","user":"-","time":"t","method":"GET","code":"404","size":"0"})");
  }
  SECTION("no match fails") { CHECK(parse(*f, "not an access log") == "FAIL"); }
}

TEST_CASE("regex: searched anywhere, unnamed groups ignored, Python-style names accepted", "[parse][regex]") {
  auto f = make(R"((\d+)-(?P<word>[a-z]+))");
  CHECK(parse(*f, "xx 12-abc yy") == R"({"word":"abc"})");
}

TEST_CASE("regex: empty captures are skipped unless skip_empty_values is off", "[parse][regex]") {
  CHECK(parse(*make("^(?<a>x*),(?<b>y*)$"), ",yy") == R"({"b":"yy"})");
  CHECK(parse(*make("^(?<a>x*),(?<b>y*)$", false), ",yy") == R"({"a":"","b":"yy"})");
  CHECK(parse(*make("^(?<a>x*)$"), "") == "{}");
}

TEST_CASE("regex: binary and invalid UTF-8 text is matched bytewise", "[parse][regex]") {
  auto f = make("^(?<all>.*)$");
  Arena arena;
  Value out;
  std::string text("a\xff\xfe\0b", 5);
  REQUIRE(f->parse(text, arena, out));
  CHECK(out.find("all")->as_string() == text);
}

TEST_CASE("regex: bad patterns are refused with PCRE2's message and offset", "[parse][regex]") {
  RegexFormatResult r = make_regex_format("(?<a>x");
  CHECK_FALSE(r.format);
  CHECK(r.error == "does not compile: missing closing parenthesis at offset 6");
  r = make_regex_format("^(\\d+)$");
  CHECK_FALSE(r.format);
  CHECK(r.error == "has no named capture group: name the fields with (?<name>...)");
}
