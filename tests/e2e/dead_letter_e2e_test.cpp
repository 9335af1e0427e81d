// End to end with the real binary: the dead-letter store on a full disk, and
// `sluice dead-letter list|replay`. The backend is the Elasticsearch stand-in
// (tests/peers/es_standin.py; no Elasticsearch runs here: a stand-in written
// from the _bulk API's specification). Started with --data-stream, it refuses
// every document an output sends with `write_operation: index` (400, as
// Elasticsearch refuses non-create writes to a data stream), so they go to
// the dead-letter file; the "fix" is `write_operation: create`.
//
// The dead-letter file is on a 64 KiB tmpfs mounted in a user and mount
// namespace (unshare -Urm) that a holder process keeps alive; sluice runs in
// that namespace (nsenter), the test sees the files through /proc/PID/root.
// Where namespaces aren't allowed, the test says so and passes.
#include <catch2/catch.hpp>

#include <signal.h>

#include <filesystem>
#include <fstream>

#include <simdjson.h>

#include "tests/e2e/e2e_support.hpp"
#include "tests/e2e/es_standin.hpp"
#include "tests/e2e/status_http.hpp"
#include "tests/support/net.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

// A small tmpfs at dir/disk, private to a namespace held by a `sleep`.
class SmallDisk {
 public:
  explicit SmallDisk(const TempDir& dir) : mount_(dir.file("disk")) {
    std::filesystem::create_directory(mount_);
    holder_ = std::make_unique<Process>(std::vector<std::string>{
        "/usr/bin/unshare", "-Urm", "/bin/sh", "-c",
        "mount -t tmpfs -o size=64k none " + mount_ + " && echo mounted && exec sleep 600"});
    wait_until([&] { return holder_->out().find("mounted") != std::string::npos || !holder_->running(); }, 10s);
    available_ = holder_->out().find("mounted") != std::string::npos;
  }
  bool available() const { return available_; }
  std::string why_not() const { return holder_->err(); }
  // A path on the disk, as sluice sees it (inside the namespace).
  std::string file(const std::string& name) const { return mount_ + "/" + name; }
  // The same file as this test sees it.
  std::string seen(const std::string& name) const {
    return "/proc/" + std::to_string(holder_->pid()) + "/root" + file(name);
  }
  // argv run inside the namespace.
  std::vector<std::string> inside(std::vector<std::string> argv) const {
    std::vector<std::string> all{"/usr/bin/nsenter", "--preserve-credentials", "-U", "-m",
                                 "-t", std::to_string(holder_->pid()), "--"};
    all.insert(all.end(), argv.begin(), argv.end());
    return all;
  }
  // Fills the disk up to `room` bytes free.
  void fill(size_t room) {
    std::ofstream(seen("filler"), std::ios::binary) << std::string(64 * 1024 - room, 'f');
  }
  void free_space() { std::filesystem::remove(seen("filler")); }

 private:
  std::string mount_;
  std::unique_ptr<Process> holder_;
  bool available_ = false;
};

// A log line of ~2 KB: a batch of them is bigger than the room left on the disk.
std::string padded_line(int seq) { return json_log_line(seq, R"(,"pad":")" + std::string(2000, 'p') + "\""); }

std::string config(const TempDir& dir, const SmallDisk& disk, uint16_t es_port, uint16_t http_port,
                   const std::string& write_operation) {
  return "service:\n  flush: 100ms\n  grace: 2s\n  log_level: info\n  http_server: on\n  http_port: " +
         std::to_string(http_port) +
         "\npipeline:\n  inputs:\n    - name: tail\n      tag: app\n      path: " + dir.file("app.log") +
         "\n      read_from_head: on\n      db: " + dir.file("tail.db") +
         "\n  filters:\n    - name: parser\n      match: app\n      key_name: log\n      parser: epoch\n"
         "  outputs:\n    - name: es\n      match: '*'\n      host: 127.0.0.1\n      port: " + std::to_string(es_port) +
         "\n      index: logs-app\n      write_operation: " + write_operation +
         "\n      retry_base: 100ms\n      retry_cap: 500ms\n      dead_letter_file: " + disk.file("dead.jsonl") +
         "\nparsers:\n  - name: epoch\n    format: json\n    time_key: ts\n    time_format: '%s'\n";
}

