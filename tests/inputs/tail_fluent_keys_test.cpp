// The tail keys Fluent Bit configurations carry: each is honoured with
// Fluent Bit's meaning (db.sync, read_newly_discovered_files_from_head,
// ignore_older, truncate_long_lines, docker_mode, tag_regex,
// file_cache_advise, the encodings, db.compare_filename) or accepted with a
// warning that says what sluice does instead (db.journal_mode, db.locking,
// static_batch_size, ignore_active_older_files, progress_check_interval,
// watcher_interval).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "agent/config/component_config.hpp"
#include "inputs/tail/tail_config.hpp"
#include "inputs/tail/tail_db.hpp"
#include "tests/inputs/tail_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::tail_test;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

std::string fast(const TempDir& dir, const std::string& extra = "") {
  return "path: " + dir.path() + "/*.log\npoll_interval: 20ms\nrotate_wait: 100ms\nrefresh_interval: 200ms\n" + extra;
}

TailInputConfig build(const std::string& yaml, const ParserSet& parsers = test_parsers()) {
  return make_tail_config(tail_config(yaml), BuildContext{&parsers, "/etc/sluice"});
}

// Parsers for docker_mode_parser: a json-file line whose log starts with a date.
const ParserSet& firstline_parsers() {
  static const ParserSet set = [] {
    auto cfg = config::load_string(R"(
parsers:
  - name: firstline
    format: regex
    regex: '"log":"(?<day>\d{4}-\d\d-\d\d) '
)");
    return ParserSet::build(cfg.parsers, cfg.multiline_parsers);
  }();
  return set;
}

std::unique_ptr<Input> make(const std::string& yaml, const ParserSet& parsers = test_parsers()) {
  return make_tail_input(tail_config(yaml), BuildContext{&parsers, "/"});
}

std::string docker_line(const std::string& log, const std::string& time = "2026-11-21T10:00:00.000000001Z") {
  return "{\"log\":\"" + log + "\",\"stream\":\"stdout\",\"time\":\"" + time + "\"}\n";
}

void set_mtime(const std::string& path, std::chrono::seconds ago) {
  struct timespec times[2];
  ::clock_gettime(CLOCK_REALTIME, &times[0]);
  times[0].tv_sec -= ago.count();
  times[1] = times[0];
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

std::string utf16le(std::string_view ascii) {
  std::string out;
  for (char c : ascii) {
    out += c;
    out += '\0';
  }
  return out;
}

}  // namespace

