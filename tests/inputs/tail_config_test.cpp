// Configuration of the tail input: defaults, each key, and every error a
// user can meet; plus the path helpers (globs, excludes, tag expansion).
#include <catch2/catch.hpp>

#include "agent/config/component_config.hpp"
#include "inputs/tail/tail_config.hpp"
#include "inputs/tail/tail_paths.hpp"
#include "tests/inputs/tail_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::tail_test;
using Catch::Matchers::Contains;

namespace {
TailInputConfig build(const std::string& yaml, const std::string& base_dir = "/etc/sluice") {
  return make_tail_config(tail_config(yaml), BuildContext{&test_parsers(), base_dir});
}
}  // namespace

TEST_CASE("tail config defaults follow Fluent Bit", "[tail][tail_config]") {
  auto c = build("path: /var/log/app.log");
  CHECK(c.paths == std::vector<std::string>{"/var/log/app.log"});
  CHECK(c.tag == "tail");
  CHECK(c.key == "log");
  CHECK_FALSE(c.read_from_head);
  CHECK(c.refresh_interval == std::chrono::seconds(60));
  CHECK(c.rotate_wait == std::chrono::seconds(5));
  CHECK(c.poll_interval == std::chrono::milliseconds(250));
  CHECK(c.inotify);
  CHECK(c.db.empty());
  CHECK(c.buffer_chunk_size == 32 * 1024);
  CHECK(c.buffer_max_size == 32 * 1024);
  CHECK_FALSE(c.skip_long_lines);
  CHECK_FALSE(c.skip_empty_lines);
  CHECK_FALSE(c.exit_on_eof);
  CHECK(c.parser == nullptr);
  CHECK_FALSE(c.docker);
  CHECK_FALSE(c.cri);
  for (const auto& k : tail_input_schema().keys) {
    CAPTURE(k.name);
    CHECK_FALSE(k.description.empty());
  }
}

TEST_CASE("tail config keys", "[tail][tail_config]") {
  auto c = build(R"(
path: [logs/*.log, /var/log/b.log]
exclude_path: "*.gz,*.old"
tag: app.*
key: message
read_from_head: on
refresh_interval: 5s
rotate_wait: 30s
poll_interval: 1s
inotify_watcher: off
db: state/tail.db
buffer_chunk_size: 64k
buffer_max_size: 1M
skip_long_lines: on
skip_empty_lines: true
exit_on_eof: yes
path_key: file
offset_key: offset
parser: json
)");
  CHECK(c.paths == std::vector<std::string>{"/etc/sluice/logs/*.log", "/var/log/b.log"});
  CHECK(c.exclude_paths == std::vector<std::string>{"*.gz", "*.old"});
  CHECK(c.tag == "app.*");
  CHECK(c.key == "message");
  CHECK(c.read_from_head);
  CHECK(c.refresh_interval == std::chrono::seconds(5));
  CHECK(c.rotate_wait == std::chrono::seconds(30));
  CHECK(c.poll_interval == std::chrono::seconds(1));
  CHECK_FALSE(c.inotify);
  CHECK(c.db == "/etc/sluice/state/tail.db");
  CHECK(c.buffer_chunk_size == 64 * 1024);
  CHECK(c.buffer_max_size == 1024 * 1024);
  CHECK(c.skip_long_lines);
  CHECK(c.skip_empty_lines);
  CHECK(c.exit_on_eof);
  CHECK(c.path_key == "file");
  CHECK(c.offset_key == "offset");
  REQUIRE(c.parser != nullptr);
  CHECK(c.parser->name() == "json");

  auto m = build("path: /x\nmultiline.parser: docker, cri");
  CHECK(m.docker);
  CHECK(m.cri);
  CHECK(m.multiline.empty());

  auto traces = build("path: /x\nmultiline.parser: docker, cri, java, python");
  CHECK(traces.docker);
  CHECK(traces.cri);
  REQUIRE(traces.multiline.size() == 2);
  CHECK(traces.multiline[0]->name() == "java");
  CHECK(traces.multiline[1]->name() == "python");
}

TEST_CASE("tail config errors", "[tail][tail_config]") {
  SECTION("path is required") {
    CHECK_THROWS_AS(build("read_from_head: on"), config::ConfigError);
  }
  SECTION("unknown key gets a suggestion") {
    CHECK_THROWS_WITH(build("path: /x\nread_from_haed: on"), Contains("read_from_head"));
  }
  SECTION("unknown parser") {
    CHECK_THROWS_WITH(build("path: /x\nparser: nope"),
                      Contains("unknown parser 'nope'; known parsers:") && Contains("json"));
  }
  SECTION("unknown multiline parser") {
    CHECK_THROWS_WITH(build("path: /x\nmultiline.parser: jvm"),
                      Contains("unknown multiline parser 'jvm'; known: cri, docker, go, java, python, ruby"));
  }
  SECTION("parser and multiline.parser together") {
    CHECK_THROWS_WITH(build("path: /x\nparser: json\nmultiline.parser: cri"),
                      Contains("can't be combined with multiline.parser"));
  }
  SECTION("buffer_max_size below buffer_chunk_size") {
    CHECK_THROWS_WITH(build("path: /x\nbuffer_chunk_size: 64k\nbuffer_max_size: 32k"),
                      Contains("must be at least buffer_chunk_size (65536 bytes)"));
  }
  SECTION("zero sizes and intervals") {
    CHECK_THROWS_WITH(build("path: /x\nbuffer_chunk_size: 0"), Contains("expected a size above 0"));
    CHECK_THROWS_WITH(build("path: /x\nrefresh_interval: 0s"), Contains("expected a duration above 0"));
    CHECK_THROWS_WITH(build("path: /x\npoll_interval: 0ms"), Contains("expected at least 1ms"));
  }
  SECTION("empty key") {
    CHECK_THROWS_WITH(build("path: /x\nkey: ''"), Contains("expected a non-empty record key"));
  }
  SECTION("empty path list") {
    CHECK_THROWS_WITH(build("path: ''"), Contains("expected at least one file or glob pattern"));
  }
  SECTION("the error names the key's line") {
    try {
      build("path: /x\nparser: nope");
      FAIL("no error");
    } catch (const config::ConfigError& e) {
      CHECK(e.mark().line == 2);
      CHECK_THAT(e.what(), Contains("parser"));
    }
  }
}

TEST_CASE("tail tag expansion follows Fluent Bit", "[tail][tail_config]") {
  CHECK(tail::expand_tag("app.*", "/var/log/a.log") == "app.var.log.a.log");
  CHECK(tail::expand_tag("*", "/var/log/a.log") == "var.log.a.log");
  CHECK(tail::expand_tag("kube.*.x", "/a/b") == "kube.a.b.x");
  CHECK(tail::expand_tag("plain", "/var/log/a.log") == "plain");
}

TEST_CASE("tail globs with excludes", "[tail][tail_config]") {
  TempDir dir;
  for (const char* n : {"a.log", "b.log", "c.log.gz", "d.txt"}) write(dir / n, "x\n");
  std::filesystem::create_directory(dir / "sub.log");
  auto m = tail::expand_globs({dir / "*.log*", dir / "d.txt"}, {"*.gz"});
  CHECK(m == std::vector<std::string>{dir / "a.log", dir / "b.log", dir / "d.txt"});
  CHECK(tail::watch_dirs({dir / "*.log", "/var/*/x.log"}, m) == std::vector<std::string>{dir.path()});
}

}  // namespace SLUICE_UNITY_ID
