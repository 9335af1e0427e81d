// The dead-letter store: whole lines only (a write cut short by a full disk
// is cut back, a torn last line is cut on open), records kept unacknowledged
// while it can't be written (inputs pause, health says why) and written once
// it can; reading it back for `sluice dead-letter list|replay`.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <set>
#include <sstream>

#include "agent/config/yaml_loader.hpp"
#include "agent/dead_letter.hpp"
#include "agent/dead_letter_list.hpp"
#include "agent/dead_letter_queue.hpp"
#include "agent/dead_letter_reader.hpp"
#include "agent/dead_letter_replay.hpp"
#include "agent/health.hpp"
#include "agent/json_writer.hpp"
#include "agent/output_runner.hpp"
#include "agent/pipeline.hpp"
#include "agent/record.hpp"
#include "tests/support/log_capture.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace std::chrono_literals;

namespace {

class RecordingSink : public AckSink {
 public:
  void acknowledged(uint64_t cookie, bool delivered) override {
    std::lock_guard lock(mu);
    (delivered ? ok : failed).insert(cookie);
  }
  size_t ok_count() { std::lock_guard lock(mu); return ok.size(); }
  size_t failed_count() { std::lock_guard lock(mu); return failed.size(); }
  std::mutex mu;
  std::set<uint64_t> ok, failed;
};

// A chunk of `count` records {"n": first.., "pad": pad}, acknowledged to sink as cookie.
SharedChunk make_chunk(int64_t first, int count, RecordingSink& sink, uint64_t cookie, const std::string& pad = "") {
  auto c = std::make_unique<Chunk>("app");
  std::vector<Member> scratch;
  for (int i = 0; i < count; ++i) {
    MapBuilder b(c->arena, scratch);
    b.add("n", Value::integer(first + i));
    if (!pad.empty()) b.add("pad", Value::string(c->arena.copy(pad)));
    c->events.push_back({1'700'000'000'000'000'000 + first + i, b.finish()});
  }
  c->acks.emplace_back(&sink, cookie);
  return SharedChunk(std::move(c));
}

// Refuses every record for good (a 400 mapping error, say).
class RefusingOutput : public Output {
 public:
  void flush(const Batch&, FlushDone done) override { done(FlushResult::permanent("400 mapper_parsing_exception")); }
};

OutputSettings settings(const std::string& yaml = "flush: 10ms\n") {
  static const config::PluginSchema schema{"refusing", "", {}};
  return OutputSettings::from_config(config::load_component(schema, "output", yaml), 10ms);
}

// Lowers RLIMIT_FSIZE (with SIGXFSZ ignored, a write past it returns EFBIG
// after writing what fits): a disk that fills in the middle of a write.
// Restores both on destruction. Nothing else of the test process writes
// files meanwhile.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit lowered = saved_;
    lowered.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &lowered);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit saved_{};
  void (*old_handler_)(int) = nullptr;
};

bool whole_lines(const std::string& text) { return text.empty() || text.back() == '\n'; }

}  // namespace

TEST_CASE("an append cut short by a full disk is cut back: the file holds whole lines only", "[dead_letter]") {
  test::TempDir dir;
  std::string path = dir.file("dead.jsonl");
  WholeLineFile file(path);
  REQUIRE(!file.append("{\"first\":1}\n"));
  const std::string line(99, 'x');
  std::string five;
  for (int i = 0; i < 5; ++i) five += line + "\n";
  std::error_code ec;
  {
    // Room for two and a half of the five lines: the write stops midway.
    FileSizeLimit limit(12 + 250);
    ec = file.append(five);
  }
  CHECK(ec == std::errc::file_too_large);
  CHECK(test::read_file(path) == "{\"first\":1}\n");
  // Space again: the same lines go in whole.
  REQUIRE(!file.append(five));
  CHECK(test::read_file(path) == "{\"first\":1}\n" + five);
}

