// End to end: stdin piping, shutdown on SIGTERM/SIGINT with a drain, a
// second signal exiting at once, and the memory budget pausing a file input.
#include <catch2/catch.hpp>

#include <signal.h>

#include "tests/support/process.hpp"

using namespace sluice::test;
using namespace std::chrono_literals;

TEST_CASE("app | sluice: every stdin line is delivered and EOF exits 0", "[e2e][stdin]") {
  TempDir dir;
  std::string lines;
  for (int i = 0; i < 1000; ++i) lines += "{\"n\":" + std::to_string(i) + ",\"msg\":\"hello\"}\n";
  lines += "last line without newline";
  write_file(dir.file("in.txt"), lines);
  write_file(dir.file("p.yaml"),
             "service:\n  log_level: warn\npipeline:\n  inputs:\n    - name: stdin\n      tag: app\n"
             "  filters:\n    - name: parser\n      match: '*'\n      key_name: log\n      parser: json\n"
             "  outputs:\n    - name: stdout\n      format: json_lines\n      json_date_key: false\n");
  write_file(dir.file("run.sh"), "#!/bin/sh\nexec \"$1\" -c \"$2\" < \"$3\"\n");
  Process p({"/bin/sh", dir.file("run.sh"), SLUICE_BINARY, dir.file("p.yaml"), dir.file("in.txt")});
  auto status = p.wait(30s);
  INFO(p.err());
  REQUIRE(status == 0);
  std::string out = p.out();
  CHECK(out.find("{\"n\":0,\"msg\":\"hello\"}\n") == 0);
  CHECK(out.find("{\"n\":999,\"msg\":\"hello\"}\n") != std::string::npos);
  CHECK(out.find("{\"log\":\"last line without newline\"}\n") != std::string::npos);
  size_t count = 0;
  for (char c : out) count += c == '\n';
  CHECK(count == 1001);
}

TEST_CASE("SIGINT drains and exits 0, a second signal exits at once", "[e2e][signals]") {
  TempDir dir;
  write_file(dir.file("p.yaml"),
             "service:\n  grace: 30s\npipeline:\n  inputs:\n    - name: dummy\n      rate: 100\n"
             "  outputs:\n    - name: stdout\n      format: json_lines\n");
  {
    Process p({SLUICE_BINARY, "-c", dir.file("p.yaml")});
    REQUIRE(wait_until([&] { return p.out().size() > 100; }, 10s));
    p.signal(SIGINT);
    REQUIRE(p.wait(10s) == 0);
    CHECK(p.err().find("stopping") != std::string::npos);
    CHECK(p.err().find("output stdout.0:") != std::string::npos);
  }
  // An output that can't deliver holds the drain for `grace`; the second
  // signal cuts it short.
  write_file(dir.file("stuck.yaml"),
             "service:\n  grace: 60s\npipeline:\n  inputs:\n    - name: dummy\n      rate: 100\n"
             "  outputs:\n    - name: file\n      path: " + dir.file("missing/dir") + "\n      retry_base: 10s\n");
  {
    Process p({SLUICE_BINARY, "-c", dir.file("stuck.yaml")});
    REQUIRE(wait_until([&] { return p.err().find("will be retried") != std::string::npos; }, 10s));
    p.signal(SIGTERM);
    CHECK_FALSE(p.wait(500ms).has_value());
    p.signal(SIGTERM);
    CHECK(p.wait(5s) == 1);
    CHECK(p.err().find("second signal") != std::string::npos);
  }
}
