// End to end with the real binary: sluice tails a file that is written,
// rotated by rename and by copytruncate, while sluice is stopped with
// SIGTERM and started again, or killed with SIGKILL; the output file must
// hold every line exactly once (SIGKILL: at least once), in order.
#include <catch2/catch.hpp>

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "tests/e2e/es_standin.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

std::string config(const TempDir& dir) {
  return "service:\n  flush: 50ms\n  grace: 5s\n  log_level: info\n"
         "pipeline:\n  inputs:\n    - name: tail\n      tag: app\n      path: " + dir.file("app.log") +
         "\n      db: " + dir.file("tail.db") + "\n      read_from_head: on\n      refresh_interval: 1s\n"
         "      rotate_wait: 1s\n"
         "  outputs:\n    - name: file\n      match: '*'\n      path: " + dir.path() + "\n      file: out.jsonl\n";
}

// The line numbers in the output, in output order.
std::vector<int> delivered(const TempDir& dir) {
  static const std::regex re("\"log\":\"line-(\\d+) ");
  std::vector<int> ns;
  for (const auto& line : read_lines(dir.file("out.jsonl"))) {
    std::smatch m;
    if (std::regex_search(line, m, re)) ns.push_back(std::stoi(m[1]));
  }
  return ns;
}

void write_lines(std::ofstream& out, int from, int to) {
  for (int i = from; i < to; ++i) out << "line-" << i << " some payload to make the line longer than a few bytes\n";
  out.flush();
}

std::unique_ptr<Process> start(const TempDir& dir) {
  write_file(dir.file("sluice.yaml"), config(dir));
  return std::make_unique<Process>(std::vector<std::string>{SLUICE_BINARY, "-c", dir.file("sluice.yaml")});
}

bool has_count(const TempDir& dir, size_t n) {
  return wait_until([&] { return delivered(dir).size() >= n; }, 20s);
}

void stop(std::unique_ptr<Process>& p) {
  p->signal(SIGTERM);
  auto status = p->wait(20s);
  INFO(p->err());
  REQUIRE(status == 0);
}

}  // namespace

TEST_CASE("rename and copytruncate rotations and a restart lose and repeat nothing", "[e2e][tail]") {
  TempDir dir;
  std::ofstream log(dir.file("app.log"));
  write_lines(log, 0, 500);
  auto sluice = start(dir);
  REQUIRE(has_count(dir, 500));

  // Rotation by rename: the application keeps writing to the old file for a
  // moment before it reopens the path.
  std::filesystem::rename(dir.file("app.log"), dir.file("app.log.1"));
  write_lines(log, 500, 700);
  log.close();
  log.open(dir.file("app.log"));
  write_lines(log, 700, 1000);
  REQUIRE(has_count(dir, 1000));

  // Rotation by copytruncate (nothing written between copy and truncate, as
  // logrotate can't promise more than that).
  std::filesystem::copy_file(dir.file("app.log"), dir.file("app.log.2"));
  log.close();
  std::filesystem::resize_file(dir.file("app.log"), 0);
  log.open(dir.file("app.log"), std::ios::app);
  write_lines(log, 1000, 1100);
  REQUIRE(has_count(dir, 1100));

  // Stop with SIGTERM, write while stopped, start again: resume from the db.
  stop(sluice);
  write_lines(log, 1100, 1300);
  sluice = start(dir);
  write_lines(log, 1300, 1500);
  REQUIRE(has_count(dir, 1500));
  stop(sluice);

  std::vector<int> expected(1500);
  for (int i = 0; i < 1500; ++i) expected[static_cast<size_t>(i)] = i;
  CHECK(delivered(dir) == expected);
}

// The offset committed for path in the tail db (-1 if none yet).
long committed_offset(const TempDir& dir, const std::string& path) {
  for (const auto& line : read_lines(dir.file("tail.db"))) {
    if (line.empty() || line[0] == '#' || line.find(path) == std::string::npos) continue;
    std::istringstream in(line);
    long dev = 0, ino = 0, offset = -1;
    in >> dev >> ino >> offset;
    return offset;
  }
  return -1;
}

TEST_CASE("kill -9 while records are in flight loses nothing and repeats exactly those", "[e2e][tail]") {
  // Two outputs: the file (what the test reads) and the Elasticsearch
  // stand-in, which the test makes hold one answer. An offset is committed
  // only when both outputs delivered, so while the stand-in holds its answer
  // the lines after the last commit are delivered to the file but in flight.
  TempDir dir;
  EsStandIn es(dir);
  std::ofstream log(dir.file("app.log"));
  auto config_with_es = [&] {
    return config(dir) + "    - name: es\n      match: '*'\n      port: " + std::to_string(es.port()) + "\n";
  };
  auto start_with_es = [&] {
    write_file(dir.file("sluice.yaml"), config_with_es());
    return std::make_unique<Process>(std::vector<std::string>{SLUICE_BINARY, "-c", dir.file("sluice.yaml")});
  };
  auto sluice = start_with_es();
  write_lines(log, 0, 2000);
  // Everything so far delivered to both outputs and its offset committed...
  REQUIRE(has_count(dir, 2000));
  long committed = static_cast<long>(std::filesystem::file_size(dir.file("app.log")));
  REQUIRE(wait_until([&] { return committed_offset(dir, dir.file("app.log")) == committed; }, 10s));
  REQUIRE(wait_until([&] { return es.stored().size() == 2000; }, 10s));
  // ...then the stand-in holds its next answer for a minute, and the next
  // lines reach the file output.
  write_file(dir.file("control.json"), R"({"faults":[{"type":"slow","delay":60}]})");
  write_lines(log, 2000, 3000);
  REQUIRE(has_count(dir, 3000));
  REQUIRE(wait_until([&] { return es.requests().back().find(R"("fault":"slow")") != std::string::npos; }, 10s));
  // The kill lands while lines 2000-2999 are in flight: delivered to the
  // file, not committed.
  REQUIRE(committed_offset(dir, dir.file("app.log")) == committed);
  sluice->signal(SIGKILL);
  REQUIRE(sluice->wait(10s).has_value());
  write_file(dir.file("control.json"), R"({"faults":[]})");
  write_lines(log, 3000, 4000);
  sluice = start_with_es();
  REQUIRE(has_count(dir, 5000));
  stop(sluice);

  std::map<int, int> seen;
  for (int n : delivered(dir)) seen[n]++;
  std::map<int, int> expected;
  for (int i = 0; i < 4000; ++i) expected[i] = (i >= 2000 && i < 3000) ? 2 : 1;
  CHECK(seen == expected);
}

}  // namespace SLUICE_UNITY_ID
