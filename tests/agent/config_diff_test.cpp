// What a hot reload considers changed: fingerprints of components (values and
// the files they read, not where the values were written), service keys and
// parsers.
#include <catch2/catch.hpp>

#include "agent/config/config_diff.hpp"
#include "agent/config/yaml_loader.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {

config::PipelineConfig load(const std::string& yaml, const std::string& base_dir = ".") {
  return config::load_string(yaml, "sluice.yaml", base_dir);
}

const std::string kBase =
    "service:\n  flush: 1s\n"
    "parsers:\n  - name: app\n    format: json\n    time_key: ts\n"
    "pipeline:\n  inputs:\n    - name: tail\n      path: /var/log/app.log\n      parser: app\n"
    "  outputs:\n    - name: stdout\n      match: '*'\n";

}  // namespace

TEST_CASE("a component's fingerprint follows its values, not where they were written", "[config][reload]") {
  auto a = load(kBase);
  auto moved = load("\n\n# a comment\n" + kBase);
  CHECK(config::fingerprint(a.inputs[0], ".") == config::fingerprint(moved.inputs[0], "."));
  CHECK(config::fingerprint(a.outputs[0], ".") == config::fingerprint(moved.outputs[0], "."));

  std::string changed = kBase;
  changed.replace(changed.find("/var/log/app.log"), 16, "/var/log/other.log");
  auto b = load(changed);
  CHECK(config::fingerprint(a.inputs[0], ".") != config::fingerprint(b.inputs[0], "."));
  CHECK(config::fingerprint(a.outputs[0], ".") == config::fingerprint(b.outputs[0], "."));
}

TEST_CASE("a Lua script edited on disk changes the filter's fingerprint", "[config][reload]") {
  test::TempDir dir;
  test::write_file(dir.file("f.lua"), "function cb(tag, ts, record) return 0, ts, record end\n");
  std::string yaml = "pipeline:\n  inputs:\n    - name: stdin\n"
                     "  filters:\n    - name: lua\n      match: '*'\n      script: f.lua\n      call: cb\n"
                     "  outputs:\n    - name: stdout\n      match: '*'\n";
  auto before = load(yaml, dir.path());
  std::string fp = config::fingerprint(before.filters[0], dir.path());
  CHECK(config::fingerprint(before.filters[0], dir.path()) == fp);
  test::write_file(dir.file("f.lua"), "function cb(tag, ts, record) return -1, ts, record end\n");
  CHECK(config::fingerprint(before.filters[0], dir.path()) != fp);
}

TEST_CASE("changed service keys and parsers are named", "[config][reload]") {
  auto a = load(kBase);
  std::string yaml = kBase;
  yaml.replace(yaml.find("  flush: 1s\n"), 12, "  flush: 2s\n  log_level: debug\n");
  yaml.replace(yaml.find("time_key: ts"), 12, "time_key: time");
  auto b = load(yaml);
  CHECK(config::changed_service_keys(a.service, b.service) == std::vector<std::string>{"flush", "log_level"});
  CHECK(config::changed_service_keys(a.service, a.service).empty());
  auto parsers = config::changed_parsers(a, b);
  CHECK(parsers == std::vector<std::string>{"app"});
  CHECK(config::changed_parsers(a, a).empty());
  // The tail names the parser: it is rebuilt with the new definition; stdout isn't.
  CHECK(config::uses_any(b.inputs[0], parsers));
  CHECK_FALSE(config::uses_any(b.outputs[0], parsers));
}

TEST_CASE("a changed multiline parser rebuilds the components that name it", "[config][reload]") {
  auto yaml = [](const std::string& cont) {
    return "multiline_parsers:\n  - name: trace\n    type: regex\n    rules:\n"
           "      - {state: start_state, regex: '^ERROR', next_state: cont}\n"
           "      - {state: cont, regex: '" + cont + "', next_state: cont}\n"
           "pipeline:\n  inputs:\n    - name: tail\n      path: /x.log\n      multiline.parser: trace, java\n"
           "  outputs:\n    - name: stdout\n";
  };
  auto a = config::load_string(yaml("^\\s+at "));
  auto b = config::load_string(yaml("^\\s+(at|\\.\\.\\.) "));
  auto changed = config::changed_parsers(a, b);
  CHECK(changed == std::vector<std::string>{"trace"});
  CHECK(config::changed_parsers(a, a).empty());
  CHECK(config::uses_any(b.inputs[0], changed));
  CHECK_FALSE(config::uses_any(b.outputs[0], changed));
}

}  // namespace SLUICE_UNITY_ID
