// End to end with the real binary: the tail input's container formats and
// per-file tags, read with exit_on_eof so sluice exits by itself.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

// Runs sluice on the pipeline until it exits; returns its exit status.
int run(const TempDir& dir, const std::string& yaml) {
  write_file(dir.file("p.yaml"), yaml);
  Process p({SLUICE_BINARY, "-c", dir.file("p.yaml")});
  auto status = p.wait(30s);
  INFO(p.err());
  REQUIRE(status.has_value());
  return *status;
}

std::string pipeline(const TempDir& dir, const std::string& input_keys) {
  return "service:\n  log_level: warn\npipeline:\n  inputs:\n    - name: tail\n      read_from_head: on\n"
         "      exit_on_eof: on\n" + input_keys +
         "  outputs:\n    - name: file\n      path: " + dir.file("out") + "\n      mkdir: on\n      format: plain\n";
}

}  // namespace

TEST_CASE("tail decodes CRI files with partial lines, tags carry the file path", "[e2e][tail]") {
  TempDir dir;
  std::filesystem::create_directories(dir.file("pods"));
  write_file(dir.file("pods/web.log"),
             "2026-11-21T10:00:00.000000001Z stdout P first half, \n"
             "2026-11-21T10:00:00.1Z stderr F an error\n"
             "2026-11-21T10:00:00.2Z stdout F second half\n");
  write_file(dir.file("pods/db.log"), "2026-11-21T10:00:01Z stdout F ready\n");
  REQUIRE(run(dir, pipeline(dir, "      path: " + dir.file("pods/*.log") +
                                     "\n      tag: kube.*\n      multiline.parser: cri\n")) == 0);
  // The file output names each file after the tag: kube. + the path with '/' → '.'.
  std::string prefix = "kube" + dir.file("pods/");
  std::replace(prefix.begin(), prefix.end(), '/', '.');
  auto web = read_lines(dir.file("out/" + prefix + "web.log"));
  CHECK(web == std::vector<std::string>{
                   R"({"time":"2026-11-21T10:00:00.1Z","stream":"stderr","_p":"F","log":"an error"})",
                   R"({"time":"2026-11-21T10:00:00.000000001Z","stream":"stdout","_p":"F",)"
                   R"("log":"first half, second half"})"});
  auto db = read_lines(dir.file("out/" + prefix + "db.log"));
  CHECK(db == std::vector<std::string>{R"({"time":"2026-11-21T10:00:01Z","stream":"stdout","_p":"F","log":"ready"})"});
}

TEST_CASE("tail decodes Docker json-file lines, joining partial ones", "[e2e][tail]") {
  TempDir dir;
  write_file(dir.file("c.log"),
             R"({"log":"multi ","stream":"stdout","time":"2026-11-21T10:00:00Z"})" "\n"
             R"({"log":"part\n","stream":"stdout","time":"2026-11-21T10:00:01Z"})" "\n"
             R"({"log":"quote \" and tab \t\n","stream":"stderr","time":"2026-11-21T10:00:02Z"})" "\n"
             "not docker\n");
  REQUIRE(run(dir, pipeline(dir, "      path: " + dir.file("c.log") +
                                     "\n      tag: app\n      multiline.parser: docker\n      path_key: file\n")) == 0);
  auto out = read_lines(dir.file("out/app"));
  REQUIRE(out.size() == 3);
  CHECK(out[0] == R"({"log":"multi part","stream":"stdout","time":"2026-11-21T10:00:00Z","file":")" +
                      dir.file("c.log") + "\"}");
  CHECK(out[1].find(R"("log":"quote \" and tab \t")") != std::string::npos);
  CHECK(out[2].find(R"({"log":"not docker")") == 0);
}

TEST_CASE("a Fluent Bit tail section for Docker logs runs as it is: docker mode, tag_regex, its db keys",
          "[e2e][tail][classic]") {
  TempDir dir;
  std::filesystem::create_directories(dir.file("containers"));
  // Docker split a 20 KiB line in two; the app also wrote a short one.
  std::string big(20 * 1024, 'x');
  write_file(dir.file("containers/web-1_shop_nginx-abc123.log"),
             R"({"log":")" + big.substr(0, 16 * 1024) + R"(","stream":"stdout","time":"2026-11-21T10:00:00.5Z"})" "\n"
             R"({"log":")" + big.substr(16 * 1024) + R"(\n","stream":"stdout","time":"2026-11-21T10:00:00.6Z"})" "\n"
             R"({"log":"short\n","stream":"stderr","time":"2026-11-21T10:00:01Z"})" "\n");
  write_file(dir.file("fluent-bit.conf"),
             "[SERVICE]\n    Flush 200ms\n    Log_Level warn\n"
             "[INPUT]\n    Name              tail\n    Path              " + dir.file("containers/*.log") + "\n"
             "    Tag               kube.<namespace_name>.<pod_name>.<container_name>\n"
             "    Tag_Regex         (?<pod_name>[a-z0-9-]+)_(?<namespace_name>[^_]+)_(?<container_name>.+)-"
             "(?<docker_id>[a-z0-9]+)\\.log$\n"
             "    Parser            docker\n    Docker_Mode       On\n    Docker_Mode_Flush 1\n"
             "    DB                " + dir.file("tail.db") + "\n    DB.sync           Normal\n"
             "    DB.locking        true\n    DB.journal_mode   WAL\n    Skip_Long_Lines   On\n"
             "    Buffer_Max_Size   64k\n    Ignore_Older      1d\n    File_Cache_Advise On\n"
             "    Static_Batch_Size 50M\n    Read_From_Head    On\n    Exit_On_EOF       On\n"
             "[OUTPUT]\n    Name   file\n    Match  kube.*\n    Path   " + dir.file("out") +
             "\n    Mkdir  On\n    Format plain\n");
  Process p({SLUICE_BINARY, "-c", dir.file("fluent-bit.conf")});
  auto status = p.wait(30s);
  INFO(p.err());
  REQUIRE(status == 0);
  // The keys sluice has no use for said so, once each.
  CHECK(p.err().find("'db.locking' is accepted for Fluent Bit") != std::string::npos);
  CHECK(p.err().find("'db.journal_mode' is accepted for Fluent Bit") != std::string::npos);
  auto lines = read_lines(dir.file("out/kube.shop.web-1.nginx"));
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find(R"("log":")" + big + R"(\n")") != std::string::npos);
  CHECK(lines[1].find(R"("log":"short\n","stream":"stderr")") != std::string::npos);
}

