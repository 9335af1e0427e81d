// Behaviour of the tail input on real files: where reading starts, globs,
// new files, rotation by rename and by copytruncate, long lines, pausing,
// parsers, source keys, container formats and exit_on_eof.
#include <catch2/catch.hpp>

#include <cstdio>

#include "tests/inputs/tail_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::tail_test;
using namespace std::chrono_literals;

namespace {
// Fast timers so rotation and polling tests finish quickly.
std::string fast(const TempDir& dir, const std::string& extra = "", const std::string& rotate_wait = "100ms") {
  return "path: " + dir.path() + "/*.log\npoll_interval: 20ms\nrotate_wait: " + rotate_wait +
         "\nrefresh_interval: 1s\n" + extra;
}
}  // namespace

TEST_CASE("tail starts at the end of existing files unless read_from_head", "[tail][tail_input]") {
  TempDir dir;
  write(dir / "a.log", "old 1\nold 2\n");
  TestContext ctx;
  bool head = GENERATE(false, true);
  auto in = make_tail(fast(dir, head ? "read_from_head: on\n" : ""));
  in->start(ctx);
  ctx.run_for(100ms);
  append(dir / "a.log", "new\n");
  REQUIRE(wait_records(ctx, head ? 3 : 1));
  ctx.run_for(50ms);
  if (head) {
    CHECK(ctx.values() == lines({"old 1", "old 2", "new"}));
  } else {
    CHECK(ctx.values() == lines({"new"}));
  }
  CHECK(ctx.chunks.front()->tag == "tail");
  in->stop();
}

TEST_CASE("tail follows every glob match minus exclude_path, tagged per file", "[tail][tail_input]") {
  TempDir dir;
  write(dir / "a.log", "a1\n");
  write(dir / "b.log", "b1\n");
  write(dir / "c.log", "c1\n");
  TestContext ctx;
  auto in = make_tail(fast(dir, "read_from_head: on\nexclude_path: '*/c.log'\ntag: app.*\n"));
  in->start(ctx);
  REQUIRE(wait_records(ctx, 2));
  ctx.run_for(50ms);
  CHECK(ctx.records() == 2);
  std::vector<std::string> tags;
  for (const auto& c : ctx.chunks) tags.push_back(c->tag);
  std::string prefix = "app" + dir.path();
  std::replace(prefix.begin(), prefix.end(), '/', '.');
  CHECK(tags == std::vector<std::string>{prefix + ".a.log", prefix + ".b.log"});
  CHECK(ctx.metric("sluice_input_files_open") == 2);
  in->stop();
}

TEST_CASE("tail reads a file created after start from its head", "[tail][tail_input]") {
  TempDir dir;
  bool inotify = GENERATE(true, false);
  CAPTURE(inotify);
  TestContext ctx;
  // Without inotify the glob is expanded on refresh_interval.
  auto in = make_tail("path: " + dir.path() + "/*.log\npoll_interval: 20ms\nrefresh_interval: 100ms\n" +
                      (inotify ? "" : "inotify_watcher: off\n"));
  in->start(ctx);
  ctx.run_for(30ms);
  write(dir / "late.log", "first\nsecond\n");
  REQUIRE(wait_records(ctx, 2));
  CHECK(ctx.values() == lines({"first", "second"}));
  in->stop();
}

TEST_CASE("tail emits lines split across writes once complete, CRLF stripped", "[tail][tail_input]") {
  TempDir dir;
  write(dir / "a.log", "");
  TestContext ctx;
  auto in = make_tail(fast(dir));
  in->start(ctx);
  ctx.run_for(50ms);
  append(dir / "a.log", "hel");
  ctx.run_for(100ms);
  CHECK(ctx.records() == 0);  // a partial line waits for its newline
  append(dir / "a.log", "lo\r\nwor");
  append(dir / "a.log", "ld\n");
  REQUIRE(wait_records(ctx, 2));
  CHECK(ctx.values() == lines({"hello", "world"}));
  in->stop();
}

TEST_CASE("tail reads a big file in bounded slices, one chunk per slice", "[tail][tail_input]") {
  TempDir dir;
  std::string text;
  const int n = 20000;
  for (int i = 0; i < n; ++i) text += "line number " + std::to_string(i) + " with some padding text\n";
  REQUIRE(text.size() > 2 * 256 * 1024);
  write(dir / "big.log", text);
  TestContext ctx;
  auto in = make_tail(fast(dir, "read_from_head: on\n"));
  in->start(ctx);
  REQUIRE(wait_records(ctx, n));
  auto v = ctx.values();
  REQUIRE(v.size() == static_cast<size_t>(n));
  for (int i = 0; i < n; i += 997) CHECK(v[i] == "line number " + std::to_string(i) + " with some padding text");
  CHECK(ctx.chunks.size() >= 3);
  CHECK(ctx.metric("sluice_input_bytes_read_total") == text.size());
  in->stop();
}

