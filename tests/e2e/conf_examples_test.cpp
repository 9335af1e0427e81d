// Every example in conf/ must pass `sluice --dry-run`, so the examples can't rot.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <set>

#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

TEST_CASE("every conf/ example validates with --dry-run, and the README names each one", "[e2e][conf]") {
  const std::string root = SLUICE_SOURCE_DIR;
  std::set<std::string> on_disk;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root + "/conf")) {
    // Pipelines in YAML and in Fluent Bit's classic format; a parsers file
    // is checked through the pipeline that names it.
    std::string ext = entry.path().extension().string();
    if (ext != ".yaml" && ext != ".conf") continue;
    if (entry.path().filename().string().rfind("parsers", 0) == 0) continue;
    on_disk.insert("conf/" + std::filesystem::relative(entry.path(), root + "/conf").string());
    Process p({SLUICE_BINARY, "--dry-run", "-c", entry.path().string()});
    auto status = p.wait(30s);
    INFO(entry.path() << "\n" << p.out() << p.err());
    CHECK(status == 0);
    CHECK(p.out().find("configuration OK") != std::string::npos);
  }
  // The README's list of examples and the folder hold the same files.
  std::set<std::string> in_readme;
  static const std::regex example_re("conf/[A-Za-z0-9_/.-]+\\.(yaml|conf)");
  std::string readme = read_file(root + "/README.md");
  for (auto it = std::sregex_iterator(readme.begin(), readme.end(), example_re); it != std::sregex_iterator(); ++it)
    if (it->str().find("/parsers") == std::string::npos) in_readme.insert(it->str());
  CHECK(on_disk == in_readme);
  CHECK(on_disk.size() >= 10);
}

TEST_CASE("command line: version, plugin help, and clear configuration errors", "[e2e][cli]") {
  {
    Process p({SLUICE_BINARY, "--version"});
    CHECK(p.wait(10s) == 0);
    CHECK(p.out().rfind("sluice ", 0) == 0);
  }
  {
    Process p({SLUICE_BINARY, "--help-plugin", "tail"});
    CHECK(p.wait(10s) == 0);
    CHECK(p.out().find("read_from_head") != std::string::npos);
    CHECK(p.out().find("retry_limit") == std::string::npos);
  }
  {
    Process p({SLUICE_BINARY, "--help-plugin", "stdout"});
    CHECK(p.wait(10s) == 0);
    CHECK(p.out().find("retry_limit") != std::string::npos);
  }
  {
    Process p({SLUICE_BINARY, "--help-plugin", "nope"});
    CHECK(p.wait(10s) == 2);
    CHECK(p.err().find("no plugin named 'nope'") != std::string::npos);
  }
  TempDir dir;
  write_file(dir.file("bad.yaml"),
             "pipeline:\n  inputs:\n    - name: tail\n      path: /tmp/x.log\n      read_form_head: on\n"
             "  outputs:\n    - name: stdout\n");
  {
    Process p({SLUICE_BINARY, "--dry-run", "-c", dir.file("bad.yaml")});
    CHECK(p.wait(10s) == 2);
    CHECK(p.err() == "sluice: configuration error: " + dir.file("bad.yaml") +
                         ":5:7: unknown key 'read_form_head' in input tail (" + dir.file("bad.yaml") +
                         ":3); did you mean 'read_from_head'?\n");
  }
  write_file(dir.file("empty.yaml"), "pipeline:\n  outputs:\n    - name: stdout\n");
  {
    // As Fluent Bit: a file without inputs validates (the rest is checked) ...
    Process p({SLUICE_BINARY, "--dry-run", "-c", dir.file("empty.yaml")});
    CHECK(p.wait(10s) == 0);
    CHECK(p.out().find("configuration OK (0 inputs, 0 filters, 1 outputs)") != std::string::npos);
    CHECK(p.err().find("the pipeline has no inputs: it validates, but won't run") != std::string::npos);
  }
  {
    // ... but doesn't run.
    Process p({SLUICE_BINARY, "-c", dir.file("empty.yaml")});
    CHECK(p.wait(10s) == 2);
    CHECK(p.err().find("pipeline has no inputs") != std::string::npos);
  }
  write_file(dir.file("bad-output.yaml"), "pipeline:\n  outputs:\n    - name: stdout\n      formt: x\n");
  {
    Process p({SLUICE_BINARY, "--dry-run", "-c", dir.file("bad-output.yaml")});
    CHECK(p.wait(10s) == 2);
    CHECK(p.err().find("unknown key 'formt'") != std::string::npos);
  }
  {
    Process p({SLUICE_BINARY});
    CHECK(p.wait(10s) == 2);
    CHECK(p.err().find("no configuration: use -c FILE") != std::string::npos);
  }
  {
    // The last -c wins (the container image's ENTRYPOINT names a default file).
    Process p({SLUICE_BINARY, "--dry-run", "-c", dir.file("empty.yaml"), "-c", dir.file("bad.yaml")});
    CHECK(p.wait(10s) == 2);
    CHECK(p.err().find("unknown key 'read_form_head'") != std::string::npos);
  }
}