// A Fluent Bit user's tail kept its offsets in a SQLite database (`DB`).
// The database here is made with Fluent Bit's schema (plugins/in_tail's
// in_tail_files) by Python's sqlite3: one file read to its end, one half.
// sluice must go on from those offsets, leave the database untouched, and
// keep its own offsets beside it.
TEST_CASE("tail goes on from a Fluent Bit tail's SQLite offsets database", "[e2e][tail][classic]") {
  TempDir dir;
  std::string done = "one\ntwo\n", half = "alpha\nbeta\n";
  write_file(dir.file("done.log"), done);
  write_file(dir.file("half.log"), half + "gamma\n");
  std::string make_db =
      "import os, sqlite3, sys\n"
      "db = sqlite3.connect(sys.argv[1])\n"
      "db.execute('CREATE TABLE in_tail_files (id INTEGER PRIMARY KEY, name TEXT NOT NULL, offset INTEGER, "
      "inode INTEGER, created INTEGER, rotated INTEGER DEFAULT 0)')\n"
      "for name, off in ((sys.argv[2], int(sys.argv[3])), (sys.argv[4], int(sys.argv[5]))):\n"
      "    db.execute('INSERT INTO in_tail_files (name, offset, inode, created) VALUES (?, ?, ?, 0)',\n"
      "               (name, off, os.stat(name).st_ino))\n"
      "db.commit()\n";
  write_file(dir.file("make_db.py"), make_db);
  Process py({"/usr/bin/python3", dir.file("make_db.py"), dir.file("flb.db"), dir.file("done.log"),
              std::to_string(done.size()), dir.file("half.log"), std::to_string(half.size())});
  REQUIRE(py.wait(30s) == 0);
  std::string before = read_file(dir.file("flb.db"));
  std::string fb_conf = "[SERVICE]\n    Flush 200ms\n    Log_Level info\n"
                        "[INPUT]\n    Name tail\n    Path " + dir.file("*.log") + "\n    Tag app\n"
                        "    DB " + dir.file("flb.db") + "\n    Read_From_Head On\n    Exit_On_EOF On\n"
                        "[OUTPUT]\n    Name file\n    Match *\n    Path " + dir.file("out") +
                        "\n    Mkdir On\n    Format plain\n";
  write_file(dir.file("fluent-bit.conf"), fb_conf);
  {
    Process p({SLUICE_BINARY, "-c", dir.file("fluent-bit.conf")});
    auto status = p.wait(30s);
    INFO(p.err());
    REQUIRE(status == 0);
    CHECK_THAT(p.err(), Catch::Contains("is Fluent Bit's offsets database: 2 files go on from its offsets"));
  }
  auto lines = read_lines(dir.file("out/app"));
  REQUIRE(lines.size() == 1);  // only what Fluent Bit hadn't read
  CHECK(lines[0].find(R"("log":"gamma")") != std::string::npos);
  CHECK(read_file(dir.file("flb.db")) == before);
  REQUIRE(std::filesystem::exists(dir.file("flb.db.sluice")));
  // A second start reads sluice's own offsets: nothing again, one new line.
  std::ofstream(dir.file("half.log"), std::ios::app) << "delta\n";
  {
    Process p({SLUICE_BINARY, "-c", dir.file("fluent-bit.conf")});
    auto status = p.wait(30s);
    INFO(p.err());
    REQUIRE(status == 0);
    CHECK_THAT(p.err(), Catch::Contains("left as it is; sluice's own offsets are in"));
  }
  lines = read_lines(dir.file("out/app"));
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].find(R"("log":"delta")") != std::string::npos);
  CHECK(read_file(dir.file("flb.db")) == before);
}

}  // namespace SLUICE_UNITY_ID