TEST_CASE("tail rotation by rename: old file read to its end, new one from 0", "[tail][tail_input]") {
  TempDir dir;
  bool inotify = GENERATE(true, false);
  CAPTURE(inotify);
  write(dir / "app.log", "1\n2\n");
  TestContext ctx;
  // rotate_wait well above the writer's pause below: a partial last line is
  // flushed as it is once the rotated file was quiet for rotate_wait, and
  // this writer finishes its line within it.
  auto in = make_tail(fast(dir, std::string("read_from_head: on\n") + (inotify ? "" : "inotify_watcher: off\n"), "2s"));
  in->start(ctx);
  REQUIRE(wait_records(ctx, 2));
  {
    // The writer keeps its descriptor across the rename, as a logger does
    // until it reopens.
    std::ofstream writer(dir / "app.log", std::ios::app);
    writer << "3\n" << std::flush;
    REQUIRE(std::rename((dir / "app.log").c_str(), (dir / "app.log.1").c_str()) == 0);
    writer << "4\n5" << std::flush;
    write(dir / "app.log", "6\n");
    ctx.run_for(100ms);
    writer << "\n" << std::flush;
  }
  append(dir / "app.log", "7\n");
  REQUIRE(wait_records(ctx, 7));
  ctx.run_for(100ms);
  auto v = ctx.values();
  std::sort(v.begin(), v.end());
  CHECK(v == lines({"1", "2", "3", "4", "5", "6", "7"}));
  CHECK(ctx.metric("sluice_input_rotations_total") == 1);
  // Let go once delivered and quiet for rotate_wait.
  CHECK(ctx.metric("sluice_input_files_open") == 2);
  ctx.release();
  REQUIRE(ctx.run_until([&] { return ctx.metric("sluice_input_files_open") == 1; }));
  in->stop();
}

TEST_CASE("tail keeps a rotated file while its lines are unacknowledged", "[tail][tail_input]") {
  TempDir dir;
  write(dir / "app.log", "a\n");
  TestContext ctx;
  auto in = make_tail(fast(dir, "read_from_head: on\n"));
  in->start(ctx);
  REQUIRE(wait_records(ctx, 1));
  REQUIRE(std::remove((dir / "app.log").c_str()) == 0);
  ctx.run_for(400ms);  // well past rotate_wait
  CHECK(ctx.metric("sluice_input_files_open") == 1);
  ctx.release();
  REQUIRE(ctx.run_until([&] { return ctx.metric("sluice_input_files_open") == 0; }));
  in->stop();
}

TEST_CASE("tail emits the last line of a rotated file that never got its newline", "[tail][tail_input]") {
  TempDir dir;
  write(dir / "app.log", "a\nunfinished");
  TestContext ctx;
  auto in = make_tail(fast(dir, "read_from_head: on\n"));
  in->start(ctx);
  REQUIRE(wait_records(ctx, 1));
  REQUIRE(std::rename((dir / "app.log").c_str(), (dir / "app.log.1").c_str()) == 0);
  REQUIRE(wait_records(ctx, 2));
  CHECK(ctx.values() == lines({"a", "unfinished"}));
  in->stop();
}

TEST_CASE("tail with inotify arms no timer while idle, polls only without it or while a rotated file waits",
          "[tail][tail_input]") {
  TempDir dir;
  write(dir / "app.log", "a\n");
  TestContext ctx;
  bool inotify = GENERATE(true, false);
  CAPTURE(inotify);
  // refresh_interval far away: only the poll timer could wake the input.
  auto in = make_tail("path: " + dir.path() + "/*.log\npoll_interval: 10ms\nrotate_wait: 50ms\n"
                      "refresh_interval: 1h\nread_from_head: on\n" + (inotify ? "" : "inotify_watcher: off\n"));
  in->start(ctx);
  REQUIRE(wait_records(ctx, 1));
  ctx.release();
  ctx.run_for(50ms);  // the acknowledgement
  if (!inotify) {
    CHECK(ctx.run_until([&] { return ctx.handlers_run_for(50ms) > 0; }));
    in->stop();
    return;
  }
  CHECK(ctx.handlers_run_for(300ms) == 0);  // no poll_interval timer: nothing to do, nothing runs
  append(dir / "app.log", "b\n");  // inotify still wakes it for work
  REQUIRE(wait_records(ctx, 1));
  CHECK(ctx.values() == lines({"b"}));
  ctx.release();
  // A rotated file is polled until rotate_wait lets it go; then the input sleeps again.
  REQUIRE(std::rename((dir / "app.log").c_str(), (dir / "app.log.1").c_str()) == 0);
  REQUIRE(ctx.run_until([&] { return ctx.metric("sluice_input_files_open") == 0; }));
  ctx.run_for(50ms);
  CHECK(ctx.handlers_run_for(300ms) == 0);
  in->stop();
}

