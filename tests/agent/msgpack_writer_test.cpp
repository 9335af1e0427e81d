// MessagePack writing: each type in the specification's smallest encoding
// (bytes checked against the specification at every size boundary), and
// records read back by the reader unchanged.
#include <catch2/catch.hpp>

#include <cmath>

#include "agent/json_writer.hpp"
#include "agent/msgpack_reader.hpp"
#include "agent/msgpack_writer.hpp"
#include "agent/parse/json_format.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

template <class Fn>
std::string written(Fn&& fn) {
  std::string out;
  msgpack::Writer w(out);
  fn(w);
  return hex(out);
}

}  // namespace

TEST_CASE("msgpack writer: integers in their smallest form", "[msgpack]") {
  auto i = [](int64_t v) { return written([&](msgpack::Writer& w) { w.integer(v); }); };
  CHECK(i(0) == "00");
  CHECK(i(127) == "7f");
  CHECK(i(128) == "cc80");
  CHECK(i(255) == "ccff");
  CHECK(i(256) == "cd0100");
  CHECK(i(65535) == "cdffff");
  CHECK(i(65536) == "ce00010000");
  CHECK(i(4294967295) == "ceffffffff");
  CHECK(i(4294967296) == "cf0000000100000000");
  CHECK(i(-1) == "ff");
  CHECK(i(-32) == "e0");
  CHECK(i(-33) == "d0df");
  CHECK(i(-128) == "d080");
  CHECK(i(-129) == "d1ff7f");
  CHECK(i(-32768) == "d18000");
  CHECK(i(-32769) == "d2ffff7fff");
  CHECK(i(INT64_MIN) == "d38000000000000000");
  CHECK(written([](msgpack::Writer& w) { w.uinteger(UINT64_MAX); }) == "cfffffffffffffffff");
}

TEST_CASE("msgpack writer: strings, binaries, containers, scalars", "[msgpack]") {
  CHECK(written([](msgpack::Writer& w) { w.str(""); }) == "a0");
  // An empty value whose text is a null pointer (an empty ext read back, say).
  CHECK(written([](msgpack::Writer& w) { w.value(Value::string(std::string_view())); }) == "a0");
  CHECK(written([](msgpack::Writer& w) { w.str(std::string_view()); }) == "a0");
  CHECK(written([](msgpack::Writer& w) { w.str("abc"); }) == "a3616263");
  CHECK(written([](msgpack::Writer& w) { w.str(std::string(31, 'x')); }).substr(0, 2) == "bf");
  CHECK(written([](msgpack::Writer& w) { w.str(std::string(32, 'x')); }).substr(0, 4) == "d920");
  CHECK(written([](msgpack::Writer& w) { w.str(std::string(256, 'x')); }).substr(0, 6) == "da0100");
  CHECK(written([](msgpack::Writer& w) { w.str(std::string(65536, 'x')); }).substr(0, 10) == "db00010000");
  CHECK(written([](msgpack::Writer& w) { w.bin("ab"); }) == "c4026162");
  CHECK(written([](msgpack::Writer& w) { w.bin(std::string(256, 'x')); }).substr(0, 6) == "c50100");
  CHECK(written([](msgpack::Writer& w) { w.bin(std::string(65536, 'x')); }).substr(0, 10) == "c600010000");
  CHECK(written([](msgpack::Writer& w) { w.array_header(15); }) == "9f");
  CHECK(written([](msgpack::Writer& w) { w.array_header(16); }) == "dc0010");
  CHECK(written([](msgpack::Writer& w) { w.array_header(65536); }) == "dd00010000");
  CHECK(written([](msgpack::Writer& w) { w.map_header(15); }) == "8f");
  CHECK(written([](msgpack::Writer& w) { w.map_header(16); }) == "de0010");
  CHECK(written([](msgpack::Writer& w) { w.nil(); }) == "c0");
  CHECK(written([](msgpack::Writer& w) { w.boolean(false); }) == "c2");
  CHECK(written([](msgpack::Writer& w) { w.boolean(true); }) == "c3");
  CHECK(written([](msgpack::Writer& w) { w.real(1.5); }) == "cb3ff8000000000000");
}

TEST_CASE("msgpack writer: EventTime is ext 0 with seconds and nanoseconds", "[msgpack]") {
  // 2023-11-14T22:13:20.123456789Z
  CHECK(written([](msgpack::Writer& w) { w.event_time(1700000000123456789); }) == "d700" "6553f100" "075bcd15");
  // Before 1970 it can't be written: clamped to the epoch rather than wrapped.
  CHECK(written([](msgpack::Writer& w) { w.event_time(-5); }) == "d700" "00000000" "00000000");
  int64_t t = 0;
  std::string out;
  msgpack::Writer(out).event_time(1700000000123456789);
  REQUIRE(msgpack::Cursor(out).event_time(t));
  CHECK(t == 1700000000123456789);
}

TEST_CASE("msgpack writer: a record reads back the same", "[msgpack]") {
  const std::string json =
      R"({"s":"text","i":-70000,"u":4294967296,"d":0.1,"t":true,"f":false,"n":null,)"
      R"("a":[1,"two",[3],{"k":"v"}],"m":{"deep":{"deeper":[null]}},"long":")" + std::string(300, 'x') + R"("})";
  Arena arena;
  Value record;
  REQUIRE(make_json_format()->parse(json, arena, record));
  std::string bytes;
  msgpack::Writer(bytes).value(record);
  Arena back_arena;
  Value back;
  msgpack::Cursor c(bytes);
  REQUIRE(c.value(back_arena, back));
  CHECK(c.at_end());
  CHECK(json::to_string(back) == json::to_string(record));
  CHECK(msgpack::object_size(bytes, nullptr) == static_cast<int64_t>(bytes.size()));
}

}  // namespace SLUICE_UNITY_ID
