// End to end with the real binary: tail → parser json → lua trace_aggregate
// → file. Completed requests come out as they complete; SIGTERM hands over
// the open ones marked incomplete (reason shutdown), and their tail offsets
// are committed only then, so a restart repeats nothing.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>

#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

std::string config(const TempDir& dir) {
  return "service:\n  flush: 50ms\n  grace: 5s\n  log_level: info\n"
         "pipeline:\n  inputs:\n    - name: tail\n      tag: app\n      path: " + dir.file("app.log") +
         "\n      db: " + dir.file("tail.db") + "\n      read_from_head: on\n"
         "  filters:\n    - name: parser\n      match: app\n      key_name: log\n      parser: json\n"
         "    - name: lua\n      match: app\n      script: " + std::string(SLUICE_SOURCE_DIR) +
         "/lua/trace_aggregate.lua\n      call: aggregate\n      timer_call: aggregate_timer\n"
         "      flush_call: aggregate_flush\n      param: stale_timeout 1h\n"
         "  outputs:\n    - name: file\n      match: '*'\n      path: " + dir.path() + "\n      file: out.jsonl\n";
}

std::string line(const std::string& trace, const std::string& message, int status) {
  return R"({"traceId":")" + trace + R"(","message":")" + message + R"(","status":)" + std::to_string(status) + "}\n";
}

size_t count_with(const std::vector<std::string>& lines, const std::string& text) {
  return static_cast<size_t>(std::count_if(lines.begin(), lines.end(),
                                           [&](const std::string& l) { return l.find(text) != std::string::npos; }));
}

}  // namespace

TEST_CASE("SIGTERM flushes the requests the aggregator holds, marked incomplete", "[e2e][trace_aggregate]") {
  TempDir dir;
  write_file(dir.file("app.log"), line("a", "handler started", 0) + line("c", "handler started", 0) +
                                      line("a", "request completed", 200) + line("d", "handler started", 0) +
                                      line("b", "handler started", 0) + line("d", "db query", 0) +
                                      line("b", "handler finished", 201) + line("b", "request completed", 201));
  write_file(dir.file("sluice.yaml"), config(dir));
  {
    Process p({SLUICE_BINARY, "-c", dir.file("sluice.yaml")});
    REQUIRE(wait_until([&] { return read_lines(dir.file("out.jsonl")).size() >= 2; }, 20s));
    auto lines = read_lines(dir.file("out.jsonl"));
    CHECK(count_with(lines, R"("traceId":"a","message":"handler started\nrequest completed","status":200)") == 1);
    CHECK(count_with(lines, R"("message":"handler started\nhandler finished\nrequest completed","status":201)") == 1);
    p.signal(SIGTERM);
    auto status = p.wait(20s);
    INFO(p.err());
    REQUIRE(status == 0);
  }
  auto lines = read_lines(dir.file("out.jsonl"));
  INFO(read_file(dir.file("out.jsonl")));
  REQUIRE(lines.size() == 4);
  CHECK(count_with(lines, R"("aggregate_reason":"shutdown")") == 2);
  CHECK(count_with(lines, R"("message":"handler started","status":0,"traceId":"c")") == 1);
  CHECK(count_with(lines, R"("message":"handler started\ndb query","status":0,"traceId":"d")") == 1);

  // The flushed requests were delivered, so their offsets were committed:
  // a restart reads only what is new.
  append_file(dir.file("app.log"), line("e", "handler started", 0) + line("e", "request completed", 200));
  Process again({SLUICE_BINARY, "-c", dir.file("sluice.yaml")});
  REQUIRE(wait_until([&] { return count_with(read_lines(dir.file("out.jsonl")), R"("traceId":"e")") == 1; }, 20s));
  again.signal(SIGTERM);
  REQUIRE(again.wait(20s) == 0);
  lines = read_lines(dir.file("out.jsonl"));
  CHECK(lines.size() == 5);
  CHECK(count_with(lines, R"("traceId":"c")") == 1);
}

}  // namespace SLUICE_UNITY_ID