TEST_CASE("tail copytruncate: a truncated file is read again from 0", "[tail][tail_input]") {
  TempDir dir;
  write(dir / "app.log", "aaaa\nbbbb\n");
  TestContext ctx;
  auto in = make_tail(fast(dir, "read_from_head: on\n"));
  in->start(ctx);
  REQUIRE(wait_records(ctx, 2));
  write(dir / "app.log", "c\n");
  REQUIRE(wait_records(ctx, 3));
  CHECK(ctx.values() == lines({"aaaa", "bbbb", "c"}));
  CHECK(ctx.metric("sluice_input_truncations_total") == 1);
  in->stop();
}

TEST_CASE("tail copytruncate: truncated and rewritten past the old offset before sluice looked",
          "[tail][tail_input]") {
  TempDir dir;
  write(dir / "app.log", "aaaa\nbbbb\n");
  TestContext ctx;
  auto in = make_tail(fast(dir, "read_from_head: on\n"));
  in->start(ctx);
  REQUIRE(wait_records(ctx, 2));
  // The io_context doesn't run here: sluice sees only the result, a file
  // larger than its offset whose byte before the line start isn't '\n'.
  write(dir / "app.log", "cccccccccccc\n");
  REQUIRE(wait_records(ctx, 3));
  CHECK(ctx.values() == lines({"aaaa", "bbbb", "cccccccccccc"}));
  CHECK(ctx.metric("sluice_input_truncations_total") == 1);
  in->stop();
}

TEST_CASE("tail long lines: pieces by default, skipped with skip_long_lines", "[tail][tail_input]") {
  TempDir dir;
  std::string long_line(100, 'x');
  write(dir / "a.log", "short\n" + long_line + "\nafter\n");
  TestContext ctx;
  SECTION("pieces") {
    auto in = make_tail(fast(dir, "read_from_head: on\nbuffer_chunk_size: 16\nbuffer_max_size: 40\n"));
    in->start(ctx);
    REQUIRE(wait_records(ctx, 5));
    CHECK(ctx.values() == lines({"short", std::string(40, 'x').c_str(), std::string(40, 'x').c_str(),
                                 std::string(20, 'x').c_str(), "after"}));
    CHECK(ctx.metric("sluice_input_long_lines_total") == 1);
    in->stop();
  }
  SECTION("skipped") {
    auto in = make_tail(
        fast(dir, "read_from_head: on\nbuffer_chunk_size: 16\nbuffer_max_size: 40\nskip_long_lines: on\n"));
    in->start(ctx);
    REQUIRE(wait_records(ctx, 2));
    ctx.run_for(50ms);
    CHECK(ctx.values() == lines({"short", "after"}));
    CHECK(ctx.metric("sluice_input_long_lines_total") == 1);
    CHECK(ctx.metric("sluice_input_bytes_skipped_total") == 100);
    in->stop();
  }
}

TEST_CASE("tail waits while the pipeline is paused, nothing is lost", "[tail][tail_input]") {
  TempDir dir;
  write(dir / "a.log", "");
  TestContext ctx;
  auto in = make_tail(fast(dir));
  in->start(ctx);
  ctx.run_for(50ms);
  ctx.paused_ = true;
  append(dir / "a.log", "1\n2\n");
  ctx.run_for(200ms);
  CHECK(ctx.records() == 0);
  ctx.paused_ = false;
  REQUIRE(wait_records(ctx, 2));
  CHECK(ctx.values() == lines({"1", "2"}));
  in->stop();
}