TEST_CASE("tail Fluent Bit keys: config", "[tail][tail_config][tail_fluent]") {
  SECTION("defaults as Fluent Bit's") {
    auto c = build("path: /x");
    CHECK(c.read_new_from_head);
    CHECK(c.ignore_older.count() == 0);
    CHECK(c.db_sync);
    CHECK_FALSE(c.truncate_long_lines);
    CHECK(c.file_cache_advise);
    CHECK(c.encoding == tail::TextEncoding::Utf8);
    CHECK_FALSE(c.docker_mode);
    CHECK(c.docker_mode_flush == 4s);
    CHECK(c.tag_regex == nullptr);
  }
  SECTION("each key") {
    auto c = build(R"(
path: /x
read_newly_discovered_files_from_head: off
ignore_older: 2d
db.sync: Off
truncate_long_lines: on
file_cache_advise: off
unicode.encoding: utf-16le
docker_mode: on
docker_mode_flush: 2
parser: docker
tag: kube.<ns>.<pod>
tag_regex: '(?<pod>[^_/]+)_(?<ns>[^_]+)_'
)");
    CHECK_FALSE(c.read_new_from_head);
    CHECK(c.ignore_older == std::chrono::hours(48));
    CHECK_FALSE(c.db_sync);
    CHECK(c.truncate_long_lines);
    CHECK_FALSE(c.file_cache_advise);
    CHECK(c.encoding == tail::TextEncoding::Utf16Le);
    CHECK(c.docker_mode);
    CHECK(c.docker_mode_flush == 2s);
    CHECK(c.tag_regex != nullptr);
    CHECK(build("path: /x\ngeneric.encoding: Win1252").encoding == tail::TextEncoding::Win1252);
    CHECK(build("path: /x\ndocker_mode: on\ndocker_mode_parser: firstline", firstline_parsers()).docker_mode_parser !=
          nullptr);
    CHECK(build("path: /x\nignore_older: 10m").ignore_older == std::chrono::minutes(10));
  }
  SECTION("refused values") {
    CHECK_THROWS_WITH(build("path: /x\nunicode.encoding: UTF-32"),
                      Contains("unknown encoding 'UTF-32'; sluice reads UTF-16LE, UTF-16BE, auto"));
    CHECK_THROWS_WITH(build("path: /x\ngeneric.encoding: ShiftJIS"),
                      Contains("'ShiftJIS'; sluice reads Win1252 (CP1252), ISO-8859-1 (latin1), ISO-8859-15"));
    CHECK_THROWS_WITH(build("path: /x\nunicode.encoding: auto\ngeneric.encoding: latin1"),
                      Contains("can't be combined with unicode.encoding"));
    CHECK_THROWS_WITH(build("path: /x\ndocker_mode: on\nmultiline.parser: docker"),
                      Contains("can't be combined with multiline.parser"));
    CHECK_THROWS_WITH(build("path: /x\ndocker_mode: on\ndocker_mode_parser: nope"), Contains("unknown parser 'nope'"));
    CHECK_THROWS_WITH(build("path: /x\ndocker_mode_parser: json"), Contains("needs docker_mode: on"));
    CHECK_THROWS_WITH(build("path: /x\ntag_regex: '(?<a>x'"), Contains("does not compile"));
    CHECK_THROWS_WITH(build("path: /x\ntag_regex: 'x+'"), Contains("has no named capture group"));
    CHECK_THROWS_WITH(build("path: /x\ntag: a.<b\ntag_regex: '(?<b>x)'"), Contains("missing '>'"));
    CHECK_THROWS_WITH(build("path: /x\ndb.sync: sometimes"), Contains("normal"));
    CHECK_THROWS_WITH(build("path: /x\nignore_older: 0"), Contains("expected at least 1s"));
  }
  SECTION("keys sluice has no use for load with a warning saying what it does") {
    auto cfg = config::load_string(R"(
pipeline:
  inputs:
    - name: tail
      path: /var/log/*.log
      db.journal_mode: WAL
      db.locking: true
      static_batch_size: 50M
  outputs:
    - name: null
      match: '*'
)");
    REQUIRE(cfg.warnings.size() == 3);
    CHECK_THAT(cfg.warnings[0], Contains("'db.journal_mode' is accepted for Fluent Bit") && Contains("no journal"));
    CHECK_THAT(cfg.warnings[1], Contains("'db.locking'") && Contains("nothing locks it"));
    CHECK_THAT(cfg.warnings[2], Contains("'static_batch_size'") && Contains("256 KiB"));
  }
  SECTION("Fluent Bit's interval keys and ignore_active_older_files load with a warning") {
    auto cfg = config::load_string(R"(
pipeline:
  inputs:
    - name: tail
      path: /var/log/*.log
      ignore_older: 1d
      ignore_active_older_files: true
      progress_check_interval: 2s
      progress_check_interval_nsec: 500
      watcher_interval: 5s
      db.compare_filename: true
  outputs:
    - name: null
      match: '*'
)");
    REQUIRE(cfg.warnings.size() == 4);
    CHECK_THAT(cfg.warnings[0], Contains("'ignore_active_older_files'") && Contains("applies ignore_older when it "
                                                                                      "finds a file"));
    CHECK_THAT(cfg.warnings[1], Contains("'progress_check_interval'") && Contains("refresh_interval"));
    CHECK_THAT(cfg.warnings[2], Contains("'progress_check_interval_nsec'"));
    CHECK_THAT(cfg.warnings[3], Contains("'watcher_interval'") && Contains("inotify"));
    CHECK(build("path: /x\ndb.compare_filename: on").db_compare_filename);
    CHECK_FALSE(build("path: /x").db_compare_filename);
  }
}

TEST_CASE("tail read_newly_discovered_files_from_head", "[tail][tail_input][tail_fluent]") {
  TempDir dir;
  TestContext ctx;
  bool head = GENERATE(true, false);
  auto in = make(fast(dir, head ? "" : "read_newly_discovered_files_from_head: off\n"));
  in->start(ctx);
  ctx.run_for(50ms);
  write(dir / "new.log", "before 1\nbefore 2\n");
  // Found (inotify or refresh_interval), then written to.
  REQUIRE(ctx.run_until([&] { return ctx.metric("sluice_input_files_open") == 1; }, 5s));
  ctx.run_for(50ms);
  append(dir / "new.log", "after\n");
  REQUIRE(wait_records(ctx, head ? 3 : 1));
  ctx.run_for(50ms);
  CHECK(ctx.values() == (head ? lines({"before 1", "before 2", "after"}) : lines({"after"})));
  in->stop();
}

TEST_CASE("tail ignore_older leaves old files alone until they are written again", "[tail][tail_input][tail_fluent]") {
  TempDir dir;
  write(dir / "old.log", "old 1\n");
  write(dir / "young.log", "young 1\n");
  set_mtime(dir / "old.log", std::chrono::hours(3 * 24));
  set_mtime(dir / "young.log", std::chrono::hours(1));
  TestContext ctx;
  auto in = make(fast(dir, "read_from_head: on\nignore_older: 2d\n"));
  in->start(ctx);
  REQUIRE(wait_records(ctx, 1));
  ctx.run_for(100ms);
  CHECK(ctx.values() == lines({"young 1"}));
  CHECK(ctx.metric("sluice_input_files_open") == 1);
  // Written again: followed from where it was when set aside.
  append(dir / "old.log", "old 2\n");
  REQUIRE(wait_records(ctx, 2));
  CHECK(ctx.values() == lines({"young 1", "old 2"}));
  in->stop();
}

TEST_CASE("tail truncate_long_lines keeps the head of a long line", "[tail][tail_input][tail_fluent]") {
  TempDir dir;
  write(dir / "a.log", "short\n" + std::string(100, 'x') + "y\nnext\n");
  TestContext ctx;
  auto in = make(fast(dir, "read_from_head: on\nbuffer_chunk_size: 16\nbuffer_max_size: 32\ntruncate_long_lines: on\n"
                           "skip_long_lines: on\n"));
  in->start(ctx);
  REQUIRE(wait_records(ctx, 3));
  CHECK(ctx.values() == lines({"short", std::string(32, 'x').c_str(), "next"}));
  CHECK(ctx.metric("sluice_input_long_lines_total") == 1);
  CHECK(ctx.metric("sluice_input_bytes_skipped_total") == 69);
  in->stop();
}

TEST_CASE("tail tag_regex fills the tag from the file name", "[tail][tail_input][tail_fluent]") {
  TempDir dir;
  write(dir / "web-7d9f_shop_nginx-0123.log", "a\n");
  write(dir / "other.log", "b\n");
  TestContext ctx;
  auto in = make(fast(dir, "read_from_head: on\ntag: kube.<namespace>.<pod>.<container>\n"
                           "tag_regex: '(?<pod>[^_/]+)_(?<namespace>[^_]+)_(?<container>.+)-(?<id>[0-9]+)\\.log$'\n"));
  in->start(ctx);
  REQUIRE(wait_records(ctx, 2));
  std::vector<std::string> tags;
  for (const auto& c : ctx.chunks) tags.push_back(c->tag);
  std::sort(tags.begin(), tags.end());
  // A file the regex doesn't match is still followed, each <name> as `_`.
  CHECK(tags == std::vector<std::string>{"kube._._._", "kube.shop.web-7d9f.nginx"});
  in->stop();
}

TEST_CASE("tail docker_mode joins Docker's split lines before the parser", "[tail][tail_input][tail_fluent]") {
  TempDir dir;
  TestContext ctx;
  std::string part1(16 * 1024, 'a');
  SECTION("with parser docker: the joined line's fields") {
    write(dir / "c.log", docker_line(part1) + docker_line("b\\n", "2026-11-21T10:00:01.000000001Z") +
                             docker_line("single\\n") + "not json\n");
    auto in = make(fast(dir, "read_from_head: on\ndocker_mode: on\nparser: docker\noffset_key: off\n"));
    in->start(ctx);
    REQUIRE(wait_records(ctx, 3));
    std::vector<const Event*> ev;
    for (const auto& c : ctx.chunks)
      for (const auto& e : c->events) ev.push_back(&e);
    REQUIRE(ev.size() == 3);
    CHECK(ev[0]->record.find("log")->as_string() == part1 + "b\n");
    CHECK(ev[0]->record.find("stream")->as_string() == "stdout");
    CHECK(ev[0]->record.find("off")->as_int() == 0);  // where its first part starts
    CHECK(ev[1]->record.find("log")->as_string() == "single\n");
    CHECK(ev[2]->record.find("log")->as_string() == "not json");
    in->stop();
  }
  SECTION("without a parser: the joined json-file line as text") {
    write(dir / "c.log", docker_line("x ") + docker_line("y\\n"));
    auto in = make(fast(dir, "read_from_head: on\ndocker_mode: on\n"));
    in->start(ctx);
    REQUIRE(wait_records(ctx, 1));
    CHECK(ctx.values() ==
          lines({"{\"log\":\"x y\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-21T10:00:00.000000001Z\"}"}));
    in->stop();
  }
  SECTION("a part whose next never comes goes out after docker_mode_flush") {
    write(dir / "c.log", docker_line("alone"));
    auto in = make(fast(dir, "read_from_head: on\ndocker_mode: on\ndocker_mode_flush: 200ms\nparser: docker\n"));
    in->start(ctx);
    ctx.run_for(100ms);
    CHECK(ctx.records() == 0);
    REQUIRE(wait_records(ctx, 1, 3s));
    CHECK(ctx.values() == lines({"alone"}));
    in->stop();
  }
  SECTION("docker_mode_parser joins the lines after a first line") {
    write(dir / "c.log", docker_line("2026-11-21 ERROR boom\\n") + docker_line("\\tat a.B(B.java:1)\\n") +
                             docker_line("\\tat c.D(D.java:2)\\n") + docker_line("2026-11-21 INFO next\\n"));
    auto in = make(fast(dir, "read_from_head: on\ndocker_mode: on\ndocker_mode_flush: 200ms\nparser: docker\n"
                             "docker_mode_parser: firstline\n"),
                   firstline_parsers());
    in->start(ctx);
    REQUIRE(wait_records(ctx, 2, 3s));
    CHECK(ctx.values() == lines({"2026-11-21 ERROR boom\n\tat a.B(B.java:1)\n\tat c.D(D.java:2)\n",
                                 "2026-11-21 INFO next\n"}));
    in->stop();
  }
}

TEST_CASE("tail docker_mode: a held part is not committed before its line is delivered",
          "[tail][tail_db][tail_fluent]") {
  TempDir dir;
  std::string first = docker_line("part ");
  write(dir / "c.log", first);
  TestContext ctx;
  auto in = make(fast(dir, "read_from_head: on\ndocker_mode: on\nparser: docker\ndb: " + (dir / "tail.db") + "\n"));
  in->start(ctx);
  ctx.run_for(200ms);
  in->stop();
  in->finish();
  // The held part went out at shutdown; until it is delivered, offset 0 stays.
  tail::DbEntries entries;
  std::string error;
  REQUIRE(tail::TailDb(dir / "tail.db").load(entries, error));
  REQUIRE(entries.size() == 1);
  CHECK(entries.begin()->second.offset == 0);
}

TEST_CASE("tail converts UTF-16 and single-byte encodings to UTF-8", "[tail][tail_input][tail_fluent]") {
  TempDir dir;
  TestContext ctx;
  SECTION("UTF-16LE with a byte order mark, CRLF, written in pieces") {
    std::string text = "\xFF\xFE" + utf16le("caf") + std::string("\xE9\x00", 2) + utf16le("\r\nsecond\r\nthi");
    write(dir / "w.log", text.substr(0, 7));  // half a code unit
    auto in = make(fast(dir, "read_from_head: on\nunicode.encoding: UTF-16LE\noffset_key: off\n"));
    in->start(ctx);
    ctx.run_for(50ms);
    append(dir / "w.log", text.substr(7));
    REQUIRE(wait_records(ctx, 2));
    append(dir / "w.log", utf16le("rd\n"));
    REQUIRE(wait_records(ctx, 3));
    CHECK(ctx.values() == lines({"caf\xC3\xA9", "second", "third"}));
    // offset_key and the offsets file count the file's bytes.
    std::vector<int64_t> offsets;
    for (const auto& c : ctx.chunks)
      for (const auto& e : c->events) offsets.push_back(e.record.find("off")->as_int());
    CHECK(offsets == std::vector<int64_t>{0, 14, 30});
    in->stop();
  }
  SECTION("auto finds UTF-16BE without a byte order mark, and UTF-8 as it is") {
    std::string be;
    for (char c : std::string("hello\n")) {
      be += '\0';
      be += c;
    }
    write(dir / "be.log", be);
    write(dir / "u8.log", "\xEF\xBB\xBFplain \xC3\xA9\n");
    auto in = make(fast(dir, "read_from_head: on\nunicode.encoding: auto\n"));
    in->start(ctx);
    REQUIRE(wait_records(ctx, 2));
    auto v = ctx.values();
    std::sort(v.begin(), v.end());
    CHECK(v == lines({"hello", "plain \xC3\xA9"}));
    in->stop();
  }
  SECTION("Win1252") {
    write(dir / "w.log", "\x93quoted\x94 \x80 5\n");
    auto in = make(fast(dir, "read_from_head: on\ngeneric.encoding: Win1252\nparser: json\n"));
    in->start(ctx);
    REQUIRE(wait_records(ctx, 1));
    CHECK(ctx.values() == lines({"\xE2\x80\x9Cquoted\xE2\x80\x9D \xE2\x82\xAC 5"}));
    in->stop();
  }
}

TEST_CASE("tail db.sync off still keeps offsets across a restart", "[tail][tail_db][tail_fluent]") {
  TempDir dir;
  write(dir / "a.log", "1\n2\n");
  std::string yaml = fast(dir, "read_from_head: on\ndb.sync: off\ndb: " + (dir / "tail.db") + "\n");
  {
    TestContext ctx;
    auto in = make(yaml);
    in->start(ctx);
    REQUIRE(wait_records(ctx, 2));
    ctx.chunks.clear();  // delivered
    ctx.run_for(50ms);
    in->stop();
    in->finish();
  }
  append(dir / "a.log", "3\n");
  TestContext ctx;
  auto in = make(yaml);
  in->start(ctx);
  REQUIRE(wait_records(ctx, 1));
  ctx.run_for(50ms);
  CHECK(ctx.values() == lines({"3"}));
  in->stop();
}

TEST_CASE("tail file_cache_advise drops the pages it read from the page cache", "[tail][tail_input][tail_fluent]") {
  TempDir dir;
  const std::string path = dir / "big.log";
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::string line(99, 'x');
  line += '\n';
  std::string text;
  while (text.size() < 64 * page) text += line;
  write(path, text);
  auto resident_pages = [&] {
    int fd = ::open(path.c_str(), O_RDONLY);
    void* map = ::mmap(nullptr, text.size(), PROT_READ, MAP_SHARED, fd, 0);
    std::vector<unsigned char> vec((text.size() + page - 1) / page);
    ::mincore(map, text.size(), vec.data());
    ::munmap(map, text.size());
    size_t n = 0;
    for (unsigned char v : vec) n += v & 1;
    ::close(fd);
    return n;
  };
  {
    int fd = ::open(path.c_str(), O_RDONLY);
    ::fdatasync(fd);
    // Only where the filesystem lets pages go (tmpfs keeps them: nothing to show).
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    char c;
    for (size_t off = 0; off < text.size(); off += page) REQUIRE(::pread(fd, &c, 1, static_cast<off_t>(off)) == 1);
    ::close(fd);
  }
  const size_t before = resident_pages();
  {
    int fd = ::open(path.c_str(), O_RDONLY);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
  if (resident_pages() != 0) {
    WARN("the filesystem of " << dir.path() << " keeps pages cached whatever the advice; nothing to check");
    return;
  }
  bool advise = GENERATE(true, false);
  {
    int fd = ::open(path.c_str(), O_RDONLY);  // cache the file again
    char c;
    for (size_t off = 0; off < text.size(); off += page) REQUIRE(::pread(fd, &c, 1, static_cast<off_t>(off)) == 1);
    ::close(fd);
  }
  REQUIRE(resident_pages() == before);
  TestContext ctx;
  auto in = make(fast(dir, std::string("read_from_head: on\nfile_cache_advise: ") + (advise ? "on" : "off") + "\n"));
  in->start(ctx);
  REQUIRE(wait_records(ctx, text.size() / line.size()));
  if (advise) {
    // At most the last, partial page and the one a truncation check reads again.
    CHECK(resident_pages() <= 2);
  } else {
    CHECK(resident_pages() == before);
  }
  in->stop();
}

TEST_CASE("tail db.compare_filename: an offset saved under another name is not used", "[tail][tail_db][tail_fluent]") {
  TempDir dir;
  write(dir / "a.log", "1\n2\n");
  auto run_once = [&](const std::string& extra) {
    TestContext ctx;
    auto in = make(fast(dir, "read_from_head: on\ndb: " + (dir / "tail.db") + "\n" + extra));
    in->start(ctx);
    wait_records(ctx, 2, 1s);
    auto values = ctx.values();
    ctx.chunks.clear();  // delivered
    ctx.run_for(50ms);
    in->stop();
    in->finish();
    return values;
  };
  CHECK(run_once("") == lines({"1", "2"}));
  // Renamed while sluice was stopped: by inode it is the same file, read on from its offset.
  std::filesystem::rename(dir / "a.log", dir / "b.log");
  append(dir / "b.log", "3\n");
  CHECK(run_once("") == lines({"3"}));
  // Renamed again: with db.compare_filename the saved offset (under b.log) isn't c.log's.
  std::filesystem::rename(dir / "b.log", dir / "c.log");
  CHECK(run_once("db.compare_filename: on\n") == lines({"1", "2", "3"}));
}

}  // namespace SLUICE_UNITY_ID
