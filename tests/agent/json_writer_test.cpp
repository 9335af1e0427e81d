// json::append_string and json::append_rfc3339 write through raw pointers
// and compute the calendar by hand (for speed); both are checked here
// against the obvious implementations (one byte at a time; gmtime_r and
// strftime) on many generated inputs, and the escapes against simdjson.
// Then json::Writer's nesting, commas and colons.
#include <catch2/catch.hpp>

#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <random>
#include <string>

#include "agent/json_writer.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {

// The reference: RFC 8259 escaping one byte at a time, invalid UTF-8 bytes as U+FFFD.
std::string reference_string(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t n = json::utf8_sequence_length(s, i);
      if (n > 0) {
        out.append(s.substr(i, n));
        i += n;
      } else {
        out += "\xEF\xBF\xBD";
        ++i;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  return out + "\"";
}

std::string reference_rfc3339(int64_t time_ns) {
  int64_t secs = time_ns / 1'000'000'000, nanos = time_ns % 1'000'000'000;
  if (nanos < 0) {
    nanos += 1'000'000'000;
    secs -= 1;
  }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%09lldZ", static_cast<long long>(nanos));
  return std::string(buf, n) + frac;
}

}  // namespace

TEST_CASE("append_string escapes as the byte-at-a-time reference does, on generated strings", "[json]") {
  std::mt19937_64 rng(20261206);
  // Bytes weighted towards what needs care: quotes, backslashes, controls, UTF-8 pieces.
  const std::string alphabet = std::string("ab{}:,\"\"\"\\\\\n\t\x01\x1f \x7f") + "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xff\xc0\x80";
  simdjson::dom::parser parser;
  for (int round = 0; round < 20'000; ++round) {
    size_t len = rng() % 64;
    std::string s;
    for (size_t k = 0; k < len; ++k)
      s += (rng() % 4 == 0) ? static_cast<char>(rng() % 256) : alphabet[rng() % alphabet.size()];
    std::string out = "prefix";
    json::append_string(out, s);
    INFO(round);
    REQUIRE(out.substr(6) == reference_string(s));
    // What it wrote is one JSON string.
    simdjson::dom::element e;
    REQUIRE(parser.parse(out.substr(6)).get(e) == simdjson::SUCCESS);
    REQUIRE(e.is_string());
  }
  // A record's JSON as a string, the case the speed is for.
  std::string out;
  json::append_string(out, R"({"msg":"a \"quoted\" word","n":1})");
  CHECK(out == R"("{\"msg\":\"a \\\"quoted\\\" word\",\"n\":1}")");
  // Long runs of the costliest escapes grow the space as they go.
  out.clear();
  json::append_string(out, std::string(1000, '\x01') + std::string(1000, '\xff'));
  CHECK(out.size() == 2 + 6000 + 3000);
}

TEST_CASE("append_rfc3339 matches gmtime_r and strftime from 1677 to 2262", "[json]") {
  std::mt19937_64 rng(42);
  std::vector<int64_t> times = {0, -1, 1, 86'400'000'000'000LL - 1, 951'782'400'000'000'000LL /* 2000-02-29 */,
                                4'107'542'399'999'999'999LL /* 2100-02-28T23:59:59 */, -2'208'988'800'000'000'000LL,
                                9'000'000'000'000'000'000LL /* 2255 */, -9'000'000'000'000'000'000LL /* 1684 */};
  for (int i = 0; i < 200'000; ++i)
    // Any second int64 nanoseconds reach (1677 to 2262), with its fraction.
    times.push_back((static_cast<int64_t>(rng() % 18'000'000'000ULL) - 9'000'000'000LL) * 1'000'000'000LL +
                    static_cast<int64_t>(rng() % 1'000'000'000));
  for (int64_t t : times) {
    std::string out;
    json::append_rfc3339(out, t);
    INFO(t);
    REQUIRE(out == reference_rfc3339(t));
  }
}

TEST_CASE("json::Writer places commas and colons in nested objects and arrays", "[json]") {
  std::string out;
  json::Writer w(out);
  w.begin_object()
      .field("s", "a\"b")
      .field("i", -3)
      .field("u", uint64_t{18'446'744'073'709'551'615ULL})
      .field("d", 2.5)
      .field("inf", std::numeric_limits<double>::infinity())
      .field("t", true)
      .field("sv", std::string_view("x"))
      .field("str", std::string("y"));
  w.key("n").null();
  w.key("when").time(1'000'000'001);
  w.key("empty").begin_array().end_array();
  w.key("list").begin_array().value(1).value("two").begin_object().field("k", false).end_object().end_array();
  w.key("obj").begin_object().key("inner").begin_object().end_object().end_object();
  w.end_object();
  CHECK(w.complete());
  CHECK(out == R"({"s":"a\"b","i":-3,"u":18446744073709551615,"d":2.5,"inf":null,"t":true,"sv":"x","str":"y",)"
               R"("n":null,"when":"1970-01-01T00:00:01.000000001Z","empty":[],"list":[1,"two",{"k":false}],)"
               R"("obj":{"inner":{}}})");
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  CHECK(parser.parse(out).get(e) == simdjson::SUCCESS);
}

TEST_CASE("json::Writer appends to what the string holds and can write a bare value", "[json]") {
  std::string out = "prefix ";
  json::Writer w(out);
  CHECK_FALSE(w.complete());
  w.value("only");
  CHECK(w.complete());
  CHECK(out == "prefix \"only\"");
}

TEST_CASE("doubles keep a fraction or an exponent, as Fluent Bit writes them", "[json]") {
  // A whole double written as "1" would make Elasticsearch map the field
  // as an integer from the first document; "1.0" keeps it a float.
  auto write = [](double d) { return json::to_string(Value::real(d)); };
  CHECK(write(1.0) == "1.0");
  CHECK(write(-0.0) == "-0.0");
  CHECK(write(1000.0) == "1000.0");
  CHECK(write(2.5) == "2.5");
  CHECK(write(0.048) == "0.048");
  CHECK(write(1e22) == "1e+22");
  CHECK(write(100000.0) == "1e+05");  // to_chars's shortest form already says it
  CHECK(write(5e-324) == "5e-324");
  CHECK(json::to_string(Value::integer(1)) == "1");
  // Every such double reads back as the same double.
  for (double d : {1.0, -0.0, 1000.0, 123456789.0, 4503599627370496.0, 0.1, 1e300}) {
    std::string text = write(d);
    CHECK(std::strtod(text.c_str(), nullptr) == d);
  }
}

}  // namespace SLUICE_UNITY_ID
