// The json parse format: JSON objects become arena records.
#include <catch2/catch.hpp>

#include <string>

#include "agent/json_writer.hpp"
#include "agent/parse/json_format.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {
// Parses text and returns the record as compact JSON, or "FAIL".
std::string parse(ParseFormat& format, std::string_view text) {
  Arena arena;
  Value out;
  if (!format.parse(text, arena, out)) return "FAIL";
  REQUIRE(out.is_map());
  return json::to_string(out);
}
}  // namespace

TEST_CASE("json: objects with every value kind", "[parse][json]") {
  auto f = make_json_format();
  CHECK(parse(*f, R"({"a":"x","b":1,"c":-2.5,"d":true,"e":false,"f":null})") ==
        R"({"a":"x","b":1,"c":-2.5,"d":true,"e":false,"f":null})");
  CHECK(parse(*f, "{}") == "{}");
  CHECK(parse(*f, " \t{ \"a\" : 1 }\r\n") == R"({"a":1})");
  SECTION("nested maps and arrays keep their shape") {
    CHECK(parse(*f, R"({"m":{"n":{"o":[1,[2,{"p":"q"}],[]]}},"e":{}})") ==
          R"({"m":{"n":{"o":[1,[2,{"p":"q"}],[]]}},"e":{}})");
  }
  SECTION("the record's strings live in the arena, not in the input") {
    Arena arena;
    Value out;
    std::string text = R"({"k":"value"})";
    REQUIRE(f->parse(text, arena, out));
    text.assign(text.size(), 'x');
    CHECK(json::to_string(out) == R"({"k":"value"})");
  }
}

TEST_CASE("json: numbers", "[parse][json]") {
  auto f = make_json_format();
  Arena arena;
  Value out;
  SECTION("int64 stays Int, at both ends of its range") {
    REQUIRE(f->parse(R"({"max":9223372036854775807,"min":-9223372036854775808,"zero":0})", arena, out));
    CHECK(out.find("max")->is_int());
    CHECK(out.find("max")->as_int() == INT64_MAX);
    CHECK(out.find("min")->as_int() == INT64_MIN);
    CHECK(out.find("zero")->is_int());
  }
  SECTION("beyond int64, fractions and exponents become Double") {
    REQUIRE(f->parse(R"({"u":9223372036854775808,"big":123456789012345678901234567890,)"
                     R"("neg":-9223372036854775809,"f":1.5,"e":1e3,"E":2E-2})",
                     arena, out));
    CHECK(out.find("u")->is_double());
    CHECK(out.find("u")->as_double() == 9223372036854775808.0);
    CHECK(out.find("big")->is_double());
    CHECK(out.find("big")->as_double() == Approx(1.2345678901234568e29));
    CHECK(out.find("neg")->is_double());
    CHECK(out.find("f")->as_double() == 1.5);
    CHECK(out.find("e")->is_double());
    CHECK(out.find("e")->as_double() == 1000.0);
    CHECK(out.find("E")->as_double() == Approx(0.02));
  }
  SECTION("more than 19 digits round correctly, with either reader") {
    // simdjson 3.0.1 alone read this as 0.18432785212200103.
    for (auto readers : {JsonReaders::fast_then_simdjson, JsonReaders::simdjson_only}) {
      auto g = make_json_format(readers);
      REQUIRE(g->parse(R"({"n":0.36879529285909654882,"m":[-0.36879529285909654882]})", arena, out));
      CHECK(out.find("n")->as_double() == 0.36879529285909657);
      CHECK(out.find("m")->items()[0].as_double() == -0.36879529285909657);
    }
  }
  SECTION("malformed numbers fail") {
    CHECK(parse(*f, R"({"n":01})") == "FAIL");
    CHECK(parse(*f, R"({"n":1.})") == "FAIL");
    CHECK(parse(*f, R"({"n":-})") == "FAIL");
    CHECK(parse(*f, R"({"n":NaN})") == "FAIL");
  }
}

