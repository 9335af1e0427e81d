// The grep filter: regex/exclude rules on (nested) keys, logical_op as in
// Fluent Bit, values by their text, drops counted, config errors.
#include <string>
#include <vector>

#include "filters/grep/grep_filter.hpp"
#include "tests/filters/filter_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {

using testing::Lines;

struct Harness : testing::FilterHarness {
  explicit Harness(std::string_view yaml) : FilterHarness(grep_filter_schema(), make_grep_filter, yaml) {}
};

std::string config_error(std::string_view yaml) {
  return testing::config_error(grep_filter_schema(), make_grep_filter, yaml);
}

}  // namespace

TEST_CASE("grep: regex keeps matching records, exclude drops them", "[filters][grep]") {
  SECTION("regex") {
    Harness h("regex: log ^ERROR");
    CHECK(h.run({R"({"log":"ERROR a"})", R"({"log":"INFO b"})", R"({"log":"ERROR c"})"}) ==
          Lines{R"({"log":"ERROR a"})", R"({"log":"ERROR c"})"});
    CHECK(h.ctx.counter("sluice_filter_records_dropped_total") == 1);
  }
  SECTION("exclude") {
    Harness h("exclude: log debug");
    CHECK(h.run({R"({"log":"a debug line"})", R"({"log":"kept"})"}) == Lines{R"({"log":"kept"})"});
  }
  SECTION("the order of what stays is kept and the times go with their records") {
    Harness h("regex: n [13579]$");
    Chunk chunk("app");
    auto json = make_json_format();
    for (int i = 0; i < 10; ++i) {
      Value v;
      REQUIRE(json->parse("{\"n\":\"" + std::to_string(i) + "\"}", chunk.arena, v));
      chunk.events.push_back(Event{i, v});
    }
    h.filter->filter(chunk);
    REQUIRE(chunk.events.size() == 5);
    for (size_t i = 0; i < 5; ++i) CHECK(chunk.events[i].time_ns == static_cast<int64_t>(2 * i + 1));
  }
  SECTION("the pattern is the rest of the rule, spaces included") {
    Harness h("regex: log 'disk full'");
    CHECK(h.run({R"({"log":"'disk full'"})", R"({"log":"disk full"})"}) == Lines{R"({"log":"'disk full'"})"});
    Harness h2("regex: log disk full");
    CHECK(h2.run({R"({"log":"disk full!"})", R"({"log":"disk"})"}) == Lines{R"({"log":"disk full!"})"});
    Harness h3("regex: \"log end \"");  // trailing blank kept
    CHECK(h3.run({R"({"log":"the end"})", R"({"log":"end here"})"}) == Lines{R"({"log":"end here"})"});
  }
  SECTION("Fluent Bit's /pattern/i form") {
    Harness h("regex: log /^error/i");
    CHECK(h.run({R"({"log":"Error x"})", R"({"log":"warn"})"}) == Lines{R"({"log":"Error x"})"});
  }
}

TEST_CASE("grep: nested keys, missing keys and non-string values", "[filters][grep]") {
  SECTION("record accessor keys") {
    Harness h("regex: $kubernetes['labels']['app'] ^web$");
    CHECK(h.run({R"({"kubernetes":{"labels":{"app":"web"}}})", R"({"kubernetes":{"labels":{"app":"db"}}})",
                 R"({"kubernetes":"web"})"}) == Lines{R"({"kubernetes":{"labels":{"app":"web"}}})"});
  }
  SECTION("a quoted subkey may contain spaces") {
    Harness h("regex: $a['b c'] x");
    CHECK(h.run({R"({"a":{"b c":"x"}})", R"({"a":{"b c":"y"}})"}) == Lines{R"({"a":{"b c":"x"}})"});
  }
  SECTION("numbers and booleans match by their text") {
    Harness h("regex: status ^5\\d\\d$");
    CHECK(h.run({R"({"status":503})", R"({"status":200})", R"({"status":"500"})", R"({"status":5.5})"}) ==
          Lines{R"({"status":503})", R"({"status":"500"})"});
    Harness b("regex: ok ^true$");
    CHECK(b.run({R"({"ok":true})", R"({"ok":false})"}) == Lines{R"({"ok":true})"});
  }
  SECTION("a missing key, null, array or map never matches") {
    Harness h("regex: v .");
    CHECK(h.run({R"({"x":"a"})", R"({"v":null})", R"({"v":[1]})", R"({"v":{"a":1}})"}).empty());
    Harness e("exclude: v .");
    CHECK(e.run({R"({"x":"a"})", R"({"v":null})"}) == Lines{R"({"x":"a"})", R"({"v":null})"});
  }
}

TEST_CASE("grep: logical_op", "[filters][grep]") {
  const Lines records = {R"({"a":"1","b":"1"})", R"({"a":"1","b":"0"})", R"({"a":"0","b":"0"})"};
  SECTION("default (legacy): every regex must match, no exclude may match") {
    Harness h("regex: [a ^1, b ^1]");
    CHECK(h.run(records) == Lines{R"({"a":"1","b":"1"})"});
    Harness mixed("regex: a ^1\nexclude: b ^1");
    CHECK(mixed.run(records) == Lines{R"({"a":"1","b":"0"})"});
    Harness legacy("logical_op: legacy\nregex: [a ^1, b ^1]");
    CHECK(legacy.run(records) == Lines{R"({"a":"1","b":"1"})"});
  }
  SECTION("AND / OR over regex rules") {
    Harness all("logical_op: AND\nregex: [a ^1, b ^1]");
    CHECK(all.run(records) == Lines{R"({"a":"1","b":"1"})"});
    Harness any("logical_op: or\nregex: [a ^1, b ^1]");
    CHECK(any.run(records) == Lines{R"({"a":"1","b":"1"})", R"({"a":"1","b":"0"})"});
  }
  SECTION("AND / OR over exclude rules") {
    Harness all("logical_op: and\nexclude: [a ^1, b ^1]");
    CHECK(all.run(records) == Lines{R"({"a":"1","b":"0"})", R"({"a":"0","b":"0"})"});
    Harness any("logical_op: or\nexclude: [a ^1, b ^1]");
    CHECK(any.run(records) == Lines{R"({"a":"0","b":"0"})"});
  }
  SECTION("no rules: everything passes") {
    Harness h("logical_op: or");
    CHECK(h.run(records) == records);
  }
}

TEST_CASE("grep: config errors", "[filters][grep]") {
  CHECK_THAT(config_error("regex: log"),
             Catch::Contains("filter grep") && Catch::Contains("key 'regex': expected 'KEY REGEX' (a key, a space, a "
                                                               "regular expression), got 'log'"));
  CHECK_THAT(config_error("exclude: log (unclosed"),
             Catch::Contains("key 'exclude': regular expression '(unclosed' does not compile: missing closing "
                             "parenthesis at offset 9"));
  CHECK_THAT(config_error("regex: $a[b] x"),
             Catch::Contains("key 'regex': invalid record accessor '$a[b]': expected a quoted key ('name') or an "
                             "array index inside brackets at character 4"));
  CHECK_THAT(config_error("logical_op: and\nregex: a 1\nexclude: b 1"),
             Catch::Contains("key 'logical_op': with logical_op and, use either regex rules or exclude rules, not "
                             "both (as in Fluent Bit)"));
  CHECK_THAT(config_error("logical_op: xor"), Catch::Contains("expects one of"));
}

}  // namespace SLUICE_UNITY_ID