TEST_CASE("tail parser, key, skip_empty_lines, path_key and offset_key", "[tail][tail_input]") {
  TempDir dir;
  write(dir / "a.log", "{\"msg\":\"hi\",\"n\":1}\n\nnot json\n");
  TestContext ctx;
  SECTION("parser json") {
    auto in = make_tail(fast(dir, "read_from_head: on\nparser: json\nskip_empty_lines: on\npath_key: file\n"
                                  "offset_key: off\n"));
    in->start(ctx);
    REQUIRE(wait_records(ctx, 2));
    const auto& ev = ctx.chunks.front()->events;
    REQUIRE(ev.size() == 2);
    REQUIRE(ev[0].record.find("msg") != nullptr);
    CHECK(ev[0].record.find("msg")->as_string() == "hi");
    CHECK(ev[0].record.find("n")->as_int() == 1);
    CHECK(ev[0].record.find("file")->as_string() == dir / "a.log");
    CHECK(ev[0].record.find("off")->as_int() == 0);
    // A line that doesn't parse is kept as it came.
    CHECK(ev[1].record.find("log")->as_string() == "not json");
    CHECK(ev[1].record.find("off")->as_int() == 20);
    CHECK(ctx.metric("sluice_input_parse_failures_total") == 1);
    in->stop();
  }
  SECTION("key") {
    auto in = make_tail(fast(dir, "read_from_head: on\nkey: message\n"));
    in->start(ctx);
    REQUIRE(wait_records(ctx, 3));
    CHECK(ctx.values("message") == lines({"{\"msg\":\"hi\",\"n\":1}", "", "not json"}));
    in->stop();
  }
}

TEST_CASE("tail decodes docker and CRI files, joining partial lines", "[tail][tail_input]") {
  TempDir dir;
  TestContext ctx;
  SECTION("docker") {
    write(dir / "c.log",
          "{\"log\":\"part 1 \",\"stream\":\"stdout\",\"time\":\"2026-11-21T10:00:00Z\"}\n"
          "{\"log\":\"part 2\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-21T10:00:01Z\"}\n"
          "garbage\n");
    auto in = make_tail(fast(dir, "read_from_head: on\nmultiline.parser: docker\n"));
    in->start(ctx);
    REQUIRE(wait_records(ctx, 2));
    const auto& e = ctx.chunks.front()->events;
    CHECK(e[0].record.find("log")->as_string() == "part 1 part 2");
    CHECK(e[0].record.find("stream")->as_string() == "stdout");
    CHECK(e[0].time_ns == 1795255200LL * 1000000000LL);
    CHECK(e[1].record.find("log")->as_string() == "garbage");
    CHECK(ctx.metric("sluice_input_malformed_lines_total") == 1);
    in->stop();
  }
  SECTION("cri, with the final part in a later write") {
    write(dir / "c.log", "2026-11-21T10:00:00Z stdout P abc\n");
    auto in = make_tail(fast(dir, "read_from_head: on\nmultiline.parser: cri\n"));
    in->start(ctx);
    ctx.run_for(100ms);
    CHECK(ctx.records() == 0);
    append(dir / "c.log", "2026-11-21T10:00:01Z stdout F def\n");
    REQUIRE(wait_records(ctx, 1));
    const auto& r = ctx.chunks.front()->events[0].record;
    CHECK(r.find("log")->as_string() == "abcdef");
    CHECK(r.find("stream")->as_string() == "stdout");
    CHECK(r.find("time")->as_string() == "2026-11-21T10:00:00Z");
    CHECK(r.find("_p")->as_string() == "F");
    in->stop();
  }
}

TEST_CASE("tail exit_on_eof reads everything, the partial last line too, then finishes", "[tail][tail_input]") {
  TempDir dir;
  write(dir / "a.log", "1\n2\nlast");
  write(dir / "b.log", "b\n");
  TestContext ctx;
  auto in = make_tail(fast(dir, "read_from_head: on\nexit_on_eof: on\n"));
  in->start(ctx);
  REQUIRE(ctx.run_until([&] { return ctx.finished_calls > 0; }));
  auto v = ctx.values();
  std::sort(v.begin(), v.end());
  CHECK(v == lines({"1", "2", "b", "last"}));
  in->stop();
}

TEST_CASE("tail exit_on_eof with no matching file finishes at once", "[tail][tail_input]") {
  TempDir dir;
  TestContext ctx;
  auto in = make_tail(fast(dir, "exit_on_eof: on\n"));
  in->start(ctx);
  REQUIRE(ctx.run_until([&] { return ctx.finished_calls > 0; }));
  CHECK(ctx.records() == 0);
  in->stop();
}

}  // namespace SLUICE_UNITY_ID
