// End to end: rewrite_tag's copies travel the whole pipeline under their new
// tag (filters before rewrite_tag run on them, rewrite_tag itself doesn't),
// reach the outputs matching that tag, and the originals go on or not as the
// rule says; two rewrite_tag filters sending records back and forth end, with
// an error, with every record delivered once. Real sluice, stdin in, the
// file output out.
#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

// sluice with in.txt as its stdin (tag `tag`), these filters after a JSON
// parser, and a file output per tag into dir; returns once it exited.
struct Run {
  Run(TempDir& dir, const std::string& input, const std::string& tag, const std::string& filters) {
    write_file(dir.file("in.txt"), input);
    write_file(dir.file("p.yaml"),
               "service:\n  log_level: warn\npipeline:\n  inputs:\n    - name: stdin\n      tag: " + tag +
                   "\n  filters:\n    - name: parser\n      match: '*'\n      key_name: log\n      parser: json\n" +
                   filters + "  outputs:\n    - name: file\n      match: '*'\n      path: " + dir.path() +
                   "\n      format: plain\n");
    write_file(dir.file("run.sh"), "#!/bin/sh\nexec \"$1\" -c \"$2\" < \"$3\"\n");
    process = std::make_unique<Process>(
        std::vector<std::string>{"/bin/sh", dir.file("run.sh"), SLUICE_BINARY, dir.file("p.yaml"), dir.file("in.txt")});
    status = process->wait(30s);
  }
  std::unique_ptr<Process> process;
  std::optional<int> status;
};

}  // namespace

TEST_CASE("rewrite_tag: copies start the pipeline over under their new tag", "[e2e][rewrite_tag]") {
  TempDir dir;
  Run run(dir, "{\"level\":\"info\",\"n\":1}\n{\"level\":\"error\",\"n\":2}\n{\"level\":\"info\",\"user\":\"admin\",\"n\":3}\n",
          "app",
          // Before rewrite_tag in the chain: only a copy, starting over, meets it.
          "    - name: modify\n      match: 'alert.*'\n      set: alerted yes\n"
          "    - name: rewrite_tag\n      match: '*'\n      rule:\n"
          "        - $level ^(error)$ alert.$1 false\n        - $user ^admin$ audit true\n"
          "    - name: modify\n      match: audit\n      set: audited yes\n");
  INFO(run.process->err());
  REQUIRE(run.status == 0);
  CHECK(read_lines(dir.file("app")) ==
        std::vector<std::string>{R"({"level":"info","n":1})", R"({"level":"info","user":"admin","n":3})"});
  CHECK(read_lines(dir.file("alert.error")) == std::vector<std::string>{R"({"level":"error","n":2,"alerted":"yes"})"});
  CHECK(read_lines(dir.file("audit")) ==
        std::vector<std::string>{R"({"level":"info","user":"admin","n":3,"audited":"yes"})"});
}

TEST_CASE("rewrite_tag: two filters sending records back and forth stop, every record delivered once",
          "[e2e][rewrite_tag]") {
  TempDir dir;
  std::string in;
  for (int i = 0; i < 10; ++i) in += "{\"n\":" + std::to_string(i) + "}\n";
  Run run(dir, in, "a",
          "    - name: rewrite_tag\n      match: a\n      rule: $n . b false\n"
          "    - name: rewrite_tag\n      match: b\n      rule: $n . a false\n");
  INFO(run.process->err());
  REQUIRE(run.status == 0);
  CHECK(run.process->err().find("re-emitted 8 times in a row") != std::string::npos);
  size_t delivered = 0;
  for (const char* tag : {"a", "b"})
    if (std::filesystem::exists(dir.file(tag))) delivered += read_lines(dir.file(tag)).size();
  CHECK(delivered == 10);
}

}  // namespace SLUICE_UNITY_ID