TEST_CASE("a torn last line is cut when the file is opened, and said so", "[dead_letter]") {
  test::TempDir dir;
  test::LogCapture log;
  std::string path = dir.file("dead.jsonl");
  SECTION("after whole lines") {
    test::write_file(path, "{\"a\":1}\n{\"b\":2}\n{\"torn\":");
    REQUIRE(!WholeLineFile(path).append("{\"c\":3}\n"));
    CHECK(test::read_file(path) == "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
    CHECK(log.count(path + ": cut 8 bytes of a torn last line") == 1);
  }
  SECTION("at start, before anything is dead-lettered") {
    test::write_file(path, "{\"a\":1}\n{\"torn\":");
    DeadLetter store(path);
    CHECK(test::read_file(path) == "{\"a\":1}\n");
    CHECK_FALSE(std::filesystem::exists(dir.file("absent.jsonl")));
    DeadLetter absent(dir.file("absent.jsonl"));
    CHECK_FALSE(std::filesystem::exists(dir.file("absent.jsonl")));  // created on first use only
  }
  SECTION("a file of one torn line, longer than a read block") {
    test::write_file(path, std::string(100'000, 'y'));
    REQUIRE(!WholeLineFile(path).append("{\"c\":3}\n"));
    CHECK(test::read_file(path) == "{\"c\":3}\n");
  }
  SECTION("whole lines are left alone") {
    test::write_file(path, "{\"a\":1}\n");
    REQUIRE(!WholeLineFile(path).append("{\"c\":3}\n"));
    CHECK(test::read_file(path) == "{\"a\":1}\n{\"c\":3}\n");
    CHECK(log.count("torn") == 0);
  }
}

TEST_CASE("a dead-letter file moved away is created again at its path", "[dead_letter]") {
  test::TempDir dir;
  WholeLineFile file(dir.file("dead.jsonl"));
  REQUIRE(!file.append("1\n"));
  std::filesystem::rename(dir.file("dead.jsonl"), dir.file("dead.jsonl.old"));
  REQUIRE(!file.append("2\n"));
  CHECK(test::read_file(dir.file("dead.jsonl")) == "2\n");
  CHECK(test::read_file(dir.file("dead.jsonl.old")) == "1\n");
}

TEST_CASE("dead letters that can't be written wait, unacknowledged, and go in whole once they can", "[dead_letter]") {
  test::TempDir dir;
  RecordingSink sink;
  DeadLetter store(dir.file("dead.jsonl"));
  DeadLetterQueue queue("es.0", store);
  SharedChunk chunk = make_chunk(0, 3, sink, 1, std::string(200, 'p'));
  for (uint32_t i = 0; i < 3; ++i) queue.add(chunk, i, "400 mapper_parsing_exception");
  chunk.reset();  // the queue holds it now
  {
    FileSizeLimit limit(300);  // room for one record and a half
    CHECK(queue.write() == 0);
  }
  CHECK(test::read_file(dir.file("dead.jsonl")).empty());
  CHECK(queue.waiting() == 3);
  CHECK(queue.blocked_reason().find("dead-letter file " + dir.file("dead.jsonl") + " can't be written (File too large); "
                                    "3 records wait") != std::string::npos);
  CHECK(sink.ok_count() + sink.failed_count() == 0);  // not acknowledged: the input can't move past them
  CHECK(queue.write() == 3);
  CHECK(queue.waiting() == 0);
  CHECK(queue.blocked_reason().empty());
  CHECK(sink.ok_count() == 1);
  auto lines = test::read_lines(dir.file("dead.jsonl"));
  REQUIRE(lines.size() == 3);
  CHECK(whole_lines(test::read_file(dir.file("dead.jsonl"))));
  CHECK(lines[2].find(R"("output":"es.0","reason":"400 mapper_parsing_exception","tag":"app")") != std::string::npos);
}

TEST_CASE("records an output can't dead-letter pause the inputs, show in health, and are written once it can",
          "[dead_letter]") {
  test::TempDir dir;
  test::LogCapture log;
  RecordingSink sink;
  Metrics metrics;
  // Its directory doesn't exist yet: every write fails (No such file or directory).
  std::string path = dir.file("later/dead.jsonl");
  DeadLetter store(path);
  OutputRunner runner("es.0", std::make_unique<RefusingOutput>(), settings(), TagMatcher::glob("*"), store, metrics);
  Pipeline pipeline({}, {&runner}, 64 << 20, metrics);
  runner.start();
  runner.enqueue(make_chunk(0, 2, sink, 1));
  REQUIRE(test::wait_until([&] { return !runner.dead_letter_blocked().empty(); }, 5s));
  runner.enqueue(make_chunk(2, 1, sink, 2));  // tried again with it: still failing, logged once
  REQUIRE(test::wait_until([&] { return runner.health().dead_letter_waiting == 3; }, 5s));

  CHECK(sink.ok_count() + sink.failed_count() == 0);
  CHECK(pipeline.paused());
  CHECK(pipeline.full_reason() == "output es.0: dead-letter file " + path +
                                      " can't be written (No such file or directory); 3 records wait for it");
  CHECK(log.count("cannot write dead-letter file " + path + ": No such file or directory") == 1);
  CHECK(log.count("record follows") == 0);
  CHECK(metrics.value("sluice_output_dead_letter_waiting_records", "es.0") == 3);
  CHECK(metrics.value("sluice_output_records_dead_lettered_total", "es.0") == 0);

  health::Snapshot snap;
  snap.now = std::chrono::steady_clock::now();
  snap.outputs.push_back({"es.0", runner.health()});
  health::Answer answer = health::health_answer(snap, health::Policy{});
  CHECK(answer.status == 503);
  CHECK(answer.body.find(R"("status":"dead_letter_unwritable")") != std::string::npos);
  CHECK(answer.body.find(R"("dead_letter_waiting":3)") != std::string::npos);

  std::filesystem::create_directory(dir.file("later"));  // fixed: tried again within kDeadLetterRetry
  REQUIRE(test::wait_until([&] { return sink.ok_count() == 2; }, kDeadLetterRetry + 5s));
  CHECK(test::read_lines(path).size() == 3);
  CHECK(whole_lines(test::read_file(path)));
  CHECK(runner.dead_letter_blocked().empty());
  CHECK_FALSE(pipeline.paused());
  CHECK(metrics.value("sluice_output_records_dead_lettered_total", "es.0") == 3);
  CHECK(log.count("dead-letter file " + path + " written again: 3 records") == 1);
  CHECK(runner.drain(std::chrono::steady_clock::now() + 1s) == 0);
}

TEST_CASE("at shutdown, records still waiting for the dead-letter file are not acknowledged", "[dead_letter]") {
  test::TempDir dir;
  RecordingSink sink;
  Metrics metrics;
  DeadLetter store(dir.file("missing/dead.jsonl"));
  OutputRunner runner("es.0", std::make_unique<RefusingOutput>(), settings(), TagMatcher::glob("*"), store, metrics);
  runner.start();
  runner.enqueue(make_chunk(0, 2, sink, 1));
  REQUIRE(test::wait_until([&] { return runner.health().dead_letter_waiting == 2; }, 5s));
  CHECK(runner.drain(std::chrono::steady_clock::now() + 200ms) == 2);
  CHECK(sink.failed_count() == 1);  // a tail input reads them again at its next start
  CHECK(sink.ok_count() == 0);
}

TEST_CASE("reading a dead-letter file: parsed lines, malformed ones skipped, a line being written left", "[dead_letter]") {
  test::TempDir dir;
  std::string path = dir.file("dead.jsonl");
  RecordingSink sink;
  SharedChunk chunk = make_chunk(5, 1, sink, 1);
  std::string good = DeadLetter::encode("es.0", "400 bad", "app.web", chunk->events[0], 1'800'000'000'000'000'000);
  test::write_file(path, good + "not json\n{\"output\":\"es.0\"}\n" + good + "{\"time\":");
  DeadLetterLineParser parser;
  std::vector<DeadLetterPosition> positions;
  std::vector<std::string> errors;
  std::string error = read_dead_letter_lines(path, [&](const DeadLetterPosition& p, std::string_view text) {
    Arena arena;
    DeadLetterLine line;
    std::string why = parser.parse(text, arena, line);
    if (!why.empty()) {
      errors.push_back(std::to_string(p.line) + ": " + why);
      return;
    }
    positions.push_back(p);
    CHECK(line.output == "es.0");
    CHECK(line.reason == "400 bad");
    CHECK(line.tag == "app.web");
    CHECK(line.time_ns == 1'800'000'000'000'000'000);
    CHECK(line.timestamp_ns == chunk->events[0].time_ns);
    CHECK(json::to_string(line.record) == R"({"n":5})");
  });
  CHECK(error.empty());
  CHECK(errors == std::vector<std::string>{"2: not a JSON object", "3: no \"record\" object"});
  REQUIRE(positions.size() == 2);
  CHECK(positions[0].offset == 0);
  CHECK(positions[1].line == 4);
  CHECK(positions[0].hash == positions[1].hash);  // same text, told apart by offset
  CHECK(read_dead_letter_lines(dir.file("none.jsonl"), [](auto&, auto) {}) == "No such file or directory");

  // Marks: what was replayed, by offset and text.
  std::string marks;
  ReplayMarks::encode(marks, positions[1], "es.0", 0);
  test::write_file(ReplayMarks::path_for(path), marks + "garbage\n");
  ReplayMarks read(path);
  CHECK(read.contains(positions[1]));
  CHECK_FALSE(read.contains(positions[0]));
  CHECK(read.malformed() == 1);
}

TEST_CASE("a dead letter keeps its event's metadata (the OTLP fields) and reads it back", "[dead_letter]") {
  Chunk chunk("v1_logs");
  std::vector<Member> scratch;
  for (int n : {1, 2}) {
    MapBuilder record(chunk.arena, scratch);
    record.add("n", Value::integer(n));
    chunk.events.push_back({1'700'000'000'000'000'000, record.finish()});
  }
  MapBuilder otlp(chunk.arena, scratch);
  otlp.add("severity_text", Value::string(chunk.arena.copy("WARN")));
  Value otlp_map = otlp.finish();
  MapBuilder outer(chunk.arena, scratch);
  outer.add("otlp", otlp_map);
  chunk.metadata = {outer.finish(), Value()};  // the second event has none
  std::string with = DeadLetter::encode("opentelemetry.0", "400", "v1_logs", chunk.events[0], 1'800'000'000'000'000'000,
                                        chunk.metadata_of(0));
  std::string without = DeadLetter::encode("opentelemetry.0", "400", "v1_logs", chunk.events[1],
                                           1'800'000'000'000'000'000, chunk.metadata_of(1));
  CHECK_THAT(with, Catch::EndsWith(R"("record":{"n":1},"metadata":{"otlp":{"severity_text":"WARN"}}})" "\n"));
  CHECK_THAT(without, Catch::EndsWith(R"("record":{"n":2}})" "\n"));
  DeadLetterLineParser parser;
  Arena arena;
  DeadLetterLine line;
  REQUIRE(parser.parse(std::string_view(with).substr(0, with.size() - 1), arena, line).empty());
  CHECK(json::to_string(line.metadata) == R"({"otlp":{"severity_text":"WARN"}})");
  REQUIRE(parser.parse(std::string_view(without).substr(0, without.size() - 1), arena, line).empty());
  CHECK(line.metadata.is_null());
}

TEST_CASE("dead-letter list: --since takes a duration back from now or an RFC 3339 time", "[dead_letter]") {
  int64_t now = 1'800'000'000'000'000'000;
  CHECK(parse_since("30m", now) == now - 1'800'000'000'000);
  CHECK(parse_since("2h", now) == now - 7'200'000'000'000);
  CHECK(parse_since("2027-01-15T08:00:00Z", now) == 1'800'000'000'000'000'000);
  CHECK_FALSE(parse_since("yesterday", now));
}

TEST_CASE("replay re-sends dead letters through the configured output, marks them, and skips them next time",
          "[dead_letter]") {
  test::TempDir dir;
  std::string dead = dir.file("dead.jsonl");
  RecordingSink sink;
  SharedChunk chunk = make_chunk(0, 3, sink, 1);
  std::string lines;
  for (int i = 0; i < 3; ++i)
    lines += DeadLetter::encode(i == 2 ? "other.0" : "file.0", "400 mapping", "app", chunk->events[i],
                                DeadLetter::now_ns() - (i == 0 ? 3'600'000'000'000 : 0));
  test::write_file(dead, lines + "{broken\n");
  auto cfg = config::load_string("service:\n  dead_letter_file: " + dead +
                                 "\n  flush: 50ms\npipeline:\n  inputs:\n    - name: stdin\n  outputs:\n"
                                 "    - name: file\n      path: " + dir.path() + "\n      file: out.jsonl\n"
                                 "      format: plain\n");
  ReplayOptions o;
  o.select.files = {dead};
  o.select.since_ns = parse_since("30m", DeadLetter::now_ns());
  o.timeout = 10s;
  std::ostringstream out, err;

  SECTION("a dry run sends nothing") {
    o.dry_run = true;
    CHECK(replay_dead_letters(cfg, o, out, err) == 1);  // other.0 isn't configured
    CHECK(out.str() == "would re-send 1 records through output file.0\n");
    CHECK_FALSE(std::filesystem::exists(dir.file("out.jsonl")));
  }
  SECTION("sent, marked, skipped the second time") {
    CHECK(replay_dead_letters(cfg, o, out, err) == 1);
    CHECK(out.str() == "output file.0: re-sent 1 records: 1 delivered, 0 dead-lettered again\n");
    CHECK(err.str().find(dead + ":4: skipped: not a JSON object") != std::string::npos);
    CHECK(err.str().find("1 records of output other.0 skipped: <config> has no output of that name") !=
          std::string::npos);
    CHECK(test::read_lines(dir.file("out.jsonl")) == std::vector<std::string>{R"({"n":1})"});
    CHECK(test::read_lines(ReplayMarks::path_for(dead)).size() == 1);

    std::ostringstream out2, err2;
    o.select.output = "file.0";
    CHECK(replay_dead_letters(cfg, o, out2, err2) == 0);
    CHECK(out2.str() == "1 records skipped: replayed before\nnothing to replay\n");
    CHECK(test::read_lines(dir.file("out.jsonl")).size() == 1);

    ListOptions l;
    l.select.files = {dead};
    std::ostringstream listed, list_err;
    CHECK(list_dead_letters(l, listed, list_err) == 0);
    CHECK(listed.str().find(dead + ": 3 records (1 replayed)\n  output file.0: 2 records (1 replayed), ") == 0);
    CHECK(listed.str().find("  output other.0: 1 records, ") != std::string::npos);
    CHECK(listed.str().find("reason: 400 mapping") != std::string::npos);
  }
}

}  // namespace SLUICE_UNITY_ID
