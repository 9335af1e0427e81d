// The logfmt parse format: key=value pairs with Fluent Bit's rules.
#include <catch2/catch.hpp>

#include <string>

#include "agent/json_writer.hpp"
#include "agent/parse/logfmt_format.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {
std::string parse(std::string_view text) {
  auto f = make_logfmt_format();
  Arena arena;
  Value out;
  if (!f->parse(text, arena, out)) return "FAIL";
  return json::to_string(out);
}
}  // namespace

TEST_CASE("logfmt: pairs become string fields", "[parse][logfmt]") {
  CHECK(parse("level=info msg=started status=200") == R"({"level":"info","msg":"started","status":"200"})");
  CHECK(parse("  a=1\t b=2  ") == R"({"a":"1","b":"2"})");
  CHECK(parse("path=/api/v1?x=y") == R"({"path":"/api/v1?x","y":true})");  // '=' ends an unquoted value
  CHECK(parse("héllo=wörld") == R"({"héllo":"wörld"})");
}

TEST_CASE("logfmt: quoted values and escapes", "[parse][logfmt]") {
  CHECK(parse(R"(msg="hello world" n=1)") == R"({"msg":"hello world","n":"1"})");
  CHECK(parse(R"(msg="say \"hi\"" p="a\\b")") == R"({"msg":"say \"hi\"","p":"a\\b"})");
  CHECK(parse(R"(m="l1\nl2\tt\r\/")") == R"({"m":"l1\nl2\tt\r/"})");
  CHECK(parse(R"(u="\u00e9\ud83d\ude00")") == R"({"u":"é😀"})");
  CHECK(parse(R"(u="\ud800x")") == R"({"u":"�x"})");   // lone surrogate
  CHECK(parse(R"(u="\uzz" k="\q")") == R"({"u":"\\uzz","k":"\\q"})");  // unknown escapes are kept
  CHECK(parse(R"(e="" f=x)") == R"({"e":"","f":"x"})");
  CHECK(parse(R"(open="never closed)") == R"({"open":"never closed"})");
  CHECK(parse(R"(end="trailing backslash\)") == R"({"end":"trailing backslash\\"})");
}

TEST_CASE("logfmt: bare keys are true, empty values empty strings", "[parse][logfmt]") {
  CHECK(parse("debug level=info") == R"({"debug":true,"level":"info"})");
  CHECK(parse("a= b=2") == R"({"a":"","b":"2"})");
  CHECK(parse("solo") == R"({"solo":true})");
}

TEST_CASE("logfmt: duplicates, newlines, and text without keys", "[parse][logfmt]") {
  CHECK(parse("a=1 b=2 a=3") == R"({"a":"3","b":"2"})");
  CHECK(parse("a=1\nb=2") == R"({"a":"1"})");  // one record per line
  CHECK(parse("") == "FAIL");
  CHECK(parse("   \t ") == "FAIL");
  CHECK(parse("= = \"\"") == "FAIL");
  CHECK(parse("\na=1") == "FAIL");
}

TEST_CASE("logfmt: a key longer than 64 KiB leaves the line unparsed, whole", "[parse][logfmt]") {
  CHECK(parse("a=1 " + std::string(Key::kMaxSize + 1, 'k') + "=2") == "FAIL");
  CHECK(parse("a=1 " + std::string(Key::kMaxSize, 'k') + "=2").size() > Key::kMaxSize);
}

}  // namespace SLUICE_UNITY_ID
