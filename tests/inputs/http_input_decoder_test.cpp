// The http input's body decoders on their own: JSON objects, arrays, NDJSON,
// forms as Python's HTTPHandler sends them, gzip/deflate, and the errors a
// client gets back (what, and at which byte).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "agent/json_writer.hpp"
#include "agent/zlib_codec.hpp"
#include "agent/arena.hpp"
#include "agent/parse/json_format.hpp"
#include "inputs/http/http_body_decoder.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {

// Compressed as clients send it: gzip, zlib-wrapped or raw deflate.
std::string compress(std::string_view data, zlib::Wrapper wrapper = zlib::Wrapper::Gzip) {
  return zlib::compress(data, wrapper, zlib::kDefaultLevel);
}

struct Decoded {
  std::vector<std::string> records;  // as compact JSON
  std::string error;                 // "" when accepted
  bool too_large = false;
};

Decoded decode(std::string_view body, BodyFormat format = BodyFormat::Json) {
  static BodyDecoder decoder;  // reused across calls, as the input does
  Chunk chunk("t");
  Decoded d;
  if (auto e = decoder.decode(format, body, 42, chunk)) {
    d.error = e->message;
    d.too_large = e->kind == BodyError::Kind::TooLarge;
    return d;
  }
  for (const auto& ev : chunk.events) {
    CHECK(ev.time_ns == 42);
    d.records.push_back(json::to_string(ev.record));
  }
  return d;
}

std::string error_of(std::string_view body, BodyFormat format = BodyFormat::Json) {
  auto d = decode(body, format);
  CHECK(d.records.empty());
  return d.error;
}

}  // namespace

TEST_CASE("http body: Content-Type and Content-Encoding choose the decoder", "[http_input]") {
  CHECK(body_format("application/json") == BodyFormat::Json);
  CHECK(body_format("Application/JSON; charset=utf-8") == BodyFormat::Json);
  CHECK(body_format("application/x-ndjson") == BodyFormat::Json);
  CHECK(body_format("application/ndjson") == BodyFormat::Json);
  CHECK(body_format("application/vnd.api+json") == BodyFormat::Json);
  CHECK(body_format("") == BodyFormat::Json);
  CHECK(body_format("application/x-www-form-urlencoded") == BodyFormat::Form);
  CHECK(body_format("application/x-www-form-urlencoded;charset=UTF-8") == BodyFormat::Form);
  CHECK_FALSE(body_format("text/plain").has_value());
  CHECK_FALSE(body_format("application/xml").has_value());
  CHECK_FALSE(body_format("multipart/form-data; boundary=x").has_value());

  CHECK(body_encoding("") == BodyEncoding::Identity);
  CHECK(body_encoding("identity") == BodyEncoding::Identity);
  CHECK(body_encoding("gzip") == BodyEncoding::Gzip);
  CHECK(body_encoding("X-GZIP") == BodyEncoding::Gzip);
  CHECK(body_encoding("deflate") == BodyEncoding::Deflate);
  CHECK_FALSE(body_encoding("br").has_value());
  CHECK_FALSE(body_encoding("gzip, br").has_value());
}

