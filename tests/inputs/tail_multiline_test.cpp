// The tail input with multiline parsers: a trace becomes one record, a line
// held in an open record keeps its offset uncommitted (a restart reads it
// again), the flush timeout and shutdown send an open record on, and CRI
// files with interleaved streams are joined per stream.
#include <catch2/catch.hpp>

#include "inputs/tail/tail_db.hpp"
#include "tests/inputs/tail_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::tail_test;
using namespace std::chrono_literals;

namespace {

const std::string kTrace =
    "java.lang.IllegalStateException: cannot load configuration\n"
    "\tat com.example.App.load(App.java:10)\n"
    "Caused by: java.io.FileNotFoundException: app.yml\n"
    "\tat java.base/java.io.FileInputStream.open0(Native Method)\n"
    "\t... 12 more\n";

std::string joined_trace() { return kTrace.substr(0, kTrace.size() - 1); }

std::string ml_config(const TempDir& dir, const std::string& extra) {
  return "path: " + dir.path() + "/*.log\ndb: " + (dir / "state/tail.db") +
         "\nread_from_head: on\npoll_interval: 20ms\nrotate_wait: 100ms\n" + extra;
}

int64_t saved_offset(const TempDir& dir, const std::string& path) {
  tail::DbEntries entries;
  std::string error;
  REQUIRE(tail::TailDb(dir / "state/tail.db").load(entries, error));
  for (const auto& [key, e] : entries)
    if (e.path == path) return static_cast<int64_t>(e.offset);
  return -1;
}

// A parser set with a quick java-like parser (flush_timeout 300 ms).
const ParserSet& quick_parsers() {
  static const ParserSet set = [] {
    auto cfg = config::load_string(R"(
multiline_parsers:
  - name: quick
    type: regex
    flush_timeout: 300
    rules:
      - {state: start_state, regex: 'Exception', next_state: frames}
      - {state: frames, regex: '^\s+at ', next_state: frames}
)");
    return ParserSet::build(cfg.parsers, cfg.multiline_parsers);
  }();
  return set;
}

}  // namespace

TEST_CASE("tail joins a stack trace into one record", "[tail][multiline]") {
  TempDir dir;
  TestContext ctx;
  write(dir / "app.log", "starting\n" + kTrace + "stopped\n");
  auto in = make_tail(ml_config(dir, "multiline.parser: java, python\noffset_key: offset\n"));
  in->start(ctx);
  REQUIRE(wait_records(ctx, 3));
  CHECK(ctx.values() == std::vector<std::string>{"starting", joined_trace(), "stopped"});
  CHECK(ctx.json()[1].find("\"offset\":9") != std::string::npos);  // the trace's first line
  CHECK(ctx.metric("sluice_input_multiline_joined_total") == 1);
  in->stop();
}

TEST_CASE("tail: a line held in an open multiline record is not committed", "[tail][multiline][tail_db]") {
  TempDir dir;
  const std::string log = dir / "app.log";
  write(log, "starting\n" + kTrace);
  {
    TestContext ctx;
    auto in = make_tail(ml_config(dir, "multiline.parser: java\n"));
    in->start(ctx);
    REQUIRE(wait_records(ctx, 1));
    ctx.release();
    ctx.run_for(100ms);
    CHECK(ctx.values() == std::vector<std::string>{});  // released; the trace is still open
    // A crash now (no stop(), no flush): the offsets file says where to resume.
    REQUIRE(ctx.run_until([&] { return saved_offset(dir, log) == 9; }, 2s));
  }
  // Restarted: the trace is read again from its first line and completed.
  append(log, "stopped\n");
  TestContext ctx;
  auto in = make_tail(ml_config(dir, "multiline.parser: java\n"));
  in->start(ctx);
  REQUIRE(wait_records(ctx, 2));
  CHECK(ctx.values() == std::vector<std::string>{joined_trace(), "stopped"});
  ctx.release();
  REQUIRE(ctx.run_until([&] { return saved_offset(dir, log) == static_cast<int64_t>(9 + kTrace.size() + 8); }, 2s));
  in->stop();
  in->finish();
}

TEST_CASE("tail: at shutdown an open multiline record is sent on, then committed", "[tail][multiline][tail_db]") {
  TempDir dir;
  const std::string log = dir / "app.log";
  write(log, kTrace);
  TestContext ctx;
  auto in = make_tail(ml_config(dir, "multiline.parser: java\n"));
  in->start(ctx);
  ctx.run_for(200ms);
  CHECK(ctx.records() == 0);
  in->stop();
  CHECK(ctx.values() == std::vector<std::string>{joined_trace()});
  ctx.release();
  ctx.run_for(20ms);
  in->finish();
  CHECK(saved_offset(dir, log) == static_cast<int64_t>(kTrace.size()));
}

TEST_CASE("tail: an open multiline record is sent on after its flush timeout", "[tail][multiline][timeout]") {
  TempDir dir;
  TestContext ctx;
  write(dir / "app.log", "Exception: boom\n\tat a.b(C.java:1)\n");
  // No db and no polling: the multiline timer is the only one that may wake the input.
  auto in = make_tail_input(tail_config("path: " + dir.path() + "/*.log\nread_from_head: on\nrefresh_interval: 1h\n"
                                        "multiline.parser: quick\n"),
                            BuildContext{&quick_parsers(), dir.path()});
  auto start = std::chrono::steady_clock::now();
  in->start(ctx);
  REQUIRE(wait_records(ctx, 1, 5s));
  CHECK(std::chrono::steady_clock::now() - start >= 300ms);
  CHECK(ctx.values() == std::vector<std::string>{"Exception: boom\n\tat a.b(C.java:1)"});
  // A continuation after the timeout starts nothing: it is a line of its own.
  append(dir / "app.log", "\tat a.b(C.java:2)\nlater\n");
  REQUIRE(wait_records(ctx, 3));
  CHECK(ctx.values().back() == "later");
  // Nothing open: no timer keeps waking the input.
  ctx.release();
  ctx.run_for(50ms);
  CHECK(ctx.handlers_run_for(400ms) == 0);
  in->stop();
}

TEST_CASE("tail: CRI files with interleaved streams join per stream, traces between them",
          "[tail][multiline][cri]") {
  TempDir dir;
  TestContext ctx;
  write(dir / "c.log",
        "2026-11-21T10:00:00.000000001Z stdout P GET /a \n"
        "2026-11-21T10:00:00.000000002Z stderr P warn: slow \n"
        "2026-11-21T10:00:00.000000003Z stdout F 200\n"
        "2026-11-21T10:00:00.000000004Z stderr P disk \n"
        "2026-11-21T10:00:00.000000005Z stdout F GET /b 404\n"
        "2026-11-21T10:00:00.000000006Z stderr F (92%)\n");
  auto in = make_tail(ml_config(dir, "multiline.parser: cri, java\n"));
  in->start(ctx);
  REQUIRE(wait_records(ctx, 3));
  CHECK(ctx.values() == std::vector<std::string>{"GET /a 200", "GET /b 404", "warn: slow disk (92%)"});
  CHECK(ctx.values("stream") == std::vector<std::string>{"stdout", "stdout", "stderr"});
  CHECK(ctx.values("time") == std::vector<std::string>{"2026-11-21T10:00:00.000000001Z",
                                                       "2026-11-21T10:00:00.000000005Z",
                                                       "2026-11-21T10:00:00.000000002Z"});
  in->stop();
}

}  // namespace SLUICE_UNITY_ID
