// Every example in conf/ must pass `sluice --dry-run`, so the examples can't rot.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <set>

#include "tests/support/process.hpp"

using namespace sluice::test;
using namespace std::chrono_literals;

TEST_CASE("every conf/ example validates with --dry-run, and the README names each one", "[e2e][conf]") {
  const std::string root = SLUICE_SOURCE_DIR;
  std::set<std::string> on_disk;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root + "/conf")) {
    if (entry.path().extension() != ".yaml") continue;
    on_disk.insert("conf/" + std::filesystem::relative(entry.path(), root + "/conf").string());
    Process p({SLUICE_BINARY, "--dry-run", "-c", entry.path().string()});
    auto status = p.wait(30s);
    INFO(entry.path() << "\n" << p.out() << p.err());
    CHECK(status == 0);
    CHECK(p.out().find("configuration OK") != std::string::npos);
  }
  // The README's list of examples and the folder hold the same files.
  std::set<std::string> in_readme;
  static const std::regex example_re("conf/[A-Za-z0-9_/.-]+\\.yaml");
  std::string readme = read_file(root + "/README.md");
  for (auto it = std::sregex_iterator(readme.begin(), readme.end(), example_re); it != std::sregex_iterator(); ++it)
    in_readme.insert(it->str());
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
    Process p({SLUICE_BINARY, "--dry-run", "-c", dir.file("empty.yaml")});
    CHECK(p.wait(10s) == 2);
    CHECK(p.err().find("pipeline has no inputs") != std::string::npos);
  }
  {
    Process p({SLUICE_BINARY});
    CHECK(p.wait(10s) == 2);
    CHECK(p.err().find("no configuration: use -c FILE") != std::string::npos);
  }
  {
    // The last -c wins (the container image's ENTRYPOINT names a default file).
    Process p({SLUICE_BINARY, "--dry-run", "-c", dir.file("bad.yaml"), "-c", dir.file("empty.yaml")});
    CHECK(p.wait(10s) == 2);
    CHECK(p.err().find("pipeline has no inputs") != std::string::npos);
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