TEST_CASE("docs/plugins.md is the current output of --plugin-docs", "[e2e][docs]") {
  Process p({SLUICE_BINARY, "--plugin-docs"});
  REQUIRE(p.wait(10s) == 0);
  INFO("regenerate with: build/sluice --plugin-docs > docs/plugins.md");
  CHECK(p.out() == read_file(std::string(SLUICE_SOURCE_DIR) + "/docs/plugins.md"));
}

TEST_CASE("docs: every relative link in the README and docs/ leads to a file and heading that exist", "[e2e][docs]") {
  // Pages link each other and the generated key tables of docs/plugins.md:
  // a renamed plugin or heading must not leave a link going nowhere.
  Process p({"/usr/bin/env", "python3", std::string(SLUICE_SOURCE_DIR) + "/tests/tools/check_doc_links.py",
             SLUICE_SOURCE_DIR});
  auto status = p.wait(60s);
  INFO(p.out() << p.err());
  CHECK(status == 0);
  CHECK(p.out().find(" 0 broken links") != std::string::npos);
}

TEST_CASE("a classic fluent-bit.conf runs as it is, and as its --convert YAML", "[e2e][conf][classic]") {
  TempDir dir;
  write_file(dir.file("app.log"),
             "{\"ts\":\"2026-12-06T10:00:00.250Z\",\"level\":\"info\",\"msg\":\"one\"}\n"
             "{\"ts\":\"2026-12-06T10:00:01.500Z\",\"level\":\"warn\",\"msg\":\"two\"}\n");
  write_file(dir.file("parsers.conf"),
             "[PARSER]\n    Name        app_json\n    Format      json\n    Time_Key    ts\n"
             "    Time_Format %Y-%m-%dT%H:%M:%S.%L%z\n");
  write_file(dir.file("outputs.conf"), "[OUTPUT]\n    Name   file\n    Match  app\n    Path   " + dir.path() +
                                          "\n    File   ${OUT}\n    Format json_lines\n");
  auto main_conf = [&](const std::string& out) {
    return "@SET OUT=" + out + "\n[SERVICE]\n    Flush 200ms\n    Parsers_File parsers.conf\n"
           "[INPUT]\n    Name tail\n    Path " + dir.file("app.log") + "\n    Tag app\n"
           "    Read_From_Head On\n    Exit_On_EOF On\n"
           "[FILTER]\n    Name parser\n    Match app\n    Key_Name log\n    Parser app_json\n"
           "[FILTER]\n    Name modify\n    Match *\n    Add env prod\n    Add team web\n"
           "@INCLUDE outputs.conf\n";
  };
  write_file(dir.file("fluent-bit.conf"), main_conf("classic.out"));
  {
    Process p({SLUICE_BINARY, "-c", dir.file("fluent-bit.conf")});
    REQUIRE(p.wait(30s) == 0);
  }
  std::vector<std::string> classic = read_lines(dir.file("classic.out"));
  REQUIRE(classic.size() == 2);
  // Parsed by the parsers file's parser (its time became the event time), both Add lines applied.
  CHECK(classic[1].find("\"msg\":\"two\"") != std::string::npos);
  CHECK(classic[1].find("\"env\":\"prod\"") != std::string::npos);
  CHECK(classic[1].find("\"team\":\"web\"") != std::string::npos);
  INFO(classic[0]);
  CHECK(classic[0].find("1796551200.25") != std::string::npos);

  // --convert, then the YAML runs to the same records.
  write_file(dir.file("fluent-bit.conf"), main_conf("yaml.out"));
  Process convert({SLUICE_BINARY, "--convert", dir.file("fluent-bit.conf")});
  REQUIRE(convert.wait(10s) == 0);
  write_file(dir.file("converted.yaml"), convert.out());
  {
    Process p({SLUICE_BINARY, "-c", dir.file("converted.yaml")});
    INFO(convert.out() << p.err());
    REQUIRE(p.wait(30s) == 0);
  }
  CHECK(read_lines(dir.file("yaml.out")) == classic);
}

}  // namespace SLUICE_UNITY_ID
