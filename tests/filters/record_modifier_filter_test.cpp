// The record_modifier filter, as Fluent Bit's: record fields appended as
// strings, remove_key / allowlist_key without regard to case and with KEY*
// prefixes, remove_key winning over allowlist_key, a UUID per record, and
// config errors. Checked side by side with Fluent Bit 5.1.1 (bench/README:
// nothing here needs a peer).
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "filters/record_modifier/record_modifier_filter.hpp"
#include "tests/filters/filter_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {

using testing::Lines;

struct Harness : testing::FilterHarness {
  explicit Harness(std::string_view yaml) : FilterHarness(record_modifier_filter_schema(), make_record_modifier_filter, yaml) {}
};

std::string config_error(std::string_view yaml) {
  return testing::config_error(record_modifier_filter_schema(), make_record_modifier_filter, yaml);
}

}  // namespace

TEST_CASE("record_modifier: record appends string fields after the record's own", "[filters][record_modifier]") {
  Harness h(R"(
record:
  - hostname my-host
  - note  hello world
  - host replaced
  - port 8080
  - 'quoted "  padded  "'
)");
  CHECK(h.run({R"({"log":"a","host":"h1","n":1})"}) ==
        Lines{R"({"log":"a","n":1,"hostname":"my-host","note":"hello world","host":"replaced","port":"8080","quoted":"  padded  "})"});
}

TEST_CASE("record_modifier: remove_key and allowlist_key, any case, KEY* as a prefix", "[filters][record_modifier]") {
  SECTION("remove_key") {
    Harness h("remove_key: [kubernetes_*, KEEP]");
    CHECK(h.run({R"({"log":"a","Kubernetes_pod":"p","kubernetes_ns":"n","keep":1,"kubernetes":2})"}) ==
          Lines{R"({"log":"a","kubernetes":2})"});
  }
  SECTION("allowlist_key, and Fluent Bit's older whitelist_key") {
    Harness h("allowlist_key: [LOG, host*]\nrecord: [svc api]");
    CHECK(h.run({R"({"log":"a","hostname":"x","other":1})", R"({"x":1})"}) ==
          Lines{R"({"log":"a","hostname":"x","svc":"api"})", R"({"svc":"api"})"});
    Harness w("whitelist_key: [log]\nallowlist_key: [n]");
    CHECK(w.run({R"({"log":"a","other":1,"n":2})"}) == Lines{R"({"log":"a","n":2})"});
  }
  SECTION("with both, remove_key wins and allowlist_key is ignored") {
    Harness h("remove_key: [a]\nallowlist_key: [b]");
    CHECK(h.run({R"({"a":1,"b":2,"c":3})"}) == Lines{R"({"b":2,"c":3})"});
  }
}

TEST_CASE("record_modifier: uuid_key adds a different version 4 UUID to each record", "[filters][record_modifier]") {
  Harness h("uuid_key: id");
  Lines out = h.run({R"({"log":"a","id":"old"})", R"({"log":"b"})", R"({"log":"c"})"});
  const std::regex uuid4(R"(\{"log":"[abc]","id":"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"\})");
  std::set<std::string> ids;
  for (const auto& line : out) {
    INFO(line);
    CHECK(std::regex_match(line, uuid4));
    ids.insert(line.substr(line.find("\"id\"")));
  }
  CHECK(ids.size() == 3);
}

TEST_CASE("record_modifier: a record without a value is a config error naming the key", "[filters][record_modifier]") {
  CHECK_THAT(config_error("record: [lonely]"),
             Catch::Contains("record") && Catch::Contains("expected 'KEY VALUE'") && Catch::Contains("lonely"));
  CHECK(config_error("record: ['k \"  padded  \"']") == "no error");
}

}  // namespace SLUICE_UNITY_ID
