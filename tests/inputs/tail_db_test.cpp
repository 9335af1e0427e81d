// The tail input's offsets file: the format round trip, and resuming after
// a restart with only acknowledged offsets committed.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdio>

#include "inputs/tail/tail_db.hpp"
#include "tests/inputs/tail_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::tail_test;
using namespace std::chrono_literals;

namespace {

std::string db_config(const TempDir& dir, const std::string& extra = "") {
  return "path: " + dir.path() + "/*.log\ndb: " + (dir / "state/tail.db") +
         "\nread_from_head: on\npoll_interval: 20ms\nrotate_wait: 100ms\n" + extra;
}

// The committed offset of path in the offsets file (-1 if absent).
int64_t saved_offset(const TempDir& dir, const std::string& path) {
  tail::DbEntries entries;
  std::string error;
  REQUIRE(tail::TailDb(dir / "state/tail.db").load(entries, error));
  for (const auto& [key, e] : entries)
    if (e.path == path) return static_cast<int64_t>(e.offset);
  return -1;
}

// One run of sluice: start, wait for n records, act, then stop and finish.
struct Run {
  TestContext ctx;
  std::unique_ptr<Input> in;
  Run(const std::string& yaml, size_t n) : in(make_tail(yaml)) {
    in->start(ctx);
    REQUIRE(wait_records(ctx, n));
    ctx.run_for(30ms);
  }
  void shutdown() {
    in->stop();
    ctx.run_for(10ms);
    in->finish();
  }
};

}  // namespace

TEST_CASE("tail db file round trip", "[tail][tail_db]") {
  TempDir dir;
  tail::TailDb db(dir / "t.db");
  tail::DbEntries in{{{1, 2}, {10, 20, "/var/log/a b.log"}}, {{1, 3}, {0, 0, "/odd%name\nx"}}};
  std::string error;
  REQUIRE(db.save(in, error));
  tail::DbEntries out;
  REQUIRE(db.load(out, error));
  REQUIRE(out.size() == 2);
  CHECK(out[{1, 2}].offset == 10);
  CHECK(out[{1, 2}].size == 20);
  CHECK(out[{1, 2}].path == "/var/log/a b.log");
  CHECK(out[{1, 3}].path == "/odd%name\nx");
  CHECK_FALSE(std::filesystem::exists(dir / "t.db.tmp"));
  tail::DbEntries none;
  CHECK(tail::TailDb(dir / "missing.db").load(none, error));
  CHECK(none.empty());
}

TEST_CASE("tail resumes from the committed offset after a restart", "[tail][tail_db]") {
  TempDir dir;
  const std::string log = dir / "app.log";
  write(log, "1\n2\n");
  {
    Run r(db_config(dir), 2);
    r.ctx.release();
    r.shutdown();
  }
  CHECK(saved_offset(dir, log) == 4);
  append(log, "3\n");
  Run r2(db_config(dir), 1);
  CHECK(r2.ctx.values() == lines({"3"}));
  r2.shutdown();
}

TEST_CASE("tail commits only what was acknowledged as delivered", "[tail][tail_db]") {
  TempDir dir;
  const std::string log = dir / "app.log";
  write(log, "1\n");
  SECTION("unacknowledged at shutdown: read again") {
    {
      Run r(db_config(dir), 1);
      r.shutdown();  // the chunk is still held: its acknowledgement comes after the input is gone
    }
    CHECK(saved_offset(dir, log) == 0);
  }
  SECTION("acknowledged as not delivered: read again") {
    {
      Run r(db_config(dir), 1);
      r.ctx.fail();
      r.shutdown();
    }
    CHECK(saved_offset(dir, log) == 0);
  }
  append(log, "2\n");
  Run r2(db_config(dir), 2);
  CHECK(r2.ctx.values() == lines({"1", "2"}));
  r2.shutdown();
}

TEST_CASE("tail commits the contiguous prefix of out-of-order acknowledgements", "[tail][tail_db]") {
  TempDir dir;
  const std::string log = dir / "app.log";
  const std::string other = dir / "other.log";
  write(log, "first\n");
  write(other, "");
  Run r(db_config(dir), 1);
  append(log, "second\n");
  REQUIRE(wait_records(r.ctx, 2));
  append(other, "x\n");
  REQUIRE(wait_records(r.ctx, 3));
  REQUIRE(r.ctx.chunks.size() == 3);
  // The second chunk of app.log is delivered first, then other.log's: the
  // offsets file written for other.log's commit is written after app.log's
  // acknowledgement was handled (one thread, in order), so it shows where
  // app.log stands then, without waiting for something not to happen.
  r.ctx.chunks.erase(r.ctx.chunks.begin() + 1);
  r.ctx.chunks.pop_back();
  REQUIRE(r.ctx.run_until([&] { return saved_offset(dir, other) == 2; }));
  CHECK(saved_offset(dir, log) == 0);
  r.ctx.chunks.clear();
  REQUIRE(r.ctx.run_until([&] { return saved_offset(dir, log) == 13; }));
  r.shutdown();
}

