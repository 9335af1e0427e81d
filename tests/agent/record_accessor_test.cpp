// Record accessor: Fluent Bit's $key['sub'][0] syntax, its errors, and
// get/set/remove on records in an arena.
#include <catch2/catch.hpp>

#include <string>

#include "agent/json_writer.hpp"
#include "agent/parse/json_format.hpp"
#include "agent/record.hpp"
#include "agent/record_accessor.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {

RecordAccessor ra(std::string_view text) {
  std::string error;
  auto r = RecordAccessor::compile(text, &error);
  INFO(error);
  REQUIRE(r.has_value());
  return *r;
}

std::string compile_error(std::string_view text) {
  std::string error;
  auto r = RecordAccessor::compile(text, &error);
  return r ? "no error" : error;
}

Value parse(Arena& arena, std::string_view json) {
  Value v;
  REQUIRE(make_json_format()->parse(json, arena, v));
  return v;
}

}  // namespace

TEST_CASE("record accessor: syntax", "[agent][record_accessor]") {
  SECTION("a plain key is a top-level key, taken literally") {
    auto r = ra("log");
    CHECK(r.is_top_level());
    CHECK(r.top_key() == "log");
    CHECK(ra("a['b']").top_key() == "a['b']");
  }
  SECTION("$key, nested keys with either quote, indices") {
    CHECK(ra("$log").is_top_level());
    auto r = ra("$kubernetes['labels'][\"app name\"][2]");
    REQUIRE(r.steps().size() == 4);
    CHECK(r.steps()[0].key == "kubernetes");
    CHECK(r.steps()[1].key == "labels");
    CHECK(r.steps()[2].key == "app name");
    CHECK(r.steps()[3].index == 2);
    CHECK(r.text() == "$kubernetes['labels'][\"app name\"][2]");
  }
  SECTION("dots belong to the key name; a bracketed first key may hold anything") {
    CHECK(ra("$service.name").top_key() == "service.name");
    CHECK(ra("$['a b']['c']").top_key() == "a b");
    CHECK(ra("$a['it\\'s']").steps()[1].key == "it's");
  }
  SECTION("errors say what and where") {
    CHECK(compile_error("") == "invalid record accessor '': empty key at character 1");
    CHECK(compile_error("$") == "invalid record accessor '$': '$' must be followed by a key name at character 1");
    CHECK(compile_error("$a[") == "invalid record accessor '$a[': '[' without ']' at character 3");
    CHECK(compile_error("$a['b'") == "invalid record accessor '$a['b'': '[' without ']' at character 3");
    CHECK(compile_error("$a['b]") == "invalid record accessor '$a['b]': unterminated quoted key at character 3");
    CHECK(compile_error("$a[b]") ==
          "invalid record accessor '$a[b]': expected a quoted key ('name') or an array index inside brackets at "
          "character 4");
    CHECK(compile_error("$a['b']c") ==
          "invalid record accessor '$a['b']c': unexpected 'c' (nested keys are written $key['sub']) at character 8");
    CHECK(compile_error("$a['']") == "invalid record accessor '$a['']': empty key in brackets at character 3");
    CHECK(compile_error("$[0]") ==
          "invalid record accessor '$[0]': the path must start with a key name, not an index at character 2");
  }
}

TEST_CASE("record accessor: get", "[agent][record_accessor]") {
  Arena arena;
  Value rec = parse(arena, R"({"log":"x","k":{"labels":{"app":"web"},"ids":[10,{"z":true}]},"n":3})");
  CHECK(ra("log").get(rec)->as_string() == "x");
  CHECK(ra("$k['labels']['app']").get(rec)->as_string() == "web");
  CHECK(ra("$k['ids'][0]").get(rec)->as_int() == 10);
  CHECK(ra("$k['ids'][1]['z']").get(rec)->as_bool());
  SECTION("missing steps and wrong kinds give nullptr") {
    CHECK(ra("$nope").get(rec) == nullptr);
    CHECK(ra("$k['labels']['nope']").get(rec) == nullptr);
    CHECK(ra("$k['ids'][2]").get(rec) == nullptr);
    CHECK(ra("$n['x']").get(rec) == nullptr);
    CHECK(ra("$k[0]").get(rec) == nullptr);
    CHECK(ra("$log[0]").get(rec) == nullptr);
  }
}

TEST_CASE("record accessor: set and remove", "[agent][record_accessor]") {
  Arena arena;
  Value rec = parse(arena, R"({"a":1,"k":{"x":"y"},"arr":[1,2,3]})");
  SECTION("set replaces in place or appends, creating missing maps") {
    CHECK(ra("$a").set(rec, arena, Value::string("one")));
    CHECK(ra("$k['x']").set(rec, arena, Value::integer(5)));
    CHECK(ra("$k['new']['deep']").set(rec, arena, Value::boolean(true)));
    CHECK(ra("$arr[1]").set(rec, arena, Value::null()));
    CHECK(ra("top").set(rec, arena, Value::string("t")));
    CHECK(json::to_string(rec) ==
          R"({"a":"one","k":{"x":5,"new":{"deep":true}},"arr":[1,null,3],"top":"t"})");
  }
  SECTION("new keys are copied into the arena, not borrowed from the accessor") {
    {
      auto tmp = ra("$k['fresh']");
      CHECK(tmp.set(rec, arena, Value::integer(1)));
    }
    CHECK(json::to_string(rec) == R"({"a":1,"k":{"x":"y","fresh":1},"arr":[1,2,3]})");
  }
  SECTION("set refuses paths through non-maps and indices out of range") {
    CHECK_FALSE(ra("$a['x']").set(rec, arena, Value::integer(1)));
    CHECK_FALSE(ra("$arr[3]").set(rec, arena, Value::integer(1)));
    CHECK_FALSE(ra("$k[0]").set(rec, arena, Value::integer(1)));
    CHECK(json::to_string(rec) == R"({"a":1,"k":{"x":"y"},"arr":[1,2,3]})");
  }
  SECTION("remove takes out a member or an array item") {
    CHECK(ra("$k['x']").remove(rec));
    CHECK(ra("$arr[0]").remove(rec));
    CHECK_FALSE(ra("$nope").remove(rec));
    CHECK_FALSE(ra("$arr[5]").remove(rec));
    CHECK(ra("a").remove(rec));
    CHECK(json::to_string(rec) == R"({"k":{},"arr":[2,3]})");
  }
}

}  // namespace SLUICE_UNITY_ID
