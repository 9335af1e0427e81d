// The modify filter: each rule with Fluent Bit's semantics (where keys land
// included), rules applied in the order written, conditions, nested paths,
// and config errors.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "agent/asio.hpp"
#include "agent/config/yaml_loader.hpp"
#include "agent/json_writer.hpp"
#include "agent/parse/json_format.hpp"
#include "filters/modify/modify_filter.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {

// Runs one record through a modify filter built from yaml; returns it as JSON.
// The filter is destroyed before the record is read: the record must not
// point into it.
std::string run(std::string_view yaml, std::string_view record) {
  Chunk chunk("app");
  Value v;
  REQUIRE(make_json_format()->parse(record, chunk.arena, v));
  chunk.events.push_back(Event{1, v});
  {
    auto filter = make_modify_filter(config::load_component(modify_filter_schema(), "filter", yaml), BuildContext{});
    filter->filter(chunk);
  }
  return json::to_string(chunk.events[0].record);
}

std::string config_error(std::string_view yaml) {
  try {
    make_modify_filter(config::load_component(modify_filter_schema(), "filter", yaml), BuildContext{});
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("modify: rules", "[filters][modify]") {
  const char* rec = R"({"a":"1","b":"2","c":"3"})";
  SECTION("set replaces a key by appending it (as Fluent Bit), or adds it") {
    CHECK(run("set: a x", rec) == R"({"b":"2","c":"3","a":"x"})");
    CHECK(run("set: z x", rec) == R"({"a":"1","b":"2","c":"3","z":"x"})");
    CHECK(run("set: z \"hello world\"", rec) == R"({"a":"1","b":"2","c":"3","z":"hello world"})");
    CHECK(run("set: z hello world", rec) == R"({"a":"1","b":"2","c":"3","z":"hello world"})");
    CHECK(run("set: [\"x 1\", \"y 2\"]", "{}") == R"({"x":"1","y":"2"})");
  }
  SECTION("add only when absent") {
    CHECK(run("add: a x", rec) == rec);
    CHECK(run("add: d 4", rec) == R"({"a":"1","b":"2","c":"3","d":"4"})");
  }
  SECTION("remove, remove_wildcard, remove_regex") {
    CHECK(run("remove: b", rec) == R"({"a":"1","c":"3"})");
    CHECK(run("remove: nope", rec) == rec);
    const char* mem = R"({"Mem.total":1,"Mem.used":2,"Swap":3,"mem":4})";
    CHECK(run("remove_wildcard: Mem", mem) == R"({"Swap":3,"mem":4})");
    CHECK(run("remove_wildcard: Mem*", mem) == R"({"Swap":3,"mem":4})");
    CHECK(run("remove_regex: (?i)^mem", mem) == R"({"Swap":3})");
  }
  SECTION("rename keeps the position; only without a conflict unless hard") {
    CHECK(run("rename: a z", rec) == R"({"z":"1","b":"2","c":"3"})");
    CHECK(run("rename: a b", rec) == rec);
    CHECK(run("hard_rename: a c", rec) == R"({"c":"1","b":"2"})");
    CHECK(run("hard_rename: nope c", rec) == rec);
  }
  SECTION("copy inserts after its source; hard_copy replaces the target") {
    CHECK(run("copy: a z", rec) == R"({"a":"1","z":"1","b":"2","c":"3"})");
    CHECK(run("copy: a b", rec) == rec);
    CHECK(run("hard_copy: a c", rec) == R"({"a":"1","c":"1","b":"2"})");
    CHECK(run("copy: m n", R"({"m":{"x":[1]}})") == R"({"m":{"x":[1]},"n":{"x":[1]}})");
  }
  SECTION("move_to_start and move_to_end keep the relative order") {
    const char* r = R"({"a":1,"log.x":2,"b":3,"log.y":4})";
    CHECK(run("move_to_start: log", r) == R"({"log.x":2,"log.y":4,"a":1,"b":3})");
    CHECK(run("move_to_end: log*", r) == R"({"a":1,"b":3,"log.x":2,"log.y":4})");
  }
  SECTION("nested paths in set, add and remove") {
    const char* k = R"({"k":{"labels":{"app":"web"}}})";
    CHECK(run("set: $k['labels']['app'] db", k) == R"({"k":{"labels":{"app":"db"}}})");
    CHECK(run("set: $k['new']['x'] 1", k) == R"({"k":{"labels":{"app":"web"},"new":{"x":"1"}}})");
    CHECK(run("add: $k['labels']['app'] db", k) == k);
    CHECK(run("remove: $k['labels']", k) == R"({"k":{}})");
    CHECK(run("set: $top v", k) == R"({"k":{"labels":{"app":"web"}},"top":"v"})");
  }
}

TEST_CASE("modify: rules apply in the order written", "[filters][modify]") {
  const char* rec = R"({"a":"1"})";
  CHECK(run("rename: a b\nset: b x", rec) == R"({"b":"x"})");
  CHECK(run("set: b x\nrename: a b", rec) == R"({"a":"1","b":"x"})");
  CHECK(run("copy: a b\nremove: a\nrename: b c", rec) == R"({"c":"1"})");
  CHECK(run("set: [\"k 1\", \"k 2\"]", "{}") == R"({"k":"2"})");
}

TEST_CASE("modify: conditions", "[filters][modify]") {
  const char* rec = R"({"level":"error","code":500,"k":{"env":"prod"},"tag_a":"x1","tag_b":"x2"})";
  auto applied = [&](const std::string& condition) {
    std::string out = run("condition: " + condition + "\nset: hit yes", rec);
    return out.find("\"hit\":\"yes\"") != std::string::npos;
  };
  CHECK(applied("key_exists level"));
  CHECK(applied("Key_Exists $k['env']"));
  CHECK_FALSE(applied("key_exists nope"));
  CHECK(applied("key_does_not_exist nope"));
  CHECK_FALSE(applied("key_does_not_exist level"));
  CHECK(applied("a_key_matches ^tag_"));
  CHECK_FALSE(applied("a_key_matches ^zzz"));
  CHECK(applied("no_key_matches ^zzz"));
  CHECK(applied("key_value_equals level error"));
  CHECK(applied("key_value_equals code 500"));
  CHECK(applied("key_value_equals $k['env'] prod"));
  CHECK_FALSE(applied("key_value_equals level warn"));
  CHECK(applied("key_value_does_not_equal level warn"));
  CHECK_FALSE(applied("key_value_does_not_equal nope warn"));
  CHECK(applied("key_value_matches code ^5"));
  CHECK_FALSE(applied("key_value_matches nope ."));
  CHECK(applied("key_value_does_not_match level ^warn"));
  CHECK_FALSE(applied("key_value_does_not_match nope x"));
  CHECK(applied("matching_keys_have_matching_values ^tag_ ^x"));
  CHECK_FALSE(applied("matching_keys_have_matching_values ^tag_ ^x1$"));
  CHECK(applied("matching_keys_do_not_have_matching_values ^tag_ ^x1$"));
  SECTION("every condition must hold") {
    CHECK(run("condition: [key_exists level, key_value_equals code 500]\nset: hit yes", rec).find("hit") !=
          std::string::npos);
    CHECK(run("condition: [key_exists level, key_exists nope]\nset: hit yes", rec).find("hit") == std::string::npos);
  }
}

TEST_CASE("modify: config errors", "[filters][modify]") {
  CHECK_THAT(config_error("condition: key_is_there a"),
             Catch::Contains("key 'condition': unknown condition 'key_is_there' (known: key_exists, "));
  CHECK_THAT(config_error("condition: key_value_equals a"),
             Catch::Contains("key 'condition': expected key_value_equals KEY VALUE, got 'key_value_equals a'"));
  CHECK_THAT(config_error("condition: a_key_matches"),
             Catch::Contains("key 'condition': expected a_key_matches KEY_REGEX, got 'a_key_matches'"));
  CHECK_THAT(config_error("condition: key_value_matches a ("),
             Catch::Contains("regular expression '(' does not compile: missing closing parenthesis"));
  CHECK_THAT(config_error("set: onlykey"), Catch::Contains("filter modify") &&
                                               Catch::Contains("key 'set': expected KEY VALUE, got 'onlykey'"));
  CHECK_THAT(config_error("set: '\"k v'"), Catch::Contains("key 'set': unterminated quote in '\"k v'"));
  CHECK_THAT(config_error("remove_regex: (x"), Catch::Contains("key 'remove_regex': regular expression '(x'"));
  CHECK_THAT(config_error("rename: $a['b'] c"),
             Catch::Contains("key 'rename': nested keys ('$a['b'] c') work in set, add, remove and conditions; "
                             "rename takes a top-level key"));
  CHECK_THAT(config_error("set: $a[ x"), Catch::Contains("key 'set': invalid record accessor"));
}

}  // namespace SLUICE_UNITY_ID
