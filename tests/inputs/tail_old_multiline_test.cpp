// tail's old multiline keys (Fluent Bit's `multiline on`, parser_firstline,
// parser_N, multiline_flush): a line parser_firstline reads starts a
// record, the lines after it are joined to its last field or add the
// fields a parser_N reads; lines before any first line stand alone; a held
// line keeps its offset uncommitted; multiline_flush and shutdown send an
// open record on. Config: what must go together, what can't.
#include <catch2/catch.hpp>

#include "inputs/tail/tail_config.hpp"
#include "inputs/tail/tail_db.hpp"
#include "tests/inputs/tail_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::tail_test;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

const ParserSet& old_parsers() {
  static const ParserSet set = [] {
    auto cfg = config::load_string(R"(
parsers:
  - name: first
    format: regex
    regex: '^(?<day>\d{4}-\d\d-\d\d) (?<level>[A-Z]+) (?<message>.*)'
  - name: user
    format: regex
    regex: '^\s+user=(?<user>\w+) request=(?<request>\d+)$'
  - name: json_first
    format: json
)");
    return ParserSet::build(cfg.parsers, cfg.multiline_parsers);
  }();
  return set;
}

std::string old_config(const TempDir& dir, const std::string& extra) {
  return "path: " + dir.path() + "/*.log\ndb: " + (dir / "state/tail.db") +
         "\nread_from_head: on\npoll_interval: 20ms\nrotate_wait: 100ms\nmultiline: on\nparser_firstline: first\n" +
         extra;
}

std::unique_ptr<Input> make(const std::string& yaml) {
  return make_tail_input(tail_config(yaml), BuildContext{&old_parsers(), "/"});
}

TailInputConfig build(const std::string& yaml) {
  return make_tail_config(tail_config(yaml), BuildContext{&old_parsers(), "/"});
}

int64_t saved_offset(const TempDir& dir, const std::string& path) {
  tail::DbEntries entries;
  std::string error;
  REQUIRE(tail::TailDb(dir / "state/tail.db").load(entries, error));
  for (const auto& [key, e] : entries)
    if (e.path == path) return static_cast<int64_t>(e.offset);
  return -1;
}

const std::string kLog =
    "orphan line\n"
    "2026-11-21 ERROR request failed\n"
    "  at handler (app.js:10)\n"
    "  at server (app.js:20)\n"
    "2026-11-21 INFO next\n";

}  // namespace

TEST_CASE("tail multiline on: continuation lines join the first line's last field", "[tail][multiline][old_multiline]") {
  TempDir dir;
  TestContext ctx;
  write(dir / "app.log", kLog + "2026-11-21 INFO done\n");
  auto in = make(old_config(dir, "offset_key: offset\n"));
  in->start(ctx);
  REQUIRE(wait_records(ctx, 3));
  CHECK(ctx.json() ==
        std::vector<std::string>{
            R"({"offset":0,"log":"orphan line"})",
            R"x({"day":"2026-11-21","level":"ERROR","message":"request failed\n  at handler (app.js:10)\n  at server (app.js:20)","offset":12})x",
            R"({"day":"2026-11-21","level":"INFO","message":"next","offset":)" + std::to_string(kLog.size() - 21) +
                "}"});
  CHECK(ctx.metric("sluice_input_multiline_joined_total") == 1);
  in->stop();
}

TEST_CASE("tail multiline on: parser_N lines add their fields", "[tail][multiline][old_multiline]") {
  TempDir dir;
  TestContext ctx;
  write(dir / "app.log",
        "2026-11-21 WARN slow request\n  user=ann request=42\n  took 3s\n2026-11-21 INFO next\n");
  auto in = make(old_config(dir, "parser_1: user\n"));
  in->start(ctx);
  REQUIRE(wait_records(ctx, 1));
  CHECK(ctx.json()[0] ==
        R"({"day":"2026-11-21","level":"WARN","message":"slow request\n  took 3s","user":"ann","request":"42"})");
  in->stop();
}

TEST_CASE("tail multiline on: a first line whose last field isn't text takes no raw lines",
          "[tail][multiline][old_multiline]") {
  TempDir dir;
  TestContext ctx;
  write(dir / "app.log", "{\"msg\":\"hi\",\"n\":1}\n  raw\n{\"msg\":\"bye\"}\n  more\n");
  auto in = make("path: " + dir.path() +
                 "/*.log\nread_from_head: on\nmultiline: on\nparser_firstline: json_first\nmultiline_flush: 200ms\n");
  in->start(ctx);
  REQUIRE(wait_records(ctx, 3));
  in->stop();
  CHECK(ctx.json() == std::vector<std::string>{R"({"msg":"hi","n":1})", R"({"log":"  raw"})",
                                               R"({"msg":"bye\n  more"})"});
}

