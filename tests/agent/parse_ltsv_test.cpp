// The ltsv parse format: label:value fields separated by TABs, with Fluent
// Bit's rules.
#include <catch2/catch.hpp>

#include <string>

#include "agent/json_writer.hpp"
#include "agent/parse/ltsv_format.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {
std::string parse(std::string_view text) {
  auto f = make_ltsv_format();
  Arena arena;
  Value out;
  if (!f->parse(text, arena, out)) return "FAIL";
  return json::to_string(out);
}
}  // namespace

TEST_CASE("ltsv: fields become string fields, in order", "[parse][ltsv]") {
  CHECK(parse("host:127.0.0.1\tident:-\tuser:frank\tstatus:200") ==
        R"({"host":"127.0.0.1","ident":"-","user":"frank","status":"200"})");
  CHECK(parse("time:[10/Oct/2000:13:55:36 -0700]\treq:GET /a b HTTP/1.0") ==
        R"({"time":"[10/Oct/2000:13:55:36 -0700]","req":"GET /a b HTTP/1.0"})");
  CHECK(parse("a.b-c_D9:x:y") == R"({"a.b-c_D9":"x:y"})");  // ':' inside a value is data
  CHECK(parse("k:héllo wörld") == R"({"k":"héllo wörld"})");
}

TEST_CASE("ltsv: empty values, empty labels, and what ends a record", "[parse][ltsv]") {
  CHECK(parse("a:\tb:2") == R"({"a":"","b":"2"})");
  CHECK(parse("a:1\t:skipped\tb:2") == R"({"a":"1","b":"2"})");  // an empty label is skipped
  CHECK(parse("a:1\tbad label:2\tc:3") == R"({"a":"1"})");       // a label not followed by ':' ends it
  CHECK(parse("a:1\nb:2") == R"({"a":"1"})");                    // one record per line
  CHECK(parse("a:1\r\nb:2") == R"({"a":"1"})");
  CHECK(parse("a:1\t\tb:2") == R"({"a":"1"})");  // two TABs: an empty field without ':'
  CHECK(parse("a:1\t") == R"({"a":"1"})");
}

TEST_CASE("ltsv: duplicates, and text that is not ltsv", "[parse][ltsv]") {
  CHECK(parse("a:1\tb:2\ta:3") == R"({"a":"3","b":"2"})");
  CHECK(parse("") == "FAIL");
  CHECK(parse("no colon here") == "FAIL");
  CHECK(parse(":only an empty label") == "FAIL");
  CHECK(parse("\na:1") == "FAIL");
  CHECK(parse(std::string_view("a\0:1", 4)) == "FAIL");
}

}  // namespace SLUICE_UNITY_ID