TEST_CASE("http body: JSON objects, arrays and NDJSON become records with their fields intact", "[http_input]") {
  SECTION("one object, nested values, every JSON type") {
    auto d = decode(R"({"msg":"hi \"there\"\n","n":-12,"x":1.5,"big":1e300,"ok":true,"none":null,)"
                    R"("nested":{"a":[1,{"b":"c"}],"e":{}},"u":"\u00e9\ud83d\ude00"})");
    REQUIRE(d.error.empty());
    CHECK(d.records == std::vector<std::string>{
                           R"({"msg":"hi \"there\"\n","n":-12,"x":1.5,"big":1e+300,"ok":true,"none":null,)"
                           R"("nested":{"a":[1,{"b":"c"}],"e":{}},"u":"é😀"})"});
  }
  SECTION("an array of objects") {
    auto d = decode(" [ {\"a\":1} ,\n {\"b\":[]}, {} ] \n");
    REQUIRE(d.error.empty());
    CHECK(d.records == std::vector<std::string>{R"({"a":1})", R"({"b":[]})", "{}"});
  }
  SECTION("an empty array is accepted with no records") {
    auto d = decode("[]");
    CHECK(d.error.empty());
    CHECK(d.records.empty());
  }
  SECTION("NDJSON: LF or CRLF, blank lines, with or without the last newline") {
    CHECK(decode("{\"a\":1}\n{\"a\":2}\n").records == std::vector<std::string>{R"({"a":1})", R"({"a":2})"});
    CHECK(decode("{\"a\":1}\r\n\r\n{\"a\":2}").records == std::vector<std::string>{R"({"a":1})", R"({"a":2})"});
  }
  SECTION("pretty-printed objects one after the other, and arrays among them") {
    auto d = decode("{\n  \"a\": \"}{\",\n  \"b\": \"\\\\\"\n}\n[{\"c\":3}]\n{\"d\":\"\\\"]\"}");
    REQUIRE(d.error.empty());
    CHECK(d.records == std::vector<std::string>{R"({"a":"}{","b":"\\"})", R"({"c":3})", R"({"d":"\"]"})"});
  }
  SECTION("a UTF-8 byte order mark is skipped") {
    CHECK(decode("\xEF\xBB\xBF{\"a\":1}").records == std::vector<std::string>{R"({"a":1})"});
  }
  SECTION("duplicate keys: the last value wins, as the json parser does") {
    CHECK(decode(R"({"a":1,"b":2,"a":3})").records == std::vector<std::string>{R"({"a":3,"b":2})"});
  }
  SECTION("a big array and a big NDJSON batch") {
    std::string array = "[", ndjson;
    for (int i = 0; i < 20000; ++i) {
      std::string rec = R"({"i":)" + std::to_string(i) + R"(,"msg":"request completed","path":"/api/v1/items"})";
      array += (i ? "," : "") + rec;
      ndjson += rec + "\n";
    }
    array += "]";
    auto a = decode(array);
    auto n = decode(ndjson);
    REQUIRE(a.records.size() == 20000);
    REQUIRE(n.records.size() == 20000);
    CHECK(a.records[19999] == R"({"i":19999,"msg":"request completed","path":"/api/v1/items"})");
    CHECK(a.records == n.records);
  }
}

TEST_CASE("http body: invalid JSON is refused whole, saying what and where", "[http_input]") {
  CHECK(error_of("") == "empty body: expected a JSON object, an array of objects, or NDJSON (one object per line)");
  CHECK(error_of(" \r\n ") == error_of(""));
  CHECK(error_of(R"({"a" 1})") ==
        "invalid JSON at byte 5: expected ':' after an object key, found '1' (line 1, column 6)");
  // The first line was fine, but nothing of the request is kept.
  CHECK(error_of("{\"a\":1}\n{\"b\":tru}\n") == "invalid JSON at byte 13: expected a value, found 't' (line 2, column 6)");
  CHECK(error_of(R"({"a":1,})") == "invalid JSON at byte 7: expected a string key, found '}' (line 1, column 8)");
  CHECK(error_of(R"({"a":[1 2]})") ==
        "invalid JSON at byte 8: expected ',' or ']' after an array item, found '2' (line 1, column 9)");
  CHECK(error_of(R"({"a":1)") ==
        "invalid JSON at byte 6: expected ',' or '}' after an object member, found the end of the body "
        "(line 1, column 7)");
  CHECK(error_of(R"({"a":"abc)") == "invalid JSON at byte 9: the string that starts at byte 5 is not closed "
                                     "(line 1, column 10)");
  CHECK(error_of(R"({"a":"\x"})") ==
        "invalid JSON at byte 6: invalid escape sequence '\\x' in a string (line 1, column 7)");
  CHECK(error_of("{\"a\":\"\xff\"}") == "invalid JSON at byte 6: invalid UTF-8 (byte 0xff) in a string (line 1, column 7)");
  CHECK(error_of("{\"a\":\"tab\there\"}") ==
        "invalid JSON at byte 9: unescaped control character (byte 0x09) in a string (line 1, column 10)");
  CHECK(error_of(R"({"a":01})") == "invalid JSON at byte 6: a number may not have a leading zero (line 1, column 7)");
  CHECK(error_of(R"({"a":1e999})") == "invalid JSON at byte 5: number out of range: 1e999 (line 1, column 6)");
  CHECK(error_of(R"({"a":"\ud800"})") ==
        "invalid JSON at byte 6: a \\u escape is a UTF-16 high surrogate without its low surrogate (line 1, column 7)");
  CHECK(error_of(R"({"a":1]})") == "invalid JSON at byte 6: expected ',' or '}' after an object member, found ']' "
                                    "(line 1, column 7)");
  CHECK(error_of(R"({"a":1} x)") ==
        "invalid JSON at byte 8: expected a JSON object or an array of objects (several objects go one per line) "
        "(line 1, column 9)");
  CHECK(error_of(R"({"a":1},{"b":2})") ==
        "invalid JSON at byte 7: expected a JSON object or an array of objects (several objects go one per line) "
        "(line 1, column 8)");
  CHECK(error_of("42") == "invalid JSON at byte 0: expected a JSON object or an array of objects (several objects "
                          "go one per line) (line 1, column 1)");
  CHECK(error_of(R"([{"a":1}, 2])") == "invalid JSON at byte 10: array item 1 is not an object (line 1, column 11)");
  CHECK(error_of(R"([{"a":1},])") == "invalid JSON at byte 9: expected a value, found ']' (line 1, column 10)");
  CHECK(error_of(R"([{"a":1})") ==
        "invalid JSON at byte 8: expected ',' or ']' after an array item, found the end of the body "
        "(line 1, column 9)");
  SECTION("nesting: 64 levels are read, 65 refused") {
    auto nested = [](int levels) {
      std::string s;
      for (int i = 0; i < levels - 1; ++i) s += "{\"a\":";
      s += "{}";
      for (int i = 0; i < levels - 1; ++i) s += "}";
      return s;
    };
    CHECK(decode(nested(64)).records.size() == 1);
    CHECK(error_of(nested(65)) == "invalid JSON at byte 320: nested deeper than 64 levels (line 1, column 321)");
  }
}