TEST_CASE("tail multiline on: a held line is not committed, shutdown sends the record on",
          "[tail][multiline][old_multiline][tail_db]") {
  TempDir dir;
  const std::string log = dir / "app.log";
  write(log, kLog);
  const int64_t last_first_line = static_cast<int64_t>(kLog.size() - 21);
  {
    TestContext ctx;
    auto in = make(old_config(dir, ""));
    in->start(ctx);
    REQUIRE(wait_records(ctx, 2));
    ctx.release();
    // A crash now: the open record's first line is where a restart resumes.
    REQUIRE(ctx.run_until([&] { return saved_offset(dir, log) == last_first_line; }, 2s));
  }
  TestContext ctx;
  auto in = make(old_config(dir, ""));
  in->start(ctx);
  ctx.run_for(200ms);
  CHECK(ctx.records() == 0);
  in->stop();
  CHECK(ctx.values("message") == std::vector<std::string>{"next"});
  ctx.release();
  ctx.run_for(20ms);
  in->finish();
  CHECK(saved_offset(dir, log) == static_cast<int64_t>(kLog.size()));
}

TEST_CASE("tail multiline on: multiline_flush sends an open record on", "[tail][multiline][old_multiline][timeout]") {
  TempDir dir;
  TestContext ctx;
  write(dir / "app.log", "2026-11-21 ERROR boom\n  at x\n");
  auto in = make("path: " + dir.path() + "/*.log\nread_from_head: on\nrefresh_interval: 1h\nmultiline: on\n"
                 "parser_firstline: first\nmultiline_flush: 300ms\n");
  auto start = std::chrono::steady_clock::now();
  in->start(ctx);
  REQUIRE(wait_records(ctx, 1, 5s));
  CHECK(std::chrono::steady_clock::now() - start >= 300ms);
  CHECK(ctx.values("message") == std::vector<std::string>{"boom\n  at x"});
  in->stop();
}

TEST_CASE("tail multiline on: config", "[tail][multiline][old_multiline][tail_config]") {
  auto c = build("path: /x\nmultiline: on\nparser_firstline: first\nparser_2: json_first\nparser_1: user\n"
                 "multiline_flush: 2\n");
  REQUIRE(c.multiline.size() == 1);
  REQUIRE(c.old_multiline != nullptr);
  CHECK(c.multiline[0] == c.old_multiline.get());
  const auto& o = c.old_multiline->options();
  CHECK(o.parser->name() == "first");
  REQUIRE(o.continuation_parsers.size() == 2);  // in the config's order, as Fluent Bit reads them
  CHECK(o.continuation_parsers[0]->name() == "json_first");
  CHECK(o.continuation_parsers[1]->name() == "user");
  CHECK(o.flush_timeout == 2s);
  CHECK(build("path: /x\nmultiline: on\nparser_firstline: first").old_multiline->options().flush_timeout == 4s);
  // Fluent Bit ignores `parser` in this mode; so does sluice, saying so.
  CHECK(build("path: /x\nmultiline: on\nparser_firstline: first\nparser: user").parser == nullptr);

  CHECK_THROWS_WITH(build("path: /x\nmultiline: on"), Contains("needs parser_firstline"));
  CHECK_THROWS_WITH(build("path: /x\nmultiline: on\nparser_firstline: nope"),
                    Contains("key 'parser_firstline': unknown parser 'nope'"));
  CHECK_THROWS_WITH(build("path: /x\nmultiline: on\nparser_firstline: first\nparser_1: nope"),
                    Contains("key 'parser_1': unknown parser 'nope'"));
  CHECK_THROWS_WITH(build("path: /x\nparser_firstline: first"), Contains("needs multiline: on"));
  CHECK_THROWS_WITH(build("path: /x\nparser_3: first"), Contains("key 'parser_3': needs multiline: on"));
  CHECK_THROWS_WITH(build("path: /x\nmultiline: on\nparser_firstline: first\nmultiline.parser: java"),
                    Contains("can't be combined with multiline.parser"));
  CHECK_THROWS_WITH(build("path: /x\nmultiline: on\nparser_firstline: first\ndocker_mode: on"),
                    Contains("can't be combined with docker_mode"));
  CHECK_THROWS_WITH(build("path: /x\nparser_: first"), Contains("unknown key 'parser_'"));
  CHECK_THROWS_WITH(build("path: /x\nmultiline: on\nparser_firstlin: first"),
                    Contains("key 'parser_firstlin': unknown key; expected parser_firstline or parser_N"));
}

}  // namespace SLUICE_UNITY_ID
