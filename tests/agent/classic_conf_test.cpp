// Fluent Bit's classic format and parsers files: what a fluent-bit.conf
// becomes, and that its errors point into the classic files themselves.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include <yaml-cpp/yaml.h>

#include "agent/config/classic_conf.hpp"
#include "agent/config/yaml_loader.hpp"
#include "agent/output_settings.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::config;
using sluice::test::TempDir;
using sluice::test::write_file;

namespace {

std::string error_of(const std::string& path) {
  try {
    load_file(path);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("a classic fluent-bit.conf loads through the same schemas", "[config][classic]") {
  TempDir dir;
  write_file(dir.file("fluent-bit.conf"),
             "# comment\n"
             "@SET LEVEL=debug\n"
             "[SERVICE]\n"
             "    Flush        2\n"
             "    Log_Level    ${LEVEL}\n"
             "\n"
             "[INPUT]\n"
             "    Name   tail\n"
             "    Path   /var/log/app/*.log\n"
             "    Tag    app.*\n"
             "[OUTPUT]\n"
             "    Name   null\n"
             "    Match  app.*\n"
             "[FILTER]\n"
             "    Name   modify\n"
             "    Match  *\n"
             "    Add    env prod\n"
             "    ADD    team 'web: a'\n");
  PipelineConfig cfg = load_file(dir.file("fluent-bit.conf"));
  CHECK(cfg.service.get_duration("flush") == std::chrono::seconds(2));
  CHECK(cfg.service.get_string("log_level") == "debug");
  REQUIRE(cfg.inputs.size() == 1);
  CHECK(cfg.inputs[0].plugin() == "tail");
  CHECK(cfg.inputs[0].get_string("path") == "/var/log/app/*.log");
  CHECK(cfg.inputs[0].mark().file == dir.file("fluent-bit.conf"));
  REQUIRE(cfg.filters.size() == 1);
  // Repeated keys (any case) are one list, in order.
  CHECK(cfg.filters[0].get_list("add") == std::vector<std::string>{"env prod", "team 'web: a'"});
  REQUIRE(cfg.outputs.size() == 1);
  CHECK(cfg.outputs[0].get_string("match") == "app.*");
}

TEST_CASE("Fluent Bit's words are read in any case, as its Helm chart writes them", "[config][classic]") {
  TempDir dir;
  write_file(dir.file("fluent-bit.conf"),
             "[INPUT]\n"
             "    Name   dummy\n"
             "    Tag    kube.app\n"
             "[FILTER]\n"
             "    Name          nest\n"
             "    Match         *\n"
             "    Operation     Lift\n"
             "    Nested_under  kubernetes\n"
             "[OUTPUT]\n"
             "    Name              null\n"
             "    Match             *\n"
             "    Retry_Limit       False\n"
             "    buffer.when_full  Drop_Oldest\n"
             "[OUTPUT]\n"
             "    Name         null\n"
             "    Match        *\n"
             "    Retry_Limit  Off\n"
             "[OUTPUT]\n"
             "    Name         null\n"
             "    Match        *\n"
             "    Retry_Limit  No_Retries\n");
  PipelineConfig cfg = load_file(dir.file("fluent-bit.conf"));
  REQUIRE(cfg.filters.size() == 1);
  CHECK(cfg.filters[0].get_string("operation") == "lift");
  REQUIRE(cfg.outputs.size() == 3);
  auto settings = [&](size_t i) { return sluice::OutputSettings::from_config(cfg.outputs[i], std::chrono::seconds(1)); };
  CHECK_FALSE(settings(0).retry_limit.has_value());  // False: retry forever
  CHECK(settings(0).when_full == sluice::WhenFull::DropOldest);
  CHECK_FALSE(settings(1).retry_limit.has_value());  // Off: the same, as Fluent Bit takes it
  CHECK(settings(2).retry_limit == 0);
}

TEST_CASE("Fluent Bit's plugin keys sluice takes under its own names, or notes", "[config][classic]") {
  TempDir dir;
  write_file(dir.file("fluent-bit.conf"),
             "[INPUT]\n    Name dummy\n"
             "[FILTER]\n    Name parser\n    Match *\n    Key_Name log\n    Parser json\n    Unescape_Key On\n"
             "[OUTPUT]\n    Name kafka\n    Match *\n    Brokers 127.0.0.1:9092\n    Topics logs\n"
             "    Client_Id my-app\n    Group_Id my-group\n"
             "[OUTPUT]\n    Name logdna\n    Match *\n    Api_Key k\n    Mac 00:11:22:33:44:55\n    Ip 10.0.0.7\n"
             "[OUTPUT]\n    Name es\n    Match *\n    Trace_Output On\n"
             "[OUTPUT]\n    Name http\n    Match *\n    Log_Response_Payload Off\n"
             "[OUTPUT]\n    Name loki\n    Match *\n    Buffer_Size 1M\n"
             "[OUTPUT]\n    Name cloudwatch_logs\n    Match *\n    Region eu-west-1\n    Log_Group_Name g\n"
             "    Log_Stream_Prefix s-\n    Auto_Retry_Requests On\n    Extra_User_Agent x\n");
  PipelineConfig cfg = load_file(dir.file("fluent-bit.conf"));
  REQUIRE(cfg.outputs.size() == 6);
  // Fluent Bit passes client_id and group_id to librdkafka as client.id and group.id.
  CHECK(cfg.outputs[0].get_string("rdkafka.client.id") == "my-app");
  CHECK(cfg.outputs[0].get_string("rdkafka.group.id") == "my-group");
  CHECK(cfg.outputs[1].get_string("mac_addr") == "00:11:22:33:44:55");
  CHECK(cfg.outputs[1].get_string("ip_addr") == "10.0.0.7");
  // The others load, each with a warning saying what sluice does instead.
  for (std::string key : {"unescape_key", "trace_output", "log_response_payload", "buffer_size", "auto_retry_requests",
                          "extra_user_agent"}) {
    INFO(key);
    CHECK(std::any_of(cfg.warnings.begin(), cfg.warnings.end(), [&](const std::string& w) {
      return w.find("'" + key + "' is accepted for Fluent Bit") != std::string::npos;
    }));
  }
}

TEST_CASE("@INCLUDE reads files and globs relative to the including file", "[config][classic]") {
  TempDir dir;
  write_file(dir.file("main.conf"), "@INCLUDE inputs/*.conf\n@INCLUDE out.conf\n");
  std::filesystem::create_directories(dir.file("inputs"));
  write_file(dir.file("inputs/b.conf"), "[INPUT]\n    Name dummy\n    Tag b\n");
  write_file(dir.file("inputs/a.conf"), "[INPUT]\n    Name dummy\n    Tag a\n");
  write_file(dir.file("out.conf"), "[OUTPUT]\n    Name null\n    Match *\n");
  PipelineConfig cfg = load_file(dir.file("main.conf"));
  REQUIRE(cfg.inputs.size() == 2);
  CHECK(cfg.inputs[0].get_string("tag") == "a");
  CHECK(cfg.inputs[1].get_string("tag") == "b");
  CHECK(cfg.outputs.size() == 1);

  SECTION("an error in an included file names that file and its line") {
    write_file(dir.file("inputs/c.conf"), "[INPUT]\n    Name tail\n    Pth  /x\n");
    std::string e = error_of(dir.file("main.conf"));
    CHECK_THAT(e, Catch::Contains("inputs/c.conf:3:5: unknown key 'pth'"));
    CHECK_THAT(e, Catch::Contains("did you mean 'path'?"));
  }
  SECTION("entries after an @INCLUDE inside a section stay in that section") {
    write_file(dir.file("main.conf"), "[OUTPUT]\n    Name null\n@INCLUDE inputs/*.conf\n    Match b\n");
    PipelineConfig c = load_file(dir.file("main.conf"));
    REQUIRE(c.outputs.size() == 1);
    CHECK(c.outputs[0].get_string("match") == "b");
    CHECK(c.inputs.size() == 2);
  }
  SECTION("a missing file and a cycle are errors") {
    write_file(dir.file("main.conf"), "[SERVICE]\n    Flush 1\n@INCLUDE nope.conf\n");
    CHECK_THAT(error_of(dir.file("main.conf")), Catch::Contains("main.conf:3:1: included file not found"));
    write_file(dir.file("main.conf"), "@INCLUDE main.conf\n");
    CHECK_THAT(error_of(dir.file("main.conf")), Catch::Contains("include cycle"));
  }
}

TEST_CASE("malformed classic lines are refused at their line", "[config][classic]") {
  auto error = [](const std::string& text) {
    try {
      translate_classic(text, "f.conf", ".");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(error("Name tail\n"), Catch::Contains("f.conf:1:1: 'name' is outside any section"));
  CHECK_THAT(error("[INPUTS]\n"), Catch::Contains("f.conf:1:1: unknown section [INPUTS]; did you mean [INPUT]?"));
  CHECK_THAT(error("[INPUT\n"), Catch::Contains("must end with ']'"));
  CHECK_THAT(error("[PLUGINS]\n    Path /x.so\n"), Catch::Contains("can't load external plugins"));
  CHECK_THAT(error("[INPUT]\n    Name\n"), Catch::Contains("f.conf:2:5: INPUT section: key 'name' has no value"));
  CHECK_THAT(error("@SET novalue\n"), Catch::Contains("@SET expects NAME=VALUE"));
  CHECK_THAT(error("@IMPORT x\n"), Catch::Contains("unknown directive @IMPORT"));
  CHECK_THAT(error("[INPUT]\n    Na#me tail\n"), Catch::Contains("f.conf:2:5: 'na#me' is not a key"));
  CHECK_THAT(error("[INPUT]\n    Name ta\x01il\n"), Catch::Contains("f.conf:2:5: the line holds a control character (byte 0x01)"));
  CHECK_THAT(error("@SET A B=c\n"), Catch::Contains("@SET: 'A B' is not a variable name"));
  CHECK_THAT(error("[MULTILINE_PARSER]\n    Name m\n    Rule \"start\" /x/\n"),
             Catch::Contains("rule expects three quoted values"));
}

TEST_CASE("classic format: the --convert YAML reads back as the same text", "[config][classic]") {
  // Values YAML would read differently unquoted: a regex with quotes and
  // brackets, a leading '*', '%', ': ', a '#' after a space, 'null'.
  TranslatedConfig t = translate_classic(
      "[PARSER]\n"
      "    Name   apache\n"
      "    Format regex\n"
      "    Regex  ^(?<host>[^ ]*) \\[(?<time>[^\\]]*)\\] \"(?<method>\\S+)\"$\n"
      "    Time_Format %d/%b/%Y:%H:%M:%S %z\n"
      "[MULTILINE_PARSER]\n"
      "    name  multiline-java\n"
      "    type  regex\n"
      "    rule  \"start_state\"  \"/^[a-z]+ \\d+: x #y/\"  \"cont\"\n"
      "    rule  \"cont\"  \"/^\\s+at .*/\"  \"cont\"\n",
      "p.conf", ".");
  YAML::Node root = YAML::Load(t.yaml);
  CHECK(root["parsers"][0]["regex"].Scalar() == "^(?<host>[^ ]*) \\[(?<time>[^\\]]*)\\] \"(?<method>\\S+)\"$");
  CHECK(root["parsers"][0]["time_format"].Scalar() == "%d/%b/%Y:%H:%M:%S %z");
  YAML::Node rules = root["multiline_parsers"][0]["rules"];
  REQUIRE(rules.size() == 2);
  CHECK(rules[0]["state"].Scalar() == "start_state");
  CHECK(rules[0]["regex"].Scalar() == "/^[a-z]+ \\d+: x #y/");
  CHECK(rules[0]["next_state"].Scalar() == "cont");
  CHECK(rules[1]["regex"].Scalar() == "/^\\s+at .*/");
  SECTION("a quoted rule word with spaces around it keeps them (and a '%' after them stays text)") {
    TranslatedConfig spaced = translate_classic(
        "[MULTILINE_PARSER]\n    name m\n    type regex\n    rule \" %get_state \" \"/^a/\" \"cont\"\n", "s.conf", ".");
    CHECK(YAML::Load(spaced.yaml)["multiline_parsers"][0]["rules"][0]["state"].Scalar() == " %get_state ");
  }
  // Every YAML line knows its classic line.
  REQUIRE(t.origin.size() == static_cast<size_t>(std::count(t.yaml.begin(), t.yaml.end(), '\n')));
  CHECK(t.origin.front().file == "p.conf");
  CHECK(t.origin.back().line == 10);
}

TEST_CASE("service.parsers_file: YAML and classic parsers files", "[config][classic]") {
  TempDir dir;
  std::filesystem::create_directories(dir.file("etc"));
  write_file(dir.file("etc/parsers.conf"),
             "[PARSER]\n    Name   myjson\n    Format json\n    Time_Key ts\n\n"
             "[PARSER]\n    Name   kv\n    Format logfmt\n");
  write_file(dir.file("etc/more.yaml"), "parsers:\n  - name: plain_re\n    format: regex\n    regex: '^(?<msg>.*)$'\n");
  write_file(dir.file("sluice.yaml"),
             "service:\n  parsers_file:\n    - etc/parsers.conf\n    - etc/more.yaml\n"
             "pipeline:\n  inputs:\n    - name: dummy\n  outputs:\n    - name: null\n      match: '*'\n");
  PipelineConfig cfg = load_file(dir.file("sluice.yaml"));
  REQUIRE(cfg.parsers.size() == 3);
  CHECK(cfg.parsers[0].get_string("name") == "myjson");
  CHECK(cfg.parsers[0].get_string("time_key") == "ts");
  CHECK(cfg.parsers[1].get_string("format") == "logfmt");
  CHECK(cfg.parsers[2].get_string("name") == "plain_re");

  SECTION("errors point into the parsers file") {
    write_file(dir.file("etc/parsers.conf"), "[PARSER]\n    Name   x\n    Format csvx\n");
    CHECK_THAT(error_of(dir.file("sluice.yaml")), Catch::Contains("etc/parsers.conf:3:5: parser 'x'"));
  }
  SECTION("a parsers file holds only parsers") {
    write_file(dir.file("etc/more.yaml"), "pipeline:\n  inputs: []\n");
    CHECK_THAT(error_of(dir.file("sluice.yaml")), Catch::Contains("holds only 'parsers'"));
  }
  SECTION("a missing parsers file names the key's line") {
    write_file(dir.file("sluice.yaml"), "service:\n  parsers_file: nope.conf\n");
    CHECK_THAT(error_of(dir.file("sluice.yaml")), Catch::Contains("sluice.yaml:2:3: parsers_file not found"));
  }
}

TEST_CASE("Fluent Bit's common keys: its names for sluice's keys, and keys accepted with a note", "[config][classic]") {
  TempDir dir;
  write_file(dir.file("fb.conf"),
             "[INPUT]\n    Name dummy\n    Threaded on\n    Mem_Buf_Limit 5M\n"
             "[OUTPUT]\n    Name es\n    Match *\n    net.connect_timeout 3s\n    tls.verify_hostname on\n");
  PipelineConfig cfg = load_file(dir.file("fb.conf"));
  // net.connect_timeout is the es output's connect_timeout.
  CHECK(cfg.outputs[0].get_duration("connect_timeout") == std::chrono::seconds(3));
  REQUIRE(cfg.warnings.size() == 3);
  CHECK_THAT(cfg.warnings[0], Catch::Contains("fb.conf:3:5: input dummy") && Catch::Contains("'threaded' is accepted"));
  CHECK_THAT(cfg.warnings[1], Catch::Contains("'mem_buf_limit' is accepted"));
  CHECK_THAT(cfg.warnings[2], Catch::Contains("'tls.verify_hostname' is accepted") &&
                                   Catch::Contains("always checks that the certificate names the host"));
  SECTION("both names of one key is an error") {
    write_file(dir.file("fb.conf"), "[OUTPUT]\n    Name es\n    connect_timeout 2s\n    net.connect_timeout 3s\n");
    CHECK_THAT(error_of(dir.file("fb.conf")),
               Catch::Contains("fb.conf:4:5") &&
                   Catch::Contains("key 'connect_timeout' is set twice (as 'net.connect_timeout', Fluent Bit's name"));
  }
  SECTION("an alias exists only where the plugin has the key") {
    write_file(dir.file("fb.conf"), "[OUTPUT]\n    Name stdout\n    net.connect_timeout 3s\n");
    CHECK_THAT(error_of(dir.file("fb.conf")), Catch::Contains("unknown key 'net.connect_timeout'"));
  }
}

}  // namespace SLUICE_UNITY_ID