TEST_CASE("http body: forms as Python's logging.handlers.HTTPHandler sends them", "[http_input]") {
  SECTION("each field a key; '+' and %XX decoded; numbers stay strings") {
    auto d = decode("name=app.web&msg=user+logged+in%3A+%E2%9C%93+100%25&levelno=20&created=1700000000.5&args=%28%29"
                    "&exc_info=None\r\n",
                    BodyFormat::Form);
    REQUIRE(d.error.empty());
    CHECK(d.records == std::vector<std::string>{R"({"name":"app.web","msg":"user logged in: ✓ 100%","levelno":"20",)"
                                                R"x("created":"1700000000.5","args":"()","exc_info":"None"})x"});
  }
  SECTION("a field without '=' has an empty value; empty fields are skipped; the last duplicate wins") {
    CHECK(decode("a&&b=1&b=2&", BodyFormat::Form).records == std::vector<std::string>{R"({"a":"","b":"2"})"});
  }
  SECTION("a '%' without two hex digits stays as it is (as Python's unquote_plus)") {
    CHECK(decode("a=100%&b=%zz&c=%4", BodyFormat::Form).records ==
          std::vector<std::string>{R"({"a":"100%","b":"%zz","c":"%4"})"});
  }
  SECTION("encoded keys") {
    CHECK(decode("my+key%21=v", BodyFormat::Form).records == std::vector<std::string>{R"({"my key!":"v"})"});
  }
  SECTION("errors") {
    CHECK(error_of("", BodyFormat::Form) == "empty body: expected form fields (key=value&key=value)");
    CHECK(error_of("&&", BodyFormat::Form) == "empty body: expected form fields (key=value&key=value)");
    CHECK(error_of("a=1&=2", BodyFormat::Form) ==
          "invalid form body at byte 4: a field has no name (expected key=value)");
  }
  SECTION("JSON sent as a form (curl -d without a Content-Type) is read as JSON") {
    CHECK(decode(" {\"a\":1}", BodyFormat::Form).records == std::vector<std::string>{R"({"a":1})"});
    CHECK(decode("[{\"a\":1}]", BodyFormat::Form).records == std::vector<std::string>{R"({"a":1})"});
  }
}

