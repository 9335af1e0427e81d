// Tag routing: Fluent Bit's match globs and match_regex.
#include <catch2/catch.hpp>

#include "agent/config/yaml_loader.hpp"
#include "agent/router.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

TEST_CASE("glob matching follows Fluent Bit", "[router]") {
  CHECK(glob_match("*", "anything.at.all"));
  CHECK(glob_match("app.*", "app.web"));
  CHECK(glob_match("app.*", "app.web.access"));
  CHECK_FALSE(glob_match("app.*", "application"));
  CHECK(glob_match("*.access", "nginx.access"));
  CHECK(glob_match("a*c*e", "abcde"));
  CHECK_FALSE(glob_match("a*c*e", "abcdf"));
  CHECK(glob_match("exact", "exact"));
  CHECK_FALSE(glob_match("exact", "exactly"));
  CHECK(glob_match("", ""));
}

TEST_CASE("match and match_regex from config", "[router]") {
  static const config::PluginSchema none{"x", "", {}};
  auto m = TagMatcher::from_config(config::load_component(none, "output", "match: 'kube.*'"));
  CHECK(m.matches("kube.var.log"));
  CHECK_FALSE(m.matches("app"));
  auto r = TagMatcher::from_config(config::load_component(none, "output", "match_regex: '^(app|web)\\.'"));
  CHECK(r.matches("web.1"));
  CHECK_FALSE(r.matches("db.1"));
  auto all = TagMatcher::from_config(config::load_component(none, "output", ""));
  CHECK(all.matches("whatever"));
  try {
    TagMatcher::from_config(config::load_component(none, "output", "match_regex: '(unclosed'"));
    FAIL("no error");
  } catch (const config::ConfigError& e) {
    CHECK(std::string(e.what()) ==
          "<test>:1:1: output x (<test>:1): key 'match_regex': invalid regular expression: missing closing "
          "parenthesis at offset 9");
  }
  try {
    TagMatcher::from_config(config::load_component(none, "output", "match: a\nmatch_regex: b"));
    FAIL("no error");
  } catch (const config::ConfigError& e) {
    CHECK(std::string(e.what()).find("set either match or match_regex, not both") != std::string::npos);
  }
}

}  // namespace SLUICE_UNITY_ID
