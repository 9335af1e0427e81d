// The record model: building, changing and encoding records in an arena.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "agent/json_writer.hpp"
#include "agent/record.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {
Value sample(Arena& arena, std::vector<Member>& scratch) {
  MapBuilder b(arena, scratch);
  b.add("message", record::string(arena, "hello \"world\"\n"));
  b.add("status", Value::integer(200));
  b.add("latency", Value::real(1.5));
  b.add("ok", Value::boolean(true));
  b.add("none", Value::null());
  MapBuilder inner(arena, scratch);
  inner.add("k", record::string(arena, "v"));
  Value nested = inner.finish();
  b.add("nested", nested);
  Value* items = arena.allocate_array<Value>(2);
  items[0] = Value::integer(1);
  items[1] = record::string(arena, "two");
  b.add("list", Value::array(items, 2));
  return b.finish();
}
}  // namespace

TEST_CASE("records encode to compact JSON in key order", "[record]") {
  Arena arena;
  std::vector<Member> scratch;
  Value r = sample(arena, scratch);
  CHECK(json::to_string(r) ==
        R"({"message":"hello \"world\"\n","status":200,"latency":1.5,"ok":true,"none":null,)"
        R"("nested":{"k":"v"},"list":[1,"two"]})");
  CHECK(scratch.empty());
}

TEST_CASE("strings are escaped and invalid UTF-8 replaced", "[record]") {
  std::string out;
  json::append_string(out, std::string_view("a\x01\tb\xff\xc3\xa9", 7));
  CHECK(out == "\"a\\u0001\\tb\xEF\xBF\xBD\xC3\xA9\"");
  out.clear();
  json::append_value(out, Value::real(std::nan("")));
  CHECK(out == "null");
  out.clear();
  json::append_rfc3339(out, 1795219200123456789LL);
  CHECK(out == "2026-11-21T00:00:00.123456789Z");
}

TEST_CASE("set, add, remove, rename change maps in place", "[record]") {
  Arena arena;
  std::vector<Member> scratch;
  Value r = sample(arena, scratch);
  record::set(r, arena, "status", Value::integer(500));
  CHECK(r.find("status")->as_int() == 500);
  record::set(r, arena, "new", record::string(arena, "x"));
  CHECK(r.size() == 8);
  CHECK_FALSE(record::add(r, arena, "new", Value::null()));
  CHECK(record::add(r, arena, "other", Value::null()));
  CHECK(record::remove(r, "message"));
  CHECK_FALSE(record::remove(r, "message"));
  CHECK(r.find("message") == nullptr);
  CHECK(record::rename(r, arena, "status", "code", false));
  CHECK(r.find("code")->as_int() == 500);
  CHECK_FALSE(record::rename(r, arena, "code", "latency", false));
  CHECK(record::rename(r, arena, "code", "latency", true));
  CHECK(r.find("latency")->as_int() == 500);
  CHECK(json::to_string(r) ==
        R"({"latency":500,"ok":true,"none":null,"nested":{"k":"v"},"list":[1,"two"],"new":"x","other":null})");
}

TEST_CASE("deep copies survive their source arena", "[record]") {
  Arena target;
  Value copy;
  {
    Arena source;
    std::vector<Member> scratch;
    copy = record::deep_copy(sample(source, scratch), target);
  }
  CHECK(copy.find("nested")->find("k")->as_string() == "v");
  CHECK(copy.find("list")->items()[1].as_string() == "two");
  Arena a2;
  std::vector<Member> s2;
  CHECK(record::equal(copy, sample(a2, s2)));
  CHECK(record::equal(Value::integer(1), Value::real(1.0)));
  CHECK_FALSE(record::equal(Value::integer(1), record::string(a2, "1")));
}

TEST_CASE("the arena grows across blocks and keeps alignment", "[record]") {
  Arena arena(64);
  for (int i = 0; i < 1000; ++i) {
    auto* p = arena.allocate_array<Member>(3);
    CHECK(reinterpret_cast<uintptr_t>(p) % alignof(Member) == 0);
  }
  std::string big(100000, 'x');
  CHECK(arena.copy(big) == big);
  CHECK(arena.reserved() > 100000);
}

TEST_CASE("escaping finds special bytes at every position of long strings", "[record]") {
  // Reference: escape byte by byte.
  auto reference = [](const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
      if (c == '"') out += "\\\"";
      else if (c == '\\') out += "\\\\";
      else if (c == '\n') out += "\\n";
      else if (c == 0x01) out += "\\u0001";
      else out.push_back(static_cast<char>(c));
    }
    return out + "\"";
  };
  for (const std::string special : {"\"", "\\", "\n", "\x01", "\xC3\xA9"}) {
    for (size_t pos = 0; pos < 24; ++pos) {
      std::string s(24, 'a');
      s.insert(pos, special);
      std::string out;
      json::append_string(out, s);
      INFO("special at " << pos);
      CHECK(out == reference(s));
    }
  }
}

TEST_CASE("a member's key is its text in 8 bytes: address and length", "[record]") {
  std::string text(Key::kMaxSize, 'x');
  Key k(text);
  CHECK(k.data() == text.data());
  CHECK(k.size() == Key::kMaxSize);
  CHECK(k == std::string_view(text));
  CHECK(Key("level") == "level");
  CHECK(Key("a") < Key("b"));
  CHECK(Key().empty());
  CHECK(Key::fits(text));
  CHECK_FALSE(Key::fits(text + "x"));
  static_assert(sizeof(Member) == 24);
}

TEST_CASE("record::identical tells kinds, a double's sign and members' order apart", "[record]") {
  Arena arena;
  auto map = [&](std::vector<Member> m) {
    Member* p = arena.allocate_array<Member>(m.size());
    std::copy(m.begin(), m.end(), p);
    return Value::map(p, static_cast<uint32_t>(m.size()));
  };
  CHECK(record::identical(Value::integer(1), Value::integer(1)));
  CHECK_FALSE(record::identical(Value::integer(1), Value::real(1.0)));
  CHECK(record::equal(Value::integer(1), Value::real(1.0)));
  CHECK_FALSE(record::identical(Value::real(0.0), Value::real(-0.0)));
  Value ab = map({{"a", Value::integer(1)}, {"b", Value::integer(2)}});
  Value ba = map({{"b", Value::integer(2)}, {"a", Value::integer(1)}});
  CHECK(record::equal(ab, ba));
  CHECK_FALSE(record::identical(ab, ba));
  CHECK(record::identical(ab, map({{"a", Value::integer(1)}, {"b", Value::integer(2)}})));
}

}  // namespace SLUICE_UNITY_ID
