// Fluent Bit's service keys with the real binary: log_file takes sluice's log
// off stderr into the file, and a file it can't write stops sluice at start.
#include <catch2/catch.hpp>

#include <signal.h>

#include <filesystem>

#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {
void write_pipeline(const TempDir& dir, const std::string& log_file) {
  write_file(dir.file("fb.conf"), "[SERVICE]\n    Flush 1\n    Log_Level info\n    Log_File " + log_file +
                                      "\n    HC_Period 60\n[INPUT]\n    Name dummy\n    Rate 5\n"
                                      "[OUTPUT]\n    Name null\n    Match *\n");
}
}  // namespace

TEST_CASE("service.log_file: sluice's log goes to the file, appended, not to stderr", "[e2e][service]") {
  TempDir dir;
  write_file(dir.file("sluice.log"), "an earlier line\n");
  write_pipeline(dir, dir.file("sluice.log"));
  Process p({SLUICE_BINARY, "-c", dir.file("fb.conf")});
  bool started = wait_until(
      [&] { return read_file(dir.file("sluice.log")).find("started") != std::string::npos || !p.running(); }, 10s);
  INFO(p.err());
  INFO(read_file(dir.file("sluice.log")));
  CHECK(started);
  p.signal(SIGTERM);
  CHECK(p.wait(15s) == 0);
  std::string log = read_file(dir.file("sluice.log"));
  CHECK(log.rfind("an earlier line\n", 0) == 0);
  CHECK_THAT(log, Catch::Contains("'hc_period' is accepted for Fluent Bit"));
  CHECK(p.err().empty());
}

TEST_CASE("service.log_file that can't be written stops sluice at start, naming the key", "[e2e][service]") {
  TempDir dir;
  write_file(dir.file("a-file"), "");  // in the way of the log's folder (root could write anywhere else)
  write_pipeline(dir, dir.file("a-file/sluice.log"));
  Process p({SLUICE_BINARY, "-c", dir.file("fb.conf")});
  CHECK(p.wait(15s) == 2);
  CHECK_THAT(p.err(), Catch::Contains("fb.conf:4:5") && Catch::Contains("log_file") &&
                          Catch::Contains("cannot write the log"));
}

}  // namespace SLUICE_UNITY_ID