TEST_CASE("http body: gzip and deflate bodies, bounded once decompressed", "[http_input]") {
  const std::string ndjson = "{\"a\":1}\n{\"b\":\"two\"}\n";
  std::string out;
  SECTION("gzip, several gzip members, zlib and raw deflate") {
    REQUIRE_FALSE(BodyDecoder::inflate(BodyEncoding::Gzip, compress(ndjson), 1 << 20, out));
    CHECK(out == ndjson);
    REQUIRE_FALSE(BodyDecoder::inflate(BodyEncoding::Gzip, compress("{\"a\":1}\n") + compress("{\"b\":2}"), 1 << 20, out));
    CHECK(out == "{\"a\":1}\n{\"b\":2}");
    REQUIRE_FALSE(BodyDecoder::inflate(BodyEncoding::Deflate, compress(ndjson, zlib::Wrapper::Zlib), 1 << 20, out));
    CHECK(out == ndjson);
    REQUIRE_FALSE(BodyDecoder::inflate(BodyEncoding::Deflate, compress(ndjson, zlib::Wrapper::Raw), 1 << 20, out));
    CHECK(out == ndjson);
  }
  SECTION("corrupt and truncated data") {
    auto e = BodyDecoder::inflate(BodyEncoding::Gzip, "not gzip at all", 1 << 20, out);
    REQUIRE(e);
    CHECK(e->kind == BodyError::Kind::Invalid);
    CHECK(e->message == "invalid gzip data at byte 2: incorrect header check");
    std::string gz = compress(ndjson);
    e = BodyDecoder::inflate(BodyEncoding::Gzip, gz.substr(0, gz.size() - 6), 1 << 20, out);
    REQUIRE(e);
    CHECK(e->message == "invalid gzip data at byte " + std::to_string(gz.size() - 6) + ": the compressed data ends early");
    e = BodyDecoder::inflate(BodyEncoding::Gzip, "", 1 << 20, out);
    REQUIRE(e);
    CHECK(e->message == "invalid gzip data at byte 0: empty body");
  }
  SECTION("a small body that expands past the limit is refused (413), not inflated without bound") {
    std::string zeros(10 << 20, '0');
    std::string bomb = compress(zeros);
    CHECK(bomb.size() < 20000);
    auto e = BodyDecoder::inflate(BodyEncoding::Gzip, bomb, 1 << 20, out);
    REQUIRE(e);
    CHECK(e->kind == BodyError::Kind::TooLarge);
    CHECK(e->message == "body is larger than max_body_size (1048576 bytes) once decompressed");
    CHECK(out.capacity() <= (2u << 20));
    REQUIRE_FALSE(BodyDecoder::inflate(BodyEncoding::Gzip, compress(std::string(1 << 20, 'x')), 1 << 20, out));
    CHECK(out.size() == (1u << 20));
  }
}

TEST_CASE("http body: find_json_error agrees with the JSON parser", "[http_input]") {
  // find_json_error explains why the parser (simdjson, through the json parse
  // format) refused a body; it must refuse exactly what the parser refuses.
  // Each value is tried inside an object, as the parser only takes objects.
  auto parser = make_json_format();
  auto parser_accepts = [&](std::string_view text) {
    Arena arena;
    Value out;
    return parser->parse(text, arena, out);
  };
  std::string deep_ok = std::string(kMaxJsonDepth - 1, '[') + std::string(kMaxJsonDepth - 1, ']');
  std::string too_deep = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  const std::vector<std::string> valid = {
      R"([1,2.5e-3,-0,true,false,null,"\u0041\ud83d\ude00"])", "[]", "{}", R"("s")", "1e-400",
      "-12345678901234567890123", R"({"a":{"b":[{}]}})", "\"\xc3\xa9\xe2\x82\xac\"", deep_ok, " 1 "};
  const std::vector<std::string> invalid = {
      "", "[1,]", "{\"a\":}", "{\"a\" 1}", "01", "1.", "-", ".5", "+1", "NaN", "tru", "nul", "[1 2]",
      "\"unterminated", "\"bad \\x escape\"", "\"\\u12\"", "\"tab\there\"", "\"\xff\"",
      "\"\xc3\"", "\"\xed\xa0\x80\"", "{\"a\":1,}", "[}", too_deep, "1 2"};
  for (const auto& v : valid) {
    std::string doc = "{\"v\":" + v + "}";
    INFO(doc);
    CHECK(parser_accepts(doc));
    CHECK_FALSE(find_json_error(doc, 0).has_value());
  }
  for (const auto& v : invalid) {
    std::string doc = "{\"v\":" + v + "}";
    INFO(doc);
    CHECK_FALSE(parser_accepts(doc));
    CHECK(find_json_error(doc, 0).has_value());
  }
}

}  // namespace SLUICE_UNITY_ID