TEST_CASE("tail db: a file truncated while sluice was stopped is read from 0", "[tail][tail_db]") {
  TempDir dir;
  const std::string log = dir / "app.log";
  write(log, "long line one\nlong line two\n");
  {
    Run r(db_config(dir), 2);
    r.ctx.release();
    r.shutdown();
  }
  write(log, "new\n");
  Run r2(db_config(dir), 1);
  CHECK(r2.ctx.values() == lines({"new"}));
  r2.shutdown();
}

TEST_CASE("tail db: a file rotated before it was finished is found beside its old path", "[tail][tail_db]") {
  TempDir dir;
  const std::string log = dir / "app.log";
  write(log, "a\n");
  {
    Run r(db_config(dir), 1);
    r.ctx.release();
    r.shutdown();
  }
  // While sluice is down (as after kill -9): more lines, then a rotation.
  append(log, "b\n");
  REQUIRE(std::rename(log.c_str(), (dir / "app.log.1").c_str()) == 0);
  write(log, "c\n");
  Run r2(db_config(dir), 2);
  r2.ctx.run_for(50ms);
  auto v = r2.ctx.values();
  std::sort(v.begin(), v.end());
  CHECK(v == lines({"b", "c"}));
  r2.ctx.release();
  // The rotated file is let go once done, and leaves the offsets file.
  REQUIRE(r2.ctx.run_until([&] { return r2.ctx.metric("sluice_input_files_open") == 1; }));
  r2.shutdown();
  tail::DbEntries entries;
  std::string error;
  REQUIRE(tail::TailDb(dir / "state/tail.db").load(entries, error));
  CHECK(entries.size() == 1);
}

TEST_CASE("tail db: a file that vanished unread is counted as lost", "[tail][tail_db]") {
  TempDir dir;
  const std::string log = dir / "app.log";
  write(log, "a\n");
  {
    Run r(db_config(dir), 1);
    r.shutdown();  // not acknowledged: offset 0, size 2
  }
  REQUIRE(std::remove(log.c_str()) == 0);
  TestContext ctx;
  auto in = make_tail(db_config(dir));
  in->start(ctx);
  ctx.run_for(30ms);
  CHECK(ctx.metric("sluice_input_bytes_lost_total") == 2);
  in->stop();
}

TEST_CASE("tail db: files not read from head start at their end, and that is saved", "[tail][tail_db]") {
  TempDir dir;
  const std::string log = dir / "app.log";
  write(log, "before start\n");
  {
    TestContext ctx;
    auto in = make_tail("path: " + log + "\ndb: " + (dir / "state/tail.db") + "\n");
    in->start(ctx);
    ctx.run_for(30ms);
    in->stop();
    in->finish();
  }
  CHECK(saved_offset(dir, log) == 13);
  append(log, "while stopped\n");
  TestContext ctx;
  auto in = make_tail("path: " + log + "\ndb: " + (dir / "state/tail.db") + "\n");
  in->start(ctx);
  REQUIRE(wait_records(ctx, 1));
  CHECK(ctx.values() == lines({"while stopped"}));
  in->stop();
}

TEST_CASE("tail db: a file that isn't a sluice offsets file is left alone", "[tail][tail_db]") {
  TempDir dir;
  std::filesystem::create_directories(dir / "state");
  write(dir / "state/tail.db", "SQLite format 3 (a Fluent Bit db)\n");
  write(dir / "app.log", "a\n");
  {
    Run r(db_config(dir), 1);
    r.ctx.release();
    r.shutdown();
  }
  std::ifstream in(dir / "state/tail.db");
  std::string first;
  std::getline(in, first);
  CHECK(first == "SQLite format 3 (a Fluent Bit db)");
}

TEST_CASE("tail db: a partial container line is not committed before its final part", "[tail][tail_db]") {
  TempDir dir;
  const std::string log = dir / "app.log";
  write(log, "2026-11-21T10:00:00Z stdout F done\n2026-11-21T10:00:01Z stdout P half\n");
  {
    Run r(db_config(dir, "multiline.parser: cri\n"), 1);
    r.ctx.release();
    r.shutdown();
  }
  CHECK(saved_offset(dir, log) == 35);  // the start of the P line
  append(log, "2026-11-21T10:00:02Z stdout F  and the rest\n");
  Run r2(db_config(dir, "multiline.parser: cri\n"), 1);
  CHECK(r2.ctx.values() == lines({"half and the rest"}));
  r2.shutdown();
}

TEST_CASE("tail db: rewritten less often as it lists more files, its cost per second flat", "[tail][tail_db]") {
  using tail::TailDb;
  CHECK(TailDb::rewrite_interval(0) == 500ms);
  CHECK(TailDb::rewrite_interval(1) == 500ms);
  CHECK(TailDb::rewrite_interval(1000) == 500ms);
  CHECK(TailDb::rewrite_interval(1001) == 1000ms);
  CHECK(TailDb::rewrite_interval(10000) == 5000ms);
  CHECK(TailDb::rewrite_interval(20000) == 10000ms);
  CHECK(TailDb::rewrite_interval(1000000) == 10000ms);  // a crash repeats at most 10 s more
}

}  // namespace SLUICE_UNITY_ID