TEST_CASE("json: strings, escapes and unicode", "[parse][json]") {
  auto f = make_json_format();
  Arena arena;
  Value out;
  REQUIRE(f->parse(R"({"esc":"a\"b\\c\/d\n\t\r\b\f","u":"\u00e9\u4e2d\ud83d\ude00","raw":"é中😀","":"empty key"})",
                   arena, out));
  CHECK(out.find("esc")->as_string() == "a\"b\\c/d\n\t\r\b\f");
  CHECK(out.find("u")->as_string() == "é中😀");
  CHECK(out.find("raw")->as_string() == "é中😀");
  CHECK(out.find("")->as_string() == "empty key");
  SECTION("escaped keys are unescaped") {
    REQUIRE(f->parse(R"({"a\u0062\"":1})", arena, out));
    CHECK(out.members()[0].key == "ab\"");
  }
  SECTION("a NUL escape survives inside the string") {
    REQUIRE(f->parse(R"({"z":"a\u0000b"})", arena, out));
    CHECK(out.find("z")->as_string() == std::string_view("a\0b", 3));
  }
}

TEST_CASE("json: duplicate keys keep the last value at the first position", "[parse][json]") {
  auto f = make_json_format();
  CHECK(parse(*f, R"({"a":1,"b":2,"a":3})") == R"({"a":3,"b":2})");
  CHECK(parse(*f, R"({"a":{"x":1,"x":2},"a":{"y":3}})") == R"({"a":{"y":3}})");
  SECTION("also for objects with many keys") {
    std::string text = "{";
    for (int i = 0; i < 100; ++i) text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
    text += R"("k7":"last","k99":"end"})";
    Arena arena;
    Value out;
    REQUIRE(f->parse(text, arena, out));
    CHECK(out.size() == 100);
    CHECK(out.members()[7].key == "k7");
    CHECK(out.members()[7].value.as_string() == "last");
    CHECK(out.members()[99].value.as_string() == "end");
  }
}

// Lines of one stream into one arena: the parser skips looking for
// duplicates when a line's keys are the line before's, position by position.
// Each case here must still find its duplicates.
TEST_CASE("json: duplicate keys are found in a stream of lines of one shape", "[parse][json]") {
  auto f = make_json_format();
  Arena arena;
  auto keys_of = [&](std::string_view line) {
    Value out;
    REQUIRE(f->parse(line, arena, out));
    std::string keys;
    for (const Member& m : out.members()) keys += std::string(m.key.view()) + ",";
    return keys;
  };
  CHECK(keys_of(R"({"a":1,"b":2,"c":3})") == "a,b,c,");
  CHECK(keys_of(R"({"a":4,"b":5,"c":6})") == "a,b,c,");
  // Same count, a duplicate: not the previous keys.
  CHECK(keys_of(R"({"a":1,"b":2,"a":3})") == "a,b,");
  // The same duplicated keys again: the line before had a duplicate too.
  CHECK(keys_of(R"({"a":1,"b":2,"a":3})") == "a,b,");
  CHECK(keys_of(R"({"a":1,"b":2,"c":3})") == "a,b,c,");
  // A line that fails half-way leaves its keys behind; the next line's keys
  // equal what it left, but it was no model.
  Value out;
  CHECK_FALSE(f->parse(R"({"b":1,"b":2,"c":tru})", arena, out));
  CHECK(keys_of(R"({"b":1,"b":2,"c":3})") == "b,c,");
  // Empty keys, in a fresh arena after a unique line in another.
  Arena other;
  REQUIRE(f->parse(R"({"x":1,"y":2})", other, out));
  CHECK(keys_of(R"({"":1,"":2})") == ",");
}