// Items the stand-in answered for the document with this seq.
size_t items_for(const EsStandIn& es, int seq) {
  size_t n = 0;
  for (const auto& l : es.items()) n += l.find("\"seq\":" + std::to_string(seq) + ",") != std::string::npos;
  return n;
}

bool whole_json_lines(const std::string& path) {
  std::string text = read_file(path);
  if (!text.empty() && text.back() != '\n') return false;
  simdjson::dom::parser parser;
  for (const auto& l : read_lines(path))
    if (parser.parse(l).error()) return false;
  return true;
}

}  // namespace

TEST_CASE("dead letters on a full disk: kept unacknowledged, inputs paused, health 503, written whole once there is "
          "room, then replayed once",
          "[e2e][dead_letter]") {
  TempDir dir;
  SmallDisk disk(dir);
  if (!disk.available()) {
    WARN("no user and mount namespace here (unshare -Urm): skipped: " << disk.why_not());
    return;
  }
  EsStandIn es(dir, {"--data-stream", "logs-"});
  uint16_t http_port = free_tcp_port();
  write_file(dir.file("sluice.yaml"), config(dir, disk, es.port(), http_port, "index"));
  std::string log;
  for (int i = 0; i < 12; ++i) log += padded_line(i);
  write_file(dir.file("app.log"), log);
  disk.fill(4096);  // one page left: the 12 dead letters (~25 KB, one write) fill it midway

  auto start = [&] { return std::make_unique<Process>(disk.inside({SLUICE_BINARY, "-c", dir.file("sluice.yaml")})); };
  auto sluice = start();
  // Refused by the stand-in, not written: health says why, at once.
  HttpGet health;
  bool unhealthy = wait_until([&] {
    health = http_get(http_port, "/api/v1/health");
    return health.status == 503 &&
           health.body.find("output es.0: dead-letter file " + disk.file("dead.jsonl") +
                            " can't be written (No space left on device); 12 records wait for it (inputs paused)") !=
               std::string::npos;
  }, 30s);
  INFO(sluice->err());
  INFO(health.body);
  REQUIRE(unhealthy);
  CHECK(health.body.find(R"("status":"dead_letter_unwritable")") != std::string::npos);
  CHECK(items_for(es, 0) == 1);
  CHECK(items_for(es, 11) == 1);
  CHECK(read_file(disk.seen("dead.jsonl")).empty());  // the write that filled the disk was cut back

  // More lines are not read while the records wait: the input is paused.
  append_file(dir.file("app.log"), padded_line(12) + padded_line(13) + padded_line(14));
  REQUIRE(wait_until([&] {
    health = http_get(http_port, "/api/v1/health");
    return health.body.find("\"paused_because\":\"output es.0: dead-letter file") != std::string::npos;
  }, 10s));
  CHECK(items_for(es, 12) == 0);
  CHECK(sluice->err().find("record follows") == std::string::npos);

  // A restart: the tail offset did not move past them, so they come again.
  stop_sluice(*sluice);
  size_t logged = 0;
  for (size_t at = sluice->err().find("cannot write dead-letter file"); at != std::string::npos;
       at = sluice->err().find("cannot write dead-letter file", at + 1))
    ++logged;
  CHECK(logged == 1);  // once a minute, with the count
  CHECK(sluice->err().find("records wait, not acknowledged: inputs paused") != std::string::npos);
  sluice = start();
  REQUIRE(wait_until([&] { return items_for(es, 0) == 2 && items_for(es, 11) == 2; }, 30s));

  // Room again: everything is written, whole, once, and the input resumes.
  disk.free_space();
  bool written = wait_until([&] { return read_lines(disk.seen("dead.jsonl")).size() == 15; }, 30s);
  INFO(sluice->err());
  REQUIRE(written);
  CHECK(whole_json_lines(disk.seen("dead.jsonl")));
  CHECK(seq_counts(read_lines(disk.seen("dead.jsonl"))) == once_each(0, 15));
  REQUIRE(wait_until([&] { return http_get(http_port, "/api/v1/health").status == 200; }, 10s));
  // "written again" follows a write that failed in this process. On a loaded
  // machine its first try can come after the room was made, and succeed.
  if (sluice->err().find("cannot write dead-letter file") != std::string::npos)
    CHECK(wait_until([&] { return sluice->err().find("written again") != std::string::npos; }, 10s));
  stop_sluice(*sluice);
  CHECK(es.stored().empty());

  // The user fixes the cause and replays: every record is stored once.
  write_file(dir.file("fixed.yaml"), config(dir, disk, es.port(), http_port, "create"));
  auto tool = [&](std::vector<std::string> args) {
    std::vector<std::string> argv{SLUICE_BINARY, "dead-letter"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto p = std::make_unique<Process>(disk.inside(argv));
    return p;
  };
  auto listed = tool({"list", "-c", dir.file("fixed.yaml")});
  REQUIRE(listed->wait(30s) == 0);
  CHECK(listed->out().find(disk.file("dead.jsonl") + ": 15 records\n  output es.0: 15 records, ") !=
        std::string::npos);

  auto replay = tool({"replay", "-c", dir.file("fixed.yaml"), "--output", "es.0"});
  auto status = replay->wait(90s);
  INFO(replay->out() << replay->err());
  CHECK(status == 0);
  CHECK(replay->out().find("output es.0: re-sent 15 records: 15 delivered, 0 dead-lettered again") !=
        std::string::npos);
  CHECK(seq_counts(es.stored()) == once_each(0, 15));
  CHECK(read_lines(disk.seen("dead.jsonl.replayed")).size() == 15);

  // A second replay sends nothing; list shows them replayed.
  size_t requests = es.requests().size();
  auto again = tool({"replay", "-c", dir.file("fixed.yaml")});
  REQUIRE(again->wait(60s) == 0);
  CHECK(again->out().find("15 records skipped: replayed before\nnothing to replay\n") != std::string::npos);
  CHECK(es.requests().size() == requests);
  listed = tool({"list", "-c", dir.file("fixed.yaml")});
  REQUIRE(listed->wait(30s) == 0);
  CHECK(listed->out().find(": 15 records (15 replayed)") != std::string::npos);
}

TEST_CASE("dead-letter tools: clear errors for an unknown output, a missing file, a bad --since", "[e2e][dead_letter]") {
  TempDir dir;
  write_file(dir.file("sluice.yaml"),
             "service:\n  dead_letter_file: " + dir.file("dead.jsonl") +
                 "\npipeline:\n  inputs:\n    - name: stdin\n  outputs:\n    - name: es\n      alias: es_main\n");
  auto run = [&](std::vector<std::string> args) {
    std::vector<std::string> argv{SLUICE_BINARY, "dead-letter"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto p = std::make_unique<Process>(argv);
    REQUIRE(p->wait(30s).has_value());
    return p;
  };
  auto unknown = run({"replay", "-c", dir.file("sluice.yaml"), "--output", "es_mian"});
  CHECK(unknown->wait(1s) == 2);
  CHECK(unknown->err().find("has no output named 'es_mian'; did you mean 'es_main'? (outputs: es_main)") !=
        std::string::npos);

  auto missing = run({"list", "-c", dir.file("sluice.yaml"), "--file", dir.file("nope.jsonl")});
  CHECK(missing->wait(1s) == 2);
  CHECK(missing->err().find(dir.file("nope.jsonl") + ": no such file") != std::string::npos);

  auto nothing = run({"replay", "-c", dir.file("sluice.yaml")});
  CHECK(nothing->wait(1s) == 0);
  CHECK(nothing->err().find(dir.file("dead.jsonl") + ": no such file: nothing dead-lettered there") !=
        std::string::npos);

  auto since = run({"list", "-c", dir.file("sluice.yaml"), "--since", "yesterday"});
  CHECK(since->wait(1s) == 2);
  CHECK(since->err().find("--since 'yesterday': expected a duration") != std::string::npos);

  write_file(dir.file("dead.jsonl"), "{\"half\":\n");
  auto malformed = run({"list", "-c", dir.file("sluice.yaml"), "--json"});
  CHECK(malformed->wait(1s) == 0);
  CHECK(malformed->err().find(dir.file("dead.jsonl") + ":1: skipped: not a JSON object") != std::string::npos);
}

}  // namespace SLUICE_UNITY_ID
