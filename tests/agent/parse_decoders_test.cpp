// Parser decoders (decode_field, decode_field_as) with Fluent Bit's rule
// semantics, and the text decoders on their own.
#include <catch2/catch.hpp>

#include <string>

#include "agent/config/yaml_loader.hpp"
#include "agent/json_writer.hpp"
#include "agent/parse/field_decoders.hpp"
#include "agent/parse/parser.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {
std::string run(std::string_view parser_yaml, std::string_view text) {
  auto parsers = config::load_string("parsers:\n  - name: p\n" + std::string(parser_yaml)).parsers;
  ParserSet set = ParserSet::build(parsers);
  Arena arena;
  auto parsed = set.find("p")->parse(text, arena);
  return parsed ? json::to_string(parsed->record) : "FAIL";
}

std::string build_error(std::string_view parser_yaml) {
  try {
    auto parsers = config::load_string("parsers:\n  - name: p\n" + std::string(parser_yaml)).parsers;
    ParserSet::build(parsers);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

template <class F>
std::string text(F decoder, std::string_view in) {
  Arena arena;
  return std::string(decoder(in, arena));
}
}  // namespace

TEST_CASE("decode_field_as json: a field's JSON text becomes an object in place", "[parse][decoders]") {
  const char* p = "    format: json\n    decode_field_as: json log\n";
  CHECK(run(p, R"({"log":"{\"level\":\"info\",\"n\":1}","stream":"stdout"})") ==
        R"({"log":{"level":"info","n":1},"stream":"stdout"})");
  // Not an object (leading spaces are allowed, as in Fluent Bit): left as it is.
  CHECK(run(p, R"({"log":"  {\"a\":1}"})") == R"({"log":{"a":1}})");
  CHECK(run(p, R"({"log":"[1,2]"})") == R"({"log":"[1,2]"})");
  CHECK(run(p, R"({"log":"plain text"})") == R"({"log":"plain text"})");
  CHECK(run(p, R"({"log":"{broken"})") == R"({"log":"{broken"})");
  CHECK(run(p, R"({"log":42})") == R"({"log":42})");  // not a string
  CHECK(run(p, R"({"other":"{}"})") == R"({"other":"{}"})");
}

TEST_CASE("decode_field json: the object's keys join the record", "[parse][decoders]") {
  const char* p = "    format: regex\n    regex: '^(?<time>\\S+) (?<log>.*)$'\n    decode_field: json log\n";
  CHECK(run(p, R"(2024-01-01 {"user":"ann","id":7})") ==
        R"({"time":"2024-01-01","log":"{\"user\":\"ann\",\"id\":7}","user":"ann","id":7})");
  CHECK(run(p, "2024-01-01 not json") == R"({"time":"2024-01-01","log":"not json"})");
  // A key the record has already is replaced by the decoded one.
  CHECK(run(p, R"(2024-01-01 {"time":"later"})") == R"({"time":"later","log":"{\"time\":\"later\"}"})");
}

TEST_CASE("decoder actions: try_next, do_next, and stopping", "[parse][decoders]") {
  SECTION("escaped then json (do_next): the unescaped text is what json reads") {
    const char* p = "    format: ltsv\n    decode_field_as:\n      - escaped_utf8 msg do_next\n      - json msg\n";
    CHECK(run(p, "msg:{\\\"a\\\":\\\"\\u00e9\\\"}") == R"({"msg":{"a":"é"}})");
    CHECK(run(p, "msg:line1\\nline2") == R"({"msg":"line1\nline2"})");
  }
  SECTION("json, else (try_next) escaped") {
    const char* p = "    format: ltsv\n    decode_field_as:\n      - json msg try_next\n      - escaped msg\n";
    CHECK(run(p, R"(msg:{"a":1})") == R"({"msg":{"a":1}})");
    CHECK(run(p, "msg:a\\tb") == "{\"msg\":\"a\\tb\"}");
  }
  SECTION("without an action, a failed rule ends the field's rules") {
    const char* p = "    format: ltsv\n    decode_field_as:\n      - json msg\n      - escaped msg\n";
    CHECK(run(p, "msg:a\\tb") == R"({"msg":"a\\tb"})");
  }
  SECTION("decode_field_as and decode_field on one field: in place, then its keys") {
    const char* p = "    format: ltsv\n    decode_field_as: escaped log do_next\n    decode_field: json log\n";
    CHECK(run(p, "log:{\\\"k\\\":\\\"v\\\"}") == R"({"log":"{\"k\":\"v\"}","k":"v"})");
  }
  SECTION("decode_field with a text decoder adds nothing") {
    const char* p = "    format: ltsv\n    decode_field: escaped log\n";
    CHECK(run(p, "log:a\\tb") == R"({"log":"a\\tb"})");
  }
}

TEST_CASE("decoder rules are checked when the parser is built", "[parse][decoders]") {
  CHECK_THAT(build_error("    format: json\n    decode_field_as: base64 log\n"),
             Catch::Contains("decode_field_as") && Catch::Contains("unknown decoder 'base64'"));
  CHECK_THAT(build_error("    format: json\n    decode_field: json\n"), Catch::Contains("is not DECODER FIELD [ACTION]"));
  CHECK_THAT(build_error("    format: json\n    decode_field: json log maybe\n"),
             Catch::Contains("unknown action 'maybe'"));
}

TEST_CASE("text decoders", "[parse][decoders]") {
  SECTION("escaped: C's single-letter escapes; a backslash before anything else is dropped") {
    CHECK(text(decode::escaped, R"(a\nb\tc\\d\"e\qf)") == "a\nb\tc\\d\"eqf");
    CHECK(text(decode::escaped, R"(\a\b\f\v\r)") == "\a\b\f\v\r");
    CHECK(text(decode::escaped, "end\\") == "end\\");
    CHECK(text(decode::escaped, R"(\u00e9)") == "u00e9");  // no \u in this decoder
  }
  SECTION("escaped_utf8: JSON's and C's escapes, numeric ones as UTF-8") {
    CHECK(text(decode::escaped_utf8, R"(\"q\" \'s\' \/ \\)") == "\"q\" 's' / \\");
    CHECK(text(decode::escaped_utf8, R"(\u00e9\u20ac\ud83d\ude00)") == "é€😀");
    CHECK(text(decode::escaped_utf8, R"(\x41\101\U0001F600)") == "AA😀");
    CHECK(text(decode::escaped_utf8, R"(\ud800x \udc00 \u12)") == "\xEF\xBF\xBDx \xEF\xBF\xBD \xEF\xBF\xBD");
    CHECK(text(decode::escaped_utf8, R"(\xZ \q)") == "xZ q");
    CHECK(text(decode::escaped_utf8, "caf\xC3\xA9 \\\xC3\xA9") == "café é");  // raw UTF-8 passes through
  }
  SECTION("mysql_quoted: quotes removed, MySQL's escapes decoded") {
    CHECK(text(decode::mysql_quoted, R"('it\'s \"x\"\n')") == "it's \"x\"\n");
    CHECK(text(decode::mysql_quoted, R"("a\Zb\q")") == "a\x1a" "b\\q");
    CHECK(text(decode::mysql_quoted, "unquoted \\n") == "unquoted \\n");
    CHECK(text(decode::mysql_quoted, "'") == "'");
  }
}

}  // namespace SLUICE_UNITY_ID