// A value equal to the line before's at its position shares that one's
// copy: a value that differs in any one byte, at any length, must not.
TEST_CASE("json: a repeated value is shared only when every byte is equal", "[parse][json]") {
  auto f = make_json_format();
  Arena arena;
  for (size_t n = 1; n <= 24; ++n) {
    std::string base(n, 'a');
    for (size_t i = 0; i < n; ++i) {
      std::string changed = base;
      changed[i] = 'b';
      for (const std::string& v : {base, changed, base}) {
        Value out;
        REQUIRE(f->parse("{\"k\":\"" + v + "\",\"" + v + "\":1}", arena, out));
        CHECK(out.members()[0].value.as_string() == v);
        CHECK(out.members()[1].key == v);
      }
    }
  }
}

TEST_CASE("json: invalid input fails and leaves out untouched", "[parse][json]") {
  auto f = make_json_format();
  const char* bad[] = {
      "",
      "   ",
      "[1,2]",
      "\"str\"",
      "42",
      "null",
      "{",
      "{\"a\":1",
      "{\"a\":1,}",
      "{\"a\" 1}",
      "{a:1}",
      "{'a':1}",
      "{\"a\":1} x",
      "{\"a\":1} {}",
      "{\"a\":1}}",
      "{\"a\":tru}",
      "{\"a\":\"unterminated}",
      "{\"a\":\"bad \\x escape\"}",
      "{\"a\":\"ctrl \x01 char\"}",
      "{\"a\":\"\xff\xfe\"}",      // invalid UTF-8
      "{\"a\":\"\xc3\"}",          // truncated UTF-8
      "{\"a\":\"\\ud800\"}",       // lone surrogate
  };
  for (const char* text : bad) {
    INFO(text);
    Arena arena;
    Value out = Value::integer(7);
    CHECK_FALSE(f->parse(text, arena, out));
    CHECK(out.is_int());
  }
}

TEST_CASE("json: nesting is limited to 64 levels", "[parse][json]") {
  auto f = make_json_format();
  auto nested = [](int depth) {
    std::string s;
    for (int i = 1; i < depth; ++i) s += "{\"a\":";
    s += "{}";
    for (int i = 1; i < depth; ++i) s += "}";
    return s;
  };
  CHECK(parse(*f, nested(kMaxJsonDepth)) != "FAIL");
  CHECK(parse(*f, nested(kMaxJsonDepth + 1)) == "FAIL");
  std::string arrays = "{\"a\":" + std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']') + "}";
  CHECK(parse(*f, arrays) == "FAIL");
  CHECK(parse(*f, std::string(100000, '[')) == "FAIL");
}

TEST_CASE("json: the parser is reusable after failures and across sizes", "[parse][json]") {
  auto f = make_json_format();
  CHECK(parse(*f, R"({"a":[1,{"b":)") == "FAIL");
  CHECK(parse(*f, R"({"ok":1})") == R"({"ok":1})");
  std::string big = R"({"big":")" + std::string(100000, 'x') + R"("})";
  Arena arena;
  Value out;
  REQUIRE(f->parse(big, arena, out));
  CHECK(out.find("big")->as_string().size() == 100000);
  CHECK(parse(*f, R"({"short":true})") == R"({"short":true})");
  // A shorter line after a longer one must not see the old line's bytes.
  CHECK(parse(*f, R"({"a":1})") == R"({"a":1})");
  CHECK(parse(*f, R"({"a":tr)") == "FAIL");
}

TEST_CASE("json: a key longer than a record key may be (64 KiB) leaves the line unparsed, whole", "[parse][json]") {
  auto f = make_json_format();
  std::string key(Key::kMaxSize, 'k');
  CHECK(parse(*f, "{\"" + key + "\":1}") == "{\"" + key + "\":1}");
  CHECK(parse(*f, "{\"a\":{\"" + key + "k\":1}}") == "FAIL");  // the caller keeps the line as it came
  CHECK(parse(*f, "{\"" + key + "k\":1}") == "FAIL");
}

}  // namespace SLUICE_UNITY_ID
