// The json format's fast reader: which lines it takes, and that what it
// takes comes out exactly as simdjson reads it (the reference it declines
// everything else to).
#include <catch2/catch.hpp>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include "agent/json_writer.hpp"
#include "agent/parse/json_fast_reader.hpp"
#include "agent/parse/json_format.hpp"
#include "agent/record.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {

// Whether the fast reader takes the text by itself (no simdjson after it).
bool fast_takes(std::string_view text) {
  static JsonFastReader reader;
  static JsonRecordBuilder builder;
  Arena arena;
  builder.begin(arena);
  Value out;
  return reader.read(text, builder, out);
}

// The pipeline's json format (fast reader first) against simdjson alone.
struct Comparison {
  bool fast_ok, simdjson_ok, same;
};
Comparison compare(std::string_view text) {
  static auto fast_first = make_json_format();
  static auto simdjson = make_json_format(JsonReaders::simdjson_only);
  Arena a, b;
  Value x, y;
  Comparison c{fast_first->parse(text, a, x), simdjson->parse(text, b, y), false};
  c.same = c.fast_ok == c.simdjson_ok && (!c.fast_ok || record::identical(x, y));
  return c;
}

}  // namespace

TEST_CASE("json fast reader: takes the common log line", "[parse][json]") {
  CHECK(fast_takes(R"({"ts":"2026-11-21T00:00:00.000001816Z","level":"info","message":"handler started",)"
                   R"("traceId":"5fb8d16c2720797d32ebd6899be578c7","status":200,"latencyMs":0.048})"));
  CHECK(fast_takes(" {\t\"a\" : [1, {\"b\": null}, true, false, -2.5e3] }\r\n"));
  CHECK(fast_takes(R"({"esc":"a\"b\\c\/d\n\t\r\b\f","u":"\u00e9\u4e2d\ud83d\ude00"})"));
  CHECK(fast_takes("{\"raw\":\"é中😀\",\"ключ\":1}"));
  CHECK(fast_takes(R"({"k":1,"k":2})"));
  CHECK(fast_takes("{}"));
  CHECK(fast_takes(R"({"n":123456789012345678,"m":-123456789012345678,"z":0,"d":-0.0})"));
}

TEST_CASE("json fast reader: declines what simdjson must judge", "[parse][json]") {
  for (std::string_view text : {
           R"({"n":1234567890123456789})",   // 19 digits: int64's edge
           R"({"n":-0})",                    // Int or Double: simdjson's call
           R"({"n":1e400})",                 // beyond double
           R"({"s":"\udc00"})",              // a lone low surrogate
           R"({"s":"\ud800x"})",             // a high one alone
           R"({"s":"\u0000"})",              // NUL
           "{\"s\":\"a\tb\"}",               // a raw control character
           "{\"s\":\"\xc0\xaf\"}",           // an overlong form
           "{\"s\":\"\xed\xa0\x80\"}",       // an encoded surrogate
           "{\"s\":\"\xf4\x90\x80\x80\"}",   // past U+10FFFF
           "{\"s\":\"\xe4\xb8\"}",           // cut short
           R"({"a":1,})", R"({"a":1} {})", R"({"a":01})", R"({"a":1.})", R"({"a":.5})", R"({"a":tru})",
           R"([1,2])", R"("s")", "", "{", R"({"a")", R"({"a":)",
       }) {
    INFO(text);
    CHECK_FALSE(fast_takes(text));
    CHECK(compare(text).same);
  }
  SECTION("nesting beyond kMaxJsonDepth") {
    std::string deep(kMaxJsonDepth, '[');
    deep = "{\"a\":" + deep + std::string(kMaxJsonDepth, ']') + "}";
    CHECK_FALSE(fast_takes(deep));
    CHECK(compare(deep).same);
  }
}

TEST_CASE("json fast reader: numbers come out as simdjson reads them", "[parse][json]") {
  // Random mantissas, fractions and exponents across double's range: the
  // Clinger fast path, from_chars and the integer path must each give
  // simdjson's kind and bits.
  std::mt19937_64 random(20261207);
  int taken = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string number;
    if (random() % 4 == 0) number += '-';
    const int digits = 1 + static_cast<int>(random() % 22);
    for (int d = 0; d < digits; ++d) number += static_cast<char>('0' + random() % 10);
    if (number.size() > 1 && number[number.size() - static_cast<size_t>(digits)] == '0')
      number[number.size() - static_cast<size_t>(digits)] = '1';  // no leading zero
    if (random() % 2 == 0) {
      number += '.';
      const int fraction = 1 + static_cast<int>(random() % 20);
      for (int d = 0; d < fraction; ++d) number += static_cast<char>('0' + random() % 10);
    }
    if (random() % 3 == 0) {
      number += (random() % 2 == 0) ? 'e' : 'E';
      const int sign = static_cast<int>(random() % 3);
      if (sign == 1) number += '-';
      if (sign == 2) number += '+';
      number += std::to_string(random() % 330);
    }
    const std::string text = "{\"n\":" + number + "}";
    INFO(text);
    const Comparison c = compare(text);
    REQUIRE(c.same);
    if (fast_takes(text)) ++taken;
  }
  CHECK(taken > 15000);  // most numbers don't need simdjson
}

TEST_CASE("json fast reader: unicode escapes come out as simdjson decodes them", "[parse][json]") {
  std::mt19937 random(7);
  for (int i = 0; i < 5000; ++i) {
    std::string text = "{\"s\":\"";
    for (int k = 0; k < 4; ++k) {
      char escape[8];
      const uint32_t unit = random() % 0x10000;
      std::snprintf(escape, sizeof escape, "\\u%04" PRIx32, unit);
      text += escape;
      if (random() % 3 == 0) text += "plain";
    }
    text += "\"}";
    INFO(text);
    REQUIRE(compare(text).same);
  }
}

TEST_CASE("json fast reader: lines of one stream share keys and values as before", "[parse][json]") {
  // The fast reader and simdjson share the builder: a line either one reads
  // after the other keeps sharing the line before's keys.
  auto format = make_json_format();
  Arena arena;
  Value first, second, third;
  REQUIRE(format->parse(R"({"level":"info","n":1})", arena, first));
  REQUIRE(format->parse(R"({"level":"info","n":1234567890123456789})", arena, second));  // simdjson's
  REQUIRE(format->parse(R"({"level":"info","n":2})", arena, third));
  CHECK(first.members()[0].key.data() == second.members()[0].key.data());
  CHECK(second.members()[0].key.data() == third.members()[0].key.data());
  CHECK(first.members()[0].value.as_string().data() == third.members()[0].value.as_string().data());
  CHECK(json::to_string(third) == R"({"level":"info","n":2})");
}

}  // namespace SLUICE_UNITY_ID
