// End to end with the real binary: the tail input's container formats and
// per-file tags, read with exit_on_eof so sluice exits by itself.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include "tests/support/process.hpp"

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

// Runs sluice on the pipeline until it exits; returns its exit status.
int run(const TempDir& dir, const std::string& yaml) {
  write_file(dir.file("p.yaml"), yaml);
  Process p({SLUICE_BINARY, "-c", dir.file("p.yaml")});
  auto status = p.wait(30s);
  INFO(p.err());
  REQUIRE(status.has_value());
  return *status;
}

std::string pipeline(const TempDir& dir, const std::string& input_keys) {
  return "service:\n  log_level: warn\npipeline:\n  inputs:\n    - name: tail\n      read_from_head: on\n"
         "      exit_on_eof: on\n" + input_keys +
         "  outputs:\n    - name: file\n      path: " + dir.file("out") + "\n      mkdir: on\n      format: plain\n";
}

}  // namespace

TEST_CASE("tail decodes CRI files with partial lines, tags carry the file path", "[e2e][tail]") {
  TempDir dir;
  std::filesystem::create_directories(dir.file("pods"));
  write_file(dir.file("pods/web.log"),
             "2026-11-21T10:00:00.000000001Z stdout P first half, \n"
             "2026-11-21T10:00:00.1Z stderr F an error\n"
             "2026-11-21T10:00:00.2Z stdout F second half\n");
  write_file(dir.file("pods/db.log"), "2026-11-21T10:00:01Z stdout F ready\n");
  REQUIRE(run(dir, pipeline(dir, "      path: " + dir.file("pods/*.log") +
                                     "\n      tag: kube.*\n      multiline.parser: cri\n")) == 0);
  // The file output names each file after the tag: kube. + the path with '/' → '.'.
  std::string prefix = "kube" + dir.file("pods/");
  std::replace(prefix.begin(), prefix.end(), '/', '.');
  auto web = read_lines(dir.file("out/" + prefix + "web.log"));
  CHECK(web == std::vector<std::string>{
                   R"({"time":"2026-11-21T10:00:00.1Z","stream":"stderr","_p":"F","log":"an error"})",
                   R"({"time":"2026-11-21T10:00:00.000000001Z","stream":"stdout","_p":"F",)"
                   R"("log":"first half, second half"})"});
  auto db = read_lines(dir.file("out/" + prefix + "db.log"));
  CHECK(db == std::vector<std::string>{R"({"time":"2026-11-21T10:00:01Z","stream":"stdout","_p":"F","log":"ready"})"});
}

TEST_CASE("tail decodes Docker json-file lines, joining partial ones", "[e2e][tail]") {
  TempDir dir;
  write_file(dir.file("c.log"),
             R"({"log":"multi ","stream":"stdout","time":"2026-11-21T10:00:00Z"})" "\n"
             R"({"log":"part\n","stream":"stdout","time":"2026-11-21T10:00:01Z"})" "\n"
             R"({"log":"quote \" and tab \t\n","stream":"stderr","time":"2026-11-21T10:00:02Z"})" "\n"
             "not docker\n");
  REQUIRE(run(dir, pipeline(dir, "      path: " + dir.file("c.log") +
                                     "\n      tag: app\n      multiline.parser: docker\n      path_key: file\n")) == 0);
  auto out = read_lines(dir.file("out/app"));
  REQUIRE(out.size() == 3);
  CHECK(out[0] == R"({"log":"multi part","stream":"stdout","time":"2026-11-21T10:00:00Z","file":")" +
                      dir.file("c.log") + "\"}");
  CHECK(out[1].find(R"("log":"quote \" and tab \t")") != std::string::npos);
  CHECK(out[2].find(R"({"log":"not docker")") == 0);
}
