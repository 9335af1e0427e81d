// The regex parse format: named PCRE2 groups become string fields.
#include <catch2/catch.hpp>

#include <string>

#include "agent/json_writer.hpp"
#include "agent/parse/regex_format.hpp"
#include "agent/regex.hpp"
#include "agent/regex_onigmo.hpp"

namespace SLUICE_UNITY_ID {

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

// Fluent Bit's regex engine takes group names of any length; PCRE2 10.42
// stops at 32. Fluent Bit's stock parsers.conf (istio-envoy-proxy) has a
// 33-character one, so such names are compiled under stand-ins.
TEST_CASE("regex: group names longer than PCRE2 takes keep their names", "[parse][regex]") {
  const std::string long_name = "upstream_transport_failure_reason";  // 33 characters
  SECTION("a field under its own name") {
    auto f = make("^(?<" + long_name + R"re(>[^ ]*) (?<short>\d+)$)re");
    CHECK(parse(*f, "UF,URX 42") == R"({")" + long_name + R"(":"UF,URX","short":"42"})");
  }
  SECTION("back-references to it, in each syntax, still match the same text") {
    for (const char* ref : {"\\k<N>", "\\k'N'", "\\k{N}", "\\g{N}", "(?P=N)"}) {
      std::string r = ref;
      r.replace(r.find('N'), 1, long_name);
      auto f = make("^(?<" + long_name + ">a+)-" + r + "$");
      INFO(r);
      CHECK(parse(*f, "aa-aa") == R"({")" + long_name + R"(":"aa"})");
      CHECK(parse(*f, "aa-a") == "FAIL");
    }
  }
  SECTION("(?'name'...) and (?P<name>...) definitions, and a name used twice") {
    auto f = make("^(?:(?'" + long_name + "'x+)|(?P<" + long_name + ">y+))$");
    CHECK(parse(*f, "xx") == R"({")" + long_name + R"(":"xx"})");
    CHECK(parse(*f, "yy") == R"({")" + long_name + R"(":"yy"})");
  }
  SECTION("look-behinds, escapes, \\Q..\\E and classes that look like groups are left as they are") {
    auto f = make("^(?<=)(?<" + long_name + R"re(>[(?<x>]+)\(\?<y>\Q(?<z>\E$)re");
    CHECK(parse(*f, "(?<x>(?<y>(?<z>") == R"({")" + long_name + R"(":"(?<x>"})");
  }
  SECTION("Fluent Bit's istio-envoy-proxy parser, as its stock parsers.conf has it, on an Envoy access log line") {
    auto f = make(
        R"re(^\[(?<start_time>[^\]]*)\] "(?<method>\S+)(?: +(?<path>[^\"]*?)(?: +\S*)?)? (?<protocol>\S+)" )re"
        R"re((?<response_code>[^ ]*) (?<response_flags>[^ ]*) (?<response_code_details>[^ ]*) )re"
        R"re((?<connection_termination_details>[^ ]*) "(?<upstream_transport_failure_reason>[^ ]*)" )re"
        R"re((?<bytes_received>[^ ]*) (?<bytes_sent>[^ ]*) (?<duration>[^ ]*) (?<x_envoy_upstream_service_time>[^ ]*) )re"
        R"re("(?<x_forwarded_for>[^ ]*)" "(?<user_agent>[^\"]*)" "(?<x_request_id>[^\"]*)" "(?<authority>[^ ]*)" )re"
        R"re("(?<upstream_host>[^ ]*)" (?<upstream_cluster>[^ ]*) (?<upstream_local_address>[^ ]*) )re"
        R"re((?<downstream_local_address>[^ ]*) (?<downstream_remote_address>[^ ]*) (?<requested_server_name>[^ ]*) )re"
        R"re((?<route_name>[^  ]*)$)re");
    std::string line =
        R"([2026-12-07T10:00:00.123Z] "GET /status/418 HTTP/1.1" 418 - via_upstream - "-" 0 135 4 3 "-" )"
        R"("curl/8.5.0" "9c5a2b0e-3d1f-4e8f-a7b5-1f2e3d4c5b6a" "httpbin:8000" "10.44.1.9:80" )"
        R"(outbound|8000||httpbin.default.svc.cluster.local 10.44.1.8:41736 10.0.171.3:8000 10.44.1.8:52840 - default)";
    std::string got = parse(*f, line);
    CHECK_THAT(got, Catch::Contains(R"("upstream_transport_failure_reason":"-")"));
    CHECK_THAT(got, Catch::Contains(R"("response_code":"418")"));
    CHECK_THAT(got, Catch::Contains(R"("route_name":"default")"));
  }
}

// Onigmo's \uHHHH (Fluent Bit's parsers_mult.conf has it, in a class and out).
TEST_CASE("regex: Onigmo code point escapes (u and four hex digits), as in Fluent Bit regexes", "[parse][regex]") {
  auto f = make(R"re(Processing by (?<controller>[^\u0023]+)\u0023(?<controller_method>[^ ]+) as (?<format>[^ ]+?)$)re");
  CHECK(parse(*f, "Processing by UsersController#index as HTML") ==
        R"({"controller":"UsersController","controller_method":"index","format":"HTML"})");
  // Beyond ASCII: the character's UTF-8 bytes, a quantifier taking them whole.
  auto e = make(R"re(^(?<word>\u00e9t\u20AC+)$)re");
  CHECK(parse(*e, "\xc3\xa9t\xe2\x82\xac\xe2\x82\xac") == "{\"word\":\"\xc3\xa9t\xe2\x82\xac\xe2\x82\xac\"}");
  CHECK(parse(*e, "\xc3\xa9t\xe2\x82\xac\x82\xac") == "FAIL");
  SECTION("a pattern still wrong after the translation says so") {
    RegexFormatResult r = make_regex_format(R"re((?<a>\u0023)\uZZ)re", true);
    CHECK_FALSE(r.format);
    CHECK_THAT(r.error, Catch::Contains("translated from Onigmo"));
  }
}

TEST_CASE("regex: Fluent Bit's /pattern/options literals, read by its algorithm", "[parse][regex]") {
  auto body = [](std::string_view p) { return std::string(onigmo_literal(p).body); };
  CHECK(body("/^\\s+at/") == "^\\s+at");
  CHECK(body("/var/log/") == "var/log");
  CHECK(body("/path/to/file") == "/path/to/file");  // "file" is no set of options: the whole text
  CHECK(body("^plain/") == "^plain/");
  CHECK(body("/a/o") == "/a/o");  // o sets nothing, so nothing is stripped
  CHECK(body("/") == "/");
  OnigmoLiteral imx = onigmo_literal("/a.b/imx");
  CHECK((imx.body == "a.b" && imx.ignore_case && imx.dot_all && imx.extended));

  auto search = [](std::string_view pattern, std::string_view text) {
    std::string error;
    auto re = Regex::compile(pattern, &error);
    INFO(error);
    REQUIRE(re);
    return re->search(text);
  };
  CHECK(search("/ERROR/i", "an error here"));
  CHECK_FALSE(search("ERROR", "an error here"));
  CHECK(search("/a.b/m", "a\nb"));  // Ruby's m: a dot matches a newline
  CHECK_FALSE(search("/a.b/", "a\nb"));
  CHECK(search("/a b c/x", "abc"));
  // Fluent Bit's stock syslog-rfc3164 parser is written as a literal.
  auto f = make(R"re(/^\<(?<pri>[0-9]+)\>(?<time>[^ ]* {1,2}[^ ]* [^ ]*) (?<host>[^ ]*) (?<ident>[a-zA-Z0-9_\/\.\-]*)(?:\[(?<pid>[0-9]+)\])?(?:[^\:]*\:)? *(?<message>.*)$/)re");
  CHECK(parse(*f, "<34>Dec  7 22:14:15 mymachine su: 'su root' failed") ==
        R"({"pri":"34","time":"Dec  7 22:14:15","host":"mymachine","ident":"su","message":"'su root' failed"})");
}

TEST_CASE("regex: ^ and $ match at every line, as in Ruby (Fluent Bit's Onigmo)", "[parse][regex]") {
  std::string error;
  auto caused = Regex::compile("^Caused by", &error);
  REQUIRE(caused);
  CHECK(caused->search("java.lang.Exception: x\n\tat A.b(A.java:1)\nCaused by: y"));
  auto line_end = Regex::compile("x$", &error);
  REQUIRE(line_end);
  CHECK(line_end->search("ends in x\nnext"));
  auto text_start = Regex::compile("\\Afirst", &error);  // \A is the text's start, in both
  REQUIRE(text_start);
  CHECK_FALSE(text_start->search("zero\nfirst"));
  // A parser regex on a joined record takes its first line, as Fluent Bit's does.
  auto f = make("^(?<level>[A-Z]+) (?<msg>.*)$");
  CHECK(parse(*f, "ERROR boom\n\tat A.b(A.java:1)") == R"({"level":"ERROR","msg":"boom"})");
}

}  // namespace SLUICE_UNITY_ID
