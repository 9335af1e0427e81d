// The YAML loader: structure, interpolation, includes, types, and every
// error message a user can meet there.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>

#include "agent/config/yaml_loader.hpp"
#include "agent/host_name.hpp"
#include "filters/registry.hpp"
#include "inputs/registry.hpp"
#include "outputs/registry.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::config;

namespace {

const PluginSchema& test_schema() {
  static const PluginSchema schema{"demo",
                                   "A schema for tests.",
                                   {
                                       {"path", KeyType::String, "", "Files.", true},
                                       {"read_from_head", KeyType::Bool, "off", "From the start."},
                                       {"refresh_interval", KeyType::Duration, "60s", "Rescan."},
                                       {"buffer_max_size", KeyType::Size, "32k", "Longest line."},
                                       {"workers", KeyType::Int, "1", "Threads."},
                                       {"ratio", KeyType::Double, "0.5", "A number."},
                                       {"exclude_path", KeyType::List, "", "Excluded globs."},
                                       {"regex", KeyType::Multi, "", "Rules."},
                                       {"format", KeyType::String, "json", "Format.", false, false, {"json", "plain"}},
                                       {"tls.verify", KeyType::Bool, "on", "Verify."},
                                       {"password", KeyType::String, "", "A secret.", false, true},
                                   }};
  return schema;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("typed getters read values and defaults", "[config]") {
  auto cfg = load_component(test_schema(), "parser",
                            "path: /var/log/*.log\nread_from_head: on\nrefresh_interval: 250ms\n"
                            "buffer_max_size: 5M\nworkers: 3\nexclude_path: a.log, b.log\n"
                            "regex:\n  - log error\n  - level warn\n");
  CHECK(cfg.get_string("path") == "/var/log/*.log");
  CHECK(cfg.get_bool("read_from_head"));
  CHECK(cfg.get_duration("refresh_interval") == std::chrono::milliseconds(250));
  CHECK(cfg.get_size("buffer_max_size") == 5u * 1024 * 1024);
  CHECK(cfg.get_int("workers") == 3);
  CHECK(cfg.get_double("ratio") == 0.5);
  CHECK(cfg.get_list("exclude_path") == std::vector<std::string>{"a.log", "b.log"});
  CHECK(cfg.get_list("regex") == std::vector<std::string>{"log error", "level warn"});
  CHECK(cfg.get_string("format") == "json");
  CHECK(cfg.has("path"));
  CHECK_FALSE(cfg.has("format"));
}

TEST_CASE("nested maps become dotted keys and keys are case-insensitive", "[config]") {
  auto cfg = load_component(test_schema(), "parser", "Path: x\ntls:\n  verify: off\n");
  CHECK(cfg.get_string("path") == "x");
  CHECK_FALSE(cfg.get_bool("tls.verify"));
}

TEST_CASE("a key's choices match in any case and read back as declared", "[config]") {
  // Fluent Bit compares its enumerated values with strcasecmp: `Format JSON`
  // must mean json to the component, not pass the check and then match
  // nothing it compares with.
  auto cfg = load_component(test_schema(), "parser", "path: x\nformat: JSON\n");
  CHECK(cfg.get_string("format") == "json");
  CHECK(cfg.get_string("path") == "x");  // a key without choices keeps its case
  CHECK(error_of([] { load_component(test_schema(), "parser", "path: x\nformat: Jsn\n"); })
            .find("key 'format' expects one of json, plain, got 'Jsn'") != std::string::npos);
}

TEST_CASE("every plugin's choices are written in lower case", "[config]") {
  // The loader lowers a value before looking it up among the choices, so a
  // choice declared with a capital could never be chosen.
  auto check = [](const PluginSchema& schema) {
    for (const KeyDecl& key : schema.keys)
      for (std::string_view choice : key.choices) {
        INFO(schema.name << "." << key.name << ": " << choice);
        CHECK(std::none_of(choice.begin(), choice.end(), [](char c) { return c >= 'A' && c <= 'Z'; }));
      }
  };
  for (const auto& p : sluice::input_plugins()) check(p.schema());
  for (const auto& p : sluice::filter_plugins()) check(p.schema());
  for (const auto& p : sluice::output_plugins()) check(p.schema());
}

TEST_CASE("conversion of durations and sizes", "[config]") {
  CHECK(parse_duration("5") == std::chrono::seconds(5));
  CHECK(parse_duration("1.5s") == std::chrono::milliseconds(1500));
  CHECK(parse_duration("2m") == std::chrono::minutes(2));
  CHECK(parse_duration("1h") == std::chrono::hours(1));
  CHECK_FALSE(parse_duration("fast").has_value());
  CHECK(parse_size("32k") == 32768u);
  CHECK(parse_size("1MB") == 1048576u);
  CHECK(parse_size("2GiB") == 2147483648u);
  CHECK_FALSE(parse_size("-1").has_value());
  // Found by fuzz_config_loader: a huge number overflowed the conversion to integer.
  CHECK(parse_duration("3650d") == std::chrono::hours(24 * 3650));
  CHECK_FALSE(parse_duration("3651d").has_value());
  CHECK_FALSE(parse_duration("777777777777777777777777777777777777777777200ms").has_value());
  CHECK(parse_size("1024T") == uint64_t{1} << 50);
  CHECK_FALSE(parse_size("1025T").has_value());
  CHECK_FALSE(parse_size("99999999999999999999999999999G").has_value());
  CHECK(parse_bool("Yes") == true);
  CHECK(parse_bool("off") == false);
  CHECK_FALSE(parse_bool("maybe").has_value());
}

TEST_CASE("every error names the place and what was expected", "[config]") {
  auto load = [](const std::string& yaml) { return error_of([&] { load_component(test_schema(), "parser", yaml); }); };
  CHECK(load("path: x\nread_form_head: on\n") ==
        "<test>:2:1: unknown key 'read_form_head' in parser demo (<test>:1); did you mean 'read_from_head'?");
  CHECK(load("path: x\nbananas: 1\n").find("unknown key 'bananas' in parser demo (<test>:1) (known: path,") !=
        std::string::npos);
  CHECK(load("path: x\nread_from_head: maybe\n") ==
        "<test>:2:1: parser demo (<test>:1): key 'read_from_head' expects boolean (on/off), got 'maybe'");
  CHECK(load("path: x\nrefresh_interval: soon\n") ==
        "<test>:2:1: parser demo (<test>:1): key 'refresh_interval' expects duration (e.g. 500ms, 5s, 1m) of at most 3650d, got 'soon'");
  CHECK(load("path: x\nbuffer_max_size: big\n") ==
        "<test>:2:1: parser demo (<test>:1): key 'buffer_max_size' expects size (e.g. 512, 32k, 5M) of at most 1024T, got 'big'");
  CHECK(load("path: x\nworkers: two\n") ==
        "<test>:2:1: parser demo (<test>:1): key 'workers' expects integer, got 'two'");
  CHECK(load("path: x\nratio: half\n") == "<test>:2:1: parser demo (<test>:1): key 'ratio' expects number, got 'half'");
  CHECK(load("path: x\nformat: jsno\n") ==
        "<test>:2:1: parser demo (<test>:1): key 'format' expects one of json, plain, got 'jsno'; did you mean 'json'?");
  CHECK(load("path: x\npassword: 12\nworkers: [1, 2]\n") ==
        "<test>:3:1: parser demo (<test>:1): key 'workers' takes one value, not a list");
  CHECK(load("path: x\nworkers:\n") ==
        "<test>:2:1: parser demo (<test>:1): key 'workers' has no value; expected integer");
  CHECK(load("read_from_head: on\n") == "<test>:1:1: parser demo (<test>:1): missing required key 'path'");
  CHECK(load("path: x\npath: y\n").find("invalid YAML") == std::string::npos);  // yaml-cpp keeps one; no crash
  CHECK(load("path: [unclosed\n").find("<test>:") == 0);
}

TEST_CASE("a secret's value is never echoed in errors", "[config]") {
  PluginSchema s{"sec", "", {{"token", KeyType::Int, "", "", false, true}}};
  std::string e = error_of([&] { load_component(s, "parser", "token: hunter2\n"); });
  CHECK(e.find("hunter2") == std::string::npos);
  CHECK(e.find("<secret>") != std::string::npos);
}

TEST_CASE("pipeline files: sections, plugins, interpolation, includes", "[config]") {
  sluice::test::TempDir dir;
  ::setenv("SLUICE_TEST_FLUSH", "3s", 1);
  ::unsetenv("SLUICE_TEST_UNSET");

  SECTION("a complete file loads with interpolated values") {
    auto cfg = load_string(
        "env:\n  OUT_ALIAS: sink\nservice:\n  flush: ${SLUICE_TEST_FLUSH}\n  grace: ${SLUICE_TEST_UNSET:-7s}\n"
        "pipeline:\n  outputs:\n    - name: null\n      alias: ${OUT_ALIAS}\n      match: 'app.*'\n");
    CHECK(cfg.service.get_duration("flush") == std::chrono::seconds(3));
    CHECK(cfg.service.get_duration("grace") == std::chrono::seconds(7));
    CHECK(cfg.service.get_string("log_level") == "info");
    REQUIRE(cfg.outputs.size() == 1);
    CHECK(cfg.outputs[0].plugin() == "null");
    CHECK(cfg.outputs[0].get_string("alias") == "sink");
    CHECK(cfg.outputs[0].get_string("retry_limit") == "no_limits");
  }
  SECTION("errors in the file's structure") {
    auto load = [](const std::string& y) { return error_of([&] { load_string(y, "p.yaml"); }); };
    CHECK(load("pipelines:\n  outputs: []\n") ==
          "p.yaml:1:1: unknown section 'pipelines' in the configuration; did you mean 'pipeline'?");
    CHECK(load("pipeline:\n  outputs:\n    - name: nul\n") ==
          "p.yaml:3:13: unknown output plugin 'nul' in sluice; did you mean 'null'?");
    CHECK(load("pipeline:\n  inputs:\n    - name: tial\n      path: x\n") ==
          "p.yaml:3:13: unknown input plugin 'tial' in sluice; did you mean 'tail'?");
    CHECK(load("pipeline:\n  outputs:\n    - match: '*'\n") ==
          "p.yaml:3:7: output without 'name' (which plugin to run)");
    CHECK(load("pipeline:\n  outputs:\n    name: null\n") == "p.yaml:3:5: pipeline.outputs must be a list (YAML sequence)");
    CHECK(load("service:\n  flush: ${SLUICE_TEST_UNSET}\n") ==
          "p.yaml:2:3: service (p.yaml:2): key 'flush' has no value (environment variable 'SLUICE_TEST_UNSET' is not "
          "set; use ${SLUICE_TEST_UNSET:-default} for a default)");
    CHECK(load("service:\n  flush: 1${SLUICE_TEST_UNSET}x\n") ==
          "p.yaml:2:3: service (p.yaml:2): key 'flush' expects duration (e.g. 500ms, 5s, 1m) of at most 3650d, got '1x' "
          "(environment "
          "variable 'SLUICE_TEST_UNSET' is not set; use ${SLUICE_TEST_UNSET:-default} for a default)");
    CHECK(load("pipeline:\n  outputs:\n    - name: ${SLUICE_TEST_UNSET}\n") ==
          "p.yaml:3:13: output 'name': environment variable 'SLUICE_TEST_UNSET' is not set");
    CHECK(load("service:\n  log_level: loud\n") ==
          "p.yaml:2:3: service (p.yaml:2): key 'log_level' expects one of off, error, warn, info, debug, trace, got "
          "'loud'");
    CHECK(load("pipeline:\n  outputs:\n    - name: null\n      retry_limt: 3\n").find(
              "p.yaml:4:7: unknown key 'retry_limt' in output null (p.yaml:3); did you mean 'retry_limit'?") == 0);
    CHECK(load("- a\n- b\n") == "p.yaml:1:1: the configuration must be a map of sections");
  }
  SECTION("an unset variable where an empty string is valid: Fluent Bit's empty value, with a warning") {
    PipelineConfig cfg = load_string(
        "pipeline:\n  outputs:\n    - name: null\n      alias: sink${SLUICE_TEST_UNSET}\n", "p.yaml");
    CHECK(cfg.outputs[0].get_string("alias") == "sink");
    REQUIRE(cfg.warnings.size() == 1);
    CHECK(cfg.warnings[0] ==
          "p.yaml:4:7: environment variable 'SLUICE_TEST_UNSET' is not set; using an empty value "
          "(${SLUICE_TEST_UNSET:-default} gives a default)");
  }
  SECTION("${HOSTNAME} is the host name when the environment has none, as in Fluent Bit") {
    const char* saved = std::getenv("HOSTNAME");
    std::string before = saved != nullptr ? saved : "";
    ::unsetenv("HOSTNAME");
    PipelineConfig cfg = load_string("pipeline:\n  outputs:\n    - name: null\n      alias: ${HOSTNAME}\n", "p.yaml");
    CHECK(cfg.outputs[0].get_string("alias") == sluice::host_name());
    CHECK(cfg.warnings.empty());
    ::setenv("HOSTNAME", "from-env", 1);
    cfg = load_string("pipeline:\n  outputs:\n    - name: null\n      alias: ${HOSTNAME}\n", "p.yaml");
    CHECK(cfg.outputs[0].get_string("alias") == "from-env");
    if (saved != nullptr) ::setenv("HOSTNAME", before.c_str(), 1);
    else ::unsetenv("HOSTNAME");
  }
  SECTION("includes are relative to the including file") {
    sluice::test::write_file(dir.file("outputs.yaml"), "pipeline:\n  outputs:\n    - name: null\n      alias: inc\n");
    sluice::test::write_file(dir.file("main.yaml"), "includes:\n  - outputs.yaml\nservice:\n  flush: 2s\n");
    auto cfg = load_file(dir.file("main.yaml"));
    REQUIRE(cfg.outputs.size() == 1);
    CHECK(cfg.outputs[0].get_string("alias") == "inc");
    CHECK(cfg.base_dir == dir.path());
    sluice::test::write_file(dir.file("loop.yaml"), "includes:\n  - loop.yaml\n");
    CHECK(error_of([&] { load_file(dir.file("loop.yaml")); }).find("include cycle") != std::string::npos);
    sluice::test::write_file(dir.file("missing.yaml"), "includes:\n  - nope.yaml\n");
    CHECK(error_of([&] { load_file(dir.file("missing.yaml")); }) ==
          dir.file("missing.yaml") + ":2:5: included file not found: " + dir.file("nope.yaml"));
  }
  SECTION("an unreadable file") {
    CHECK(error_of([&] { load_file(dir.file("absent.yaml")); }) ==
          "cannot read configuration file " + dir.file("absent.yaml"));
  }
}

TEST_CASE("every plugin's registry name is its schema's name", "[config]") {
  // The loader matches `name:` against the registry's names and only then
  // builds that plugin's schema, so the two must agree.
  for (const auto& p : sluice::input_plugins()) CHECK(p.schema().name == p.name);
  for (const auto& p : sluice::filter_plugins()) CHECK(p.schema().name == p.name);
  for (const auto& p : sluice::output_plugins()) CHECK(p.schema().name == p.name);
}

}  // namespace SLUICE_UNITY_ID
