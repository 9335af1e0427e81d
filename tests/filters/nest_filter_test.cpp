// The nest filter, as Fluent Bit's: nest moves wildcard-matched keys into a
// map appended under nest_under; lift moves a map's keys up; prefixes added
// or removed on the keys moved; records without a match left as they are;
// config errors. Checked side by side with Fluent Bit 5.1.1 (its output
// repeats a key a moved one meets; sluice keeps the one readers take).
#include <string>
#include <vector>

#include "filters/nest/nest_filter.hpp"
#include "tests/filters/filter_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {

using testing::Lines;

struct Harness : testing::FilterHarness {
  explicit Harness(std::string_view yaml) : FilterHarness(nest_filter_schema(), make_nest_filter, yaml) {}
};

std::string config_error(std::string_view yaml) {
  return testing::config_error(nest_filter_schema(), make_nest_filter, yaml);
}

}  // namespace

TEST_CASE("nest: wildcard-matched keys move, in order, into a map at the end", "[filters][nest]") {
  Harness h("operation: nest\nwildcard: [pod_*, host]\nnest_under: kubernetes");
  CHECK(h.run({R"({"log":"a","pod_name":"p","host":"h","pod_id":1,"Pod_x":2})", R"({"log":"b"})"}) ==
        Lines{R"({"log":"a","Pod_x":2,"kubernetes":{"pod_name":"p","host":"h","pod_id":1}})", R"({"log":"b"})"});
  SECTION("add_prefix and remove_prefix rename the keys moved") {
    Harness add("operation: nest\nwildcard: pod_*\nnest_under: k\nadd_prefix: x_");
    CHECK(add.run({R"({"pod_name":"p"})"}) == Lines{R"({"k":{"x_pod_name":"p"}})"});
    Harness remove("operation: nest\nwildcard: [pod_*, other]\nnest_under: k\nremove_prefix: pod_");
    CHECK(remove.run({R"({"pod_name":"p","other":1})"}) == Lines{R"({"k":{"name":"p","other":1}})"});
  }
  SECTION("a key named nest_under already there is replaced by the new map") {
    Harness n("operation: nest\nwildcard: a\nnest_under: k");
    CHECK(n.run({R"({"k":"old","a":1})"}) == Lines{R"({"k":{"a":1}})"});
  }
}

TEST_CASE("nest: lift moves a map's keys up to the end of the record", "[filters][nest]") {
  Harness h("operation: lift\nnested_under: kubernetes\nadd_prefix: k8s_");
  CHECK(h.run({R"({"log":"a","kubernetes":{"pod":"p","labels":{"app":"x"}},"z":1})", R"({"log":"b"})"}) ==
        Lines{R"({"log":"a","z":1,"k8s_pod":"p","k8s_labels":{"app":"x"}})", R"({"log":"b"})"});
  SECTION("a value that isn't a map stays as it is") {
    CHECK(h.run({R"({"kubernetes":"text","a":1})"}) == Lines{R"({"kubernetes":"text","a":1})"});
  }
  SECTION("a lifted key replaces one of the same name") {
    Harness l("operation: lift\nnested_under: m");
    CHECK(l.run({R"({"a":1,"m":{"a":2,"b":3}})"}) == Lines{R"({"a":2,"b":3})"});
  }
  SECTION("remove_prefix only where the key starts with it") {
    Harness l("operation: lift\nnested_under: m\nremove_prefix: x_");
    CHECK(l.run({R"({"m":{"x_a":1,"b":2}})"}) == Lines{R"({"a":1,"b":2})"});
  }
}

TEST_CASE("nest: config errors say what is missing", "[filters][nest]") {
  CHECK_THAT(config_error("operation: nest\nwildcard: a"), Catch::Contains("needs nest_under"));
  CHECK_THAT(config_error("operation: nest\nnest_under: k"), Catch::Contains("needs at least one wildcard"));
  CHECK_THAT(config_error("operation: lift"), Catch::Contains("needs nested_under"));
  CHECK_THAT(config_error("operation: lift\nnested_under: k\nwildcard: a"), Catch::Contains("for operation nest"));
  CHECK_THAT(config_error("operation: lift\nnested_under: k\nadd_prefix: a\nremove_prefix: b"),
             Catch::Contains("exclude each other"));
  CHECK_THAT(config_error("operation: flatten"), Catch::Contains("operation"));
  CHECK_THAT(config_error("nest_under: k"), Catch::Contains("operation"));
}

}  // namespace SLUICE_UNITY_ID
