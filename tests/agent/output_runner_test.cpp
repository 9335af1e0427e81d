// The core's delivery machinery: batching, per-record outcomes, retries with
// backoff and Retry-After, retry limits, dead-lettering, acknowledgement and
// drain — driven through a scripted output.
#include <catch2/catch.hpp>

#include <algorithm>
#include <deque>
#include <list>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "agent/asio.hpp"
#include "agent/config/yaml_loader.hpp"
#include "agent/output_runner.hpp"
#include "agent/record.hpp"
#include "tests/support/log_capture.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace std::chrono_literals;

namespace {

// Collects acknowledgements: which cookies were delivered or failed.
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

// Answers each flush with the next scripted function of the batch; records
// which "n" values each flush carried and when.
class ScriptedOutput : public Output {
 public:
  using Script = std::function<FlushResult(const std::vector<int64_t>&)>;
  struct Shared {
    std::mutex mu;
    std::deque<Script> script;
    std::vector<std::vector<int64_t>> flushes;
    std::vector<std::chrono::steady_clock::time_point> times;
    bool stopped = false;
  };
  explicit ScriptedOutput(std::shared_ptr<Shared> s) : s_(std::move(s)) {}
  void flush(const Batch& batch, FlushDone done) override {
    std::vector<int64_t> ns;
    batch.for_each([&](const std::string&, const Event& e) { ns.push_back(e.record.find("n")->as_int()); });
    Script step;
    {
      std::lock_guard lock(s_->mu);
      s_->flushes.push_back(ns);
      s_->times.push_back(std::chrono::steady_clock::now());
      if (!s_->script.empty()) {
        step = std::move(s_->script.front());
        s_->script.pop_front();
      }
    }
    done(step ? step(ns) : FlushResult::delivered());
  }
  void stop() override { std::lock_guard lock(s_->mu); s_->stopped = true; }

 private:
  std::shared_ptr<Shared> s_;
};

OutputSettings settings(const std::string& yaml) {
  static const config::PluginSchema schema{"scripted", "", {}};
  return OutputSettings::from_config(config::load_component(schema, "output", yaml), 10ms);
}

// A chunk of `count` records {"n": first..}, acknowledged to sink as cookie.
SharedChunk make_chunk(int64_t first, int count, RecordingSink& sink, uint64_t cookie) {
  auto c = std::make_unique<Chunk>("app");
  std::vector<Member> scratch;
  for (int i = 0; i < count; ++i) {
    MapBuilder b(c->arena, scratch);
    b.add("n", Value::integer(first + i));
    c->events.push_back({first + i, b.finish()});
  }
  c->acks.emplace_back(&sink, cookie);
  return SharedChunk(std::move(c));
}

struct Fixture {
  explicit Fixture(const std::string& yaml = "retry_base: 5ms\nretry_cap: 20ms\n")
      : shared(std::make_shared<ScriptedOutput::Shared>()),
        dead_letter(dir.file("dead.jsonl")),
        runner("scripted.0", std::make_unique<ScriptedOutput>(shared), settings(yaml), TagMatcher::glob("*"),
               dead_letter, metrics) {
    runner.start();
  }
  size_t flush_count() { std::lock_guard lock(shared->mu); return shared->flushes.size(); }
  std::vector<int64_t> flush(size_t i) { std::lock_guard lock(shared->mu); return shared->flushes.at(i); }
  void script(ScriptedOutput::Script s) { std::lock_guard lock(shared->mu); shared->script.push_back(std::move(s)); }
  uint64_t metric(const char* name) { return metrics.value(name, "scripted.0"); }

  test::TempDir dir;
  RecordingSink sink;
  Metrics metrics;
  std::shared_ptr<ScriptedOutput::Shared> shared;
  DeadLetter dead_letter;
  OutputRunner runner;
};

}  // namespace

TEST_CASE("delivered batches acknowledge their chunks", "[output_runner]") {
  Fixture f;
  f.runner.enqueue(make_chunk(0, 3, f.sink, 1));
  f.runner.enqueue(make_chunk(3, 2, f.sink, 2));
  REQUIRE(test::wait_until([&] { return f.sink.ok_count() == 2; }, 5s));
  CHECK(f.metric("sluice_output_records_delivered_total") == 5);
  CHECK(f.runner.drain(std::chrono::steady_clock::now() + 1s) == 0);
  CHECK(f.shared->stopped);
  CHECK(f.sink.failed_count() == 0);
}

TEST_CASE("batches respect batch_max_records without splitting chunks", "[output_runner]") {
  Fixture f("batch_max_records: 4\nflush: 1h\n");
  for (int i = 0; i < 4; ++i) f.runner.enqueue(make_chunk(i * 2, 2, f.sink, static_cast<uint64_t>(i)));
  REQUIRE(test::wait_until([&] { return f.flush_count() >= 2; }, 5s));
  CHECK(f.flush(0) == std::vector<int64_t>{0, 1, 2, 3});
  CHECK(f.flush(1) == std::vector<int64_t>{4, 5, 6, 7});
  f.runner.drain(std::chrono::steady_clock::now() + 1s);
}

TEST_CASE("chunks arriving while the flush timer waits don't wake the worker one by one", "[output_runner]") {
  Fixture f("flush: 1h\n");
  f.runner.enqueue(make_chunk(0, 1, f.sink, 0));  // wakes the worker, which arms the flush timer
  // The worker took it in (records_total is counted on enqueue, the buffer
  // gauge by the worker); then a moment for that wakeup to end.
  REQUIRE(test::wait_until([&] { return f.metric("sluice_output_buffer_bytes") > 0; }, 5s));
  std::this_thread::sleep_for(50ms);
  for (int i = 1; i < 100; ++i) f.runner.enqueue(make_chunk(i, 1, f.sink, static_cast<uint64_t>(i)));
  // They wait in the inbox for the timer: one wakeup in all (a second at most,
  // if the first chunk's wakeup had not yet said so), not one per chunk.
  CHECK(f.runner.wakeups() <= 2);
  CHECK(f.runner.drain(std::chrono::steady_clock::now() + 5s) == 0);
  REQUIRE(f.flush_count() == 1);
  CHECK(f.flush(0).size() == 100);
  CHECK(f.sink.ok_count() == 100);
}

namespace {
// Holds every flush's answer until the test gives it.
class HeldOutput : public Output {
 public:
  struct Shared {
    std::mutex mu;
    std::vector<FlushDone> waiting;
    size_t flushes = 0;
  };
  explicit HeldOutput(std::shared_ptr<Shared> s) : s_(std::move(s)) {}
  void flush(const Batch&, FlushDone done) override {
    std::lock_guard lock(s_->mu);
    ++s_->flushes;
    s_->waiting.push_back(std::move(done));
  }
  void stop() override {}

 private:
  std::shared_ptr<Shared> s_;
};
}  // namespace

TEST_CASE("while every worker awaits an answer, overdue records wait for it without spinning", "[output_runner]") {
  auto held = std::make_shared<HeldOutput::Shared>();
  RecordingSink sink;
  Metrics metrics;
  test::TempDir dir;
  DeadLetter dead_letter(dir.file("dead.jsonl"));
  // One record per batch: the second chunk stays queued while the first is sent.
  OutputRunner runner("held.0", std::make_unique<HeldOutput>(held),
                      settings("flush: 5ms\nworkers: 1\nbatch_max_records: 1\n"), TagMatcher::glob("*"),
                      dead_letter, metrics);
  runner.start();
  auto flushes = [&] { std::lock_guard lock(held->mu); return held->flushes; };
  auto answer = [&] {
    std::lock_guard lock(held->mu);
    for (auto& done : held->waiting) done(FlushResult::delivered());
    held->waiting.clear();
  };
  runner.enqueue(make_chunk(0, 1, sink, 1));
  runner.enqueue(make_chunk(1, 1, sink, 2));
  REQUIRE(test::wait_until([&] { return flushes() == 1; }, 5s));
  uint64_t before = runner.wakeups();
  // Show that nothing runs while the answer is awaited: the second chunk is
  // overdue after 5 ms, and a timer armed then would fire again and again.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(runner.wakeups() - before <= 1);
  answer();  // the answer sends what waited
  REQUIRE(test::wait_until([&] { return flushes() == 2; }, 5s));
  answer();
  REQUIRE(test::wait_until([&] { return sink.ok_count() == 2; }, 5s));
  CHECK(runner.drain(std::chrono::steady_clock::now() + 1s) == 0);
}

TEST_CASE("a whole-batch retry resends the same records, then acknowledges", "[output_runner]") {
  Fixture f;
  f.script([](auto&) { return FlushResult::retry("503 Service Unavailable"); });
  f.script([](auto&) { return FlushResult::retry("connection reset"); });
  f.runner.enqueue(make_chunk(0, 3, f.sink, 7));
  REQUIRE(test::wait_until([&] { return f.sink.ok_count() == 1; }, 5s));
  REQUIRE(f.flush_count() == 3);
  CHECK(f.flush(1) == f.flush(0));
  CHECK(f.flush(2) == f.flush(0));
  CHECK(f.metric("sluice_output_records_retried_total") == 6);
  CHECK(f.metric("sluice_output_records_delivered_total") == 3);
  f.runner.drain(std::chrono::steady_clock::now() + 1s);
}

TEST_CASE("per-record outcomes: only retryable records are resent, permanent ones dead-lettered", "[output_runner]") {
  Fixture f;
  f.script([](auto& ns) {
    FlushResult r;
    for (int64_t n : ns) {
      if (n == 1) r.per_record.push_back({Outcome::Retry, "429 too many requests"});
      else if (n == 2) r.per_record.push_back({Outcome::Permanent, "mapper_parsing_exception"});
      else r.per_record.push_back({Outcome::Delivered, ""});
    }
    return r;
  });
  f.runner.enqueue(make_chunk(0, 4, f.sink, 1));
  REQUIRE(test::wait_until([&] { return f.sink.ok_count() == 1; }, 5s));
  REQUIRE(f.flush_count() == 2);
  CHECK(f.flush(1) == std::vector<int64_t>{1});
  CHECK(f.metric("sluice_output_records_delivered_total") == 4 - 1);
  CHECK(f.metric("sluice_output_records_dead_lettered_total") == 1);
  auto lines = test::read_lines(f.dir.file("dead.jsonl"));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find(R"("output":"scripted.0","reason":"mapper_parsing_exception","tag":"app")") != std::string::npos);
  CHECK(lines[0].find(R"("record":{"n":2}})") != std::string::npos);
  f.runner.drain(std::chrono::steady_clock::now() + 1s);
}

TEST_CASE("retry_limit sends exhausted records to the dead-letter file", "[output_runner]") {
  Fixture f("retry_limit: 2\nretry_base: 1ms\nretry_cap: 2ms\n");
  for (int i = 0; i < 5; ++i) f.script([](auto&) { return FlushResult::retry("500 Internal Server Error"); });
  f.runner.enqueue(make_chunk(0, 2, f.sink, 1));
  REQUIRE(test::wait_until([&] { return f.metric("sluice_output_records_dead_lettered_total") == 2; }, 5s));
  CHECK(f.flush_count() == 3);  // the first attempt and two retries
  auto lines = test::read_lines(f.dir.file("dead.jsonl"));
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find("retries exhausted after 3 attempts: 500 Internal Server Error") != std::string::npos);
  // Dead-lettered records are stored durably: the input may commit past them.
  REQUIRE(test::wait_until([&] { return f.sink.ok_count() == 1; }, 5s));
  f.runner.drain(std::chrono::steady_clock::now() + 1s);
}

TEST_CASE("retry_max_duration gives up on records still failing after it, to the dead-letter file", "[output_runner]") {
  Fixture f("retry_max_duration: 200ms\nretry_base: 10ms\nretry_cap: 20ms\n");
  for (int i = 0; i < 1000; ++i) f.script([](auto&) { return FlushResult::retry("503 Service Unavailable"); });
  auto enqueued = std::chrono::steady_clock::now();
  f.runner.enqueue(make_chunk(0, 2, f.sink, 1));
  REQUIRE(test::wait_until([&] { return f.metric("sluice_output_records_dead_lettered_total") == 2; }, 10s));
  // Not before retry_max_duration had passed since the first failure, and
  // retrying until then (with waits of at most 20 ms).
  CHECK(std::chrono::steady_clock::now() - enqueued >= 200ms);
  CHECK(f.flush_count() >= 3);
  auto lines = test::read_lines(f.dir.file("dead.jsonl"));
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find(R"("reason":"retry_max_duration exceeded: 503 Service Unavailable")") != std::string::npos);
  REQUIRE(test::wait_until([&] { return f.sink.ok_count() == 1; }, 5s));  // stored: the input may commit past it
  f.runner.drain(std::chrono::steady_clock::now() + 1s);
}

TEST_CASE("the retry wait is drawn from [0, retry_base] for the first retry", "[output_runner]") {
  test::LogCapture captured;
  Fixture f("retry_base: 300ms\nretry_cap: 10s\n");
  f.script([](auto&) { return FlushResult::retry("503 Service Unavailable"); });
  f.runner.enqueue(make_chunk(0, 1, f.sink, 1));
  REQUIRE(test::wait_until([&] { return f.sink.ok_count() == 1; }, 5s));
  std::smatch m;
  std::string text = captured.text();
  REQUIRE(std::regex_search(text, m, std::regex("1 records will be retried in (\\d+) ms \\(attempt 2\\)")));
  CHECK(std::stoi(m[1]) <= 300);
  f.runner.drain(std::chrono::steady_clock::now() + 1s);
}

TEST_CASE("a permanent failure of the whole batch dead-letters it without retrying", "[output_runner]") {
  Fixture f;
  f.script([](auto&) { return FlushResult::permanent("400 Bad Request: invalid stream"); });
  f.runner.enqueue(make_chunk(0, 2, f.sink, 1));
  REQUIRE(test::wait_until([&] { return f.metric("sluice_output_records_dead_lettered_total") == 2; }, 5s));
  CHECK(f.flush_count() == 1);
  CHECK(f.metric("sluice_output_records_retried_total") == 0);
  f.runner.drain(std::chrono::steady_clock::now() + 1s);
}

TEST_CASE("Retry-After from the backend sets the wait before the next attempt", "[output_runner]") {
  Fixture f("retry_base: 1ms\nretry_cap: 1ms\n");
  f.script([](auto&) {
    auto r = FlushResult::retry("429 Too Many Requests");
    r.retry_after = 300ms;
    return r;
  });
  f.runner.enqueue(make_chunk(0, 1, f.sink, 1));
  REQUIRE(test::wait_until([&] { return f.sink.ok_count() == 1; }, 5s));
  std::lock_guard lock(f.shared->mu);
  REQUIRE(f.shared->times.size() == 2);
  CHECK(f.shared->times[1] - f.shared->times[0] >= 300ms);
}

TEST_CASE("drain gives up at the deadline and leaves undelivered data unacknowledged", "[output_runner]") {
  Fixture f("retry_base: 50ms\nretry_cap: 50ms\n");
  for (int i = 0; i < 1000; ++i) f.script([](auto&) { return FlushResult::retry("backend down"); });
  f.runner.enqueue(make_chunk(0, 3, f.sink, 1));
  f.runner.enqueue(make_chunk(3, 2, f.sink, 2));
  REQUIRE(test::wait_until([&] { return f.flush_count() >= 1; }, 5s));
  uint64_t left = f.runner.drain(std::chrono::steady_clock::now() + 200ms);
  CHECK(left == 5);
  CHECK(f.shared->stopped);
  REQUIRE(test::wait_until([&] { return f.sink.failed_count() == 2; }, 5s));
  CHECK(f.sink.ok_count() == 0);
}

TEST_CASE("buffer.when_full drop_newest drops new chunks when the buffer is full, counted and logged", "[output_runner]") {
  test::LogCapture captured;
  Fixture f("mem_buf_limit: 1\nbuffer.when_full: drop_newest\nflush: 1h\nbatch_max_records: 1000000\nbatch_max_bytes: 1G\n");
  f.runner.enqueue(make_chunk(0, 1, f.sink, 1));
  REQUIRE(test::wait_until([&] { return f.metric("sluice_output_buffer_bytes") > 0; }, 5s));
  f.runner.enqueue(make_chunk(1, 4, f.sink, 2));
  f.runner.enqueue(make_chunk(5, 2, f.sink, 3));
  CHECK(f.metric("sluice_output_records_dropped_total") == 6);
  CHECK_FALSE(f.runner.blocking_full());
  // Dropped on purpose: acknowledged, so a file input may commit past them.
  CHECK(f.sink.ok_count() == 2);
  CHECK(f.runner.drain(std::chrono::steady_clock::now() + 1s) == 0);
  REQUIRE(f.flush_count() == 1);
  CHECK(f.flush(0) == std::vector<int64_t>{0});  // the oldest is kept
  CHECK(f.sink.ok_count() == 3);
  CHECK(f.sink.failed_count() == 0);
  CHECK(captured.count("output scripted.0: buffer full (mem_buf_limit), dropped 4 new records (1 drops so far)") == 1);
}

TEST_CASE("buffer.when_full drop_oldest drops the oldest queued chunks, counted and logged", "[output_runner]") {
  test::LogCapture captured;
  Fixture f("mem_buf_limit: 1\nbuffer.when_full: drop_oldest\nflush: 1h\nbatch_max_records: 1000000\nbatch_max_bytes: 1G\n");
  f.runner.enqueue(make_chunk(0, 1, f.sink, 1));
  f.runner.enqueue(make_chunk(1, 4, f.sink, 2));
  f.runner.enqueue(make_chunk(5, 2, f.sink, 3));
  // Each new chunk pushes the one before it out: only the newest stays.
  REQUIRE(test::wait_until([&] { return f.metric("sluice_output_records_dropped_total") == 5; }, 5s));
  CHECK(f.sink.ok_count() == 2);
  CHECK_FALSE(f.runner.blocking_full());
  CHECK(f.runner.drain(std::chrono::steady_clock::now() + 1s) == 0);
  REQUIRE(f.flush_count() == 1);
  CHECK(f.flush(0) == std::vector<int64_t>{5, 6});
  CHECK(f.metric("sluice_output_records_delivered_total") == 2);
  CHECK(f.sink.ok_count() == 3);
  CHECK(captured.count("output scripted.0: buffer full (mem_buf_limit), dropped the oldest records (1 drops so far)") == 1);
}

TEST_CASE("buffer.when_full block reports a full buffer so inputs pause", "[output_runner]") {
  Fixture f("mem_buf_limit: 1\nflush: 1h\nbatch_max_records: 1000000\nbatch_max_bytes: 1G\n");
  f.runner.enqueue(make_chunk(0, 1, f.sink, 1));
  CHECK(f.runner.blocking_full());
  CHECK(f.runner.drain(std::chrono::steady_clock::now() + 1s) == 0);
  CHECK(f.sink.ok_count() == 1);
}

TEST_CASE("output retry settings are validated", "[output_runner]") {
  auto error = [](const std::string& yaml) {
    try {
      settings(yaml);
    } catch (const config::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error("retry_limit: often").find("key 'retry_limit': expects a number >= 0, no_limits, false, off or no_retries, "
                                         "got 'often'") != std::string::npos);
  CHECK(error("retry_base: 0s").find("key 'retry_base': must be greater than zero") != std::string::npos);
  CHECK(error("retry_base: 10s\nretry_cap: 1s").find("key 'retry_cap': must not be smaller than retry_base") !=
        std::string::npos);
  CHECK(error("workers: 0").find("key 'workers': expects 1 to 64") != std::string::npos);
  CHECK(error("buffer.when_full: drop").find("expects one of block, drop_newest, drop_oldest") != std::string::npos);
  CHECK(settings("retry_base: 10s").retry_cap == std::chrono::seconds(10));  // the default cap (5s) follows it
  CHECK(settings("workers: 1").retry_cap == std::chrono::seconds(5));
  CHECK(settings("retry_limit: no_retries").retry_limit == 0);
  CHECK_FALSE(settings("retry_limit: false").retry_limit.has_value());
  CHECK(settings("retry_limit: 5").retry_limit == 5);
}

namespace {

// Keeps each flush's answer back until the test gives it (a request in flight).
class AnswerLaterOutput : public Output {
 public:
  void flush(const Batch& batch, FlushDone done) override {
    std::vector<int64_t> ns;
    batch.for_each([&](const std::string&, const Event& e) { ns.push_back(e.record.find("n")->as_int()); });
    std::lock_guard lock(mu);
    held.emplace_back(std::move(ns), std::move(done));
  }
  size_t count() { std::lock_guard lock(mu); return held.size(); }
  void answer(size_t i, FlushResult r) {
    FlushDone done;
    {
      std::lock_guard lock(mu);
      done = std::move(held.at(i).second);
    }
    done(std::move(r));
  }
  std::mutex mu;
  std::vector<std::pair<std::vector<int64_t>, FlushDone>> held;
};

}  // namespace

TEST_CASE("a reload's hand-over moves the queue and the batches waiting for a retry to the new version",
          "[output_runner][reload]") {
  // The old version: its first batch fails and waits an hour for its retry
  // (the backend's Retry-After); the next chunk waits in the queue (flush: 1h,
  // under batch_max_records).
  Fixture old_version("flush: 1h\nbatch_max_records: 3\n");
  old_version.script([](auto&) {
    auto r = FlushResult::retry("503 Service Unavailable");
    r.retry_after = std::chrono::hours(1);
    return r;
  });
  old_version.runner.enqueue(make_chunk(0, 3, old_version.sink, 1));
  REQUIRE(test::wait_until([&] { return old_version.metric("sluice_output_retry_queue") == 1; }, 5s));
  old_version.runner.enqueue(make_chunk(3, 1, old_version.sink, 2));

  Fixture new_version("flush: 10ms\n");
  std::atomic<bool> retired{false};
  old_version.runner.hand_over(new_version.runner, [&] { retired = true; });
  bool acked = test::wait_until([&] { return old_version.sink.ok_count() == 2; }, 5s);
  INFO("new version flushes: " << new_version.flush_count() << ", acks " << old_version.sink.ok_count() << "/"
                               << old_version.sink.failed_count() << ", retired " << retired.load());
  REQUIRE(acked);
  REQUIRE(retired.load());
  // Sent again at once by the new version, each record once; the old one
  // sent nothing more and stopped.
  std::multiset<int64_t> sent;
  for (size_t i = 0; i < new_version.flush_count(); ++i)
    for (int64_t n : new_version.flush(i)) sent.insert(n);
  CHECK(sent == std::multiset<int64_t>{0, 1, 2, 3});
  CHECK(old_version.flush_count() == 1);
  CHECK(old_version.shared->stopped);
  CHECK(old_version.metric("sluice_output_retry_queue") == 0);
  CHECK(old_version.sink.failed_count() == 0);
  // The records were counted in once (both versions share the instance's counters).
  CHECK(old_version.metric("sluice_output_records_total") == 4);
  CHECK(old_version.runner.drain(std::chrono::steady_clock::now() + 1s) == 0);
  new_version.runner.drain(std::chrono::steady_clock::now() + 1s);
}

TEST_CASE("a batch in flight at a hand-over finishes in the old version, and a retryable answer moves to the new one",
          "[output_runner][reload]") {
  test::TempDir dir;
  Metrics metrics;
  RecordingSink sink;
  DeadLetter dead_letter(dir.file("dead.jsonl"));
  auto held = std::make_unique<AnswerLaterOutput>();
  AnswerLaterOutput& old_output = *held;
  OutputRunner old_version("out", std::move(held), settings("flush: 10ms\nworkers: 2\nbatch_max_records: 2\n"),
                           TagMatcher::glob("*"), dead_letter, metrics);
  old_version.start();
  old_version.enqueue(make_chunk(0, 2, sink, 1));
  old_version.enqueue(make_chunk(2, 2, sink, 2));
  REQUIRE(test::wait_until([&] { return old_output.count() == 2; }, 5s));

  auto scripted = std::make_shared<ScriptedOutput::Shared>();
  OutputRunner new_version("out", std::make_unique<ScriptedOutput>(scripted), settings("flush: 10ms\n"),
                           TagMatcher::glob("*"), dead_letter, metrics);
  new_version.start();
  std::atomic<bool> retired{false};
  old_version.hand_over(new_version, [&] { retired = true; });
  old_output.answer(0, FlushResult::delivered());
  REQUIRE(test::wait_until([&] { return sink.ok_count() == 1; }, 5s));
  CHECK_FALSE(retired.load());  // the second batch is still in flight
  old_output.answer(1, FlushResult::retry("connection reset"));
  REQUIRE(test::wait_until([&] { return sink.ok_count() == 2; }, 5s));
  REQUIRE(test::wait_until([&] { return retired.load(); }, 5s));
  {
    std::lock_guard lock(scripted->mu);
    REQUIRE(scripted->flushes.size() == 1);
    CHECK(scripted->flushes[0] == std::vector<int64_t>{2, 3});
  }
  CHECK(metrics.value("sluice_output_records_delivered_total", "out") == 4);
  CHECK(sink.failed_count() == 0);
  new_version.drain(std::chrono::steady_clock::now() + 1s);
  old_version.drain(std::chrono::steady_clock::now() + 1s);
}

// ---- the backend's state belongs to the output: one backoff, probes, fast recovery ----

namespace {

// A backend the test switches at run time: up, down (every request fails,
// no Retry-After) or throttling (429 with a Retry-After). It answers each
// request `latency` after it came (a timer on the output's thread), so
// requests are really in flight together; it records each one.
class FakeBackend : public Output {
 public:
  enum class Mode { Up, Down, Throttling };
  struct Request {
    std::vector<int64_t> ns;
    Mode mode;
    int in_flight_before;  // requests already in flight when it came
  };
  struct Shared {
    std::mutex mu;
    Mode mode = Mode::Up;
    std::chrono::milliseconds retry_after{0};
    std::chrono::milliseconds latency{20};
    std::vector<Request> requests;
    int in_flight = 0;
    int max_in_flight = 0;

    void set(Mode m) { std::lock_guard lock(mu); mode = m; }
    std::vector<Request> seen() { std::lock_guard lock(mu); return requests; }
    size_t count(Mode m) {
      std::lock_guard lock(mu);
      return std::count_if(requests.begin(), requests.end(), [&](const Request& r) { return r.mode == m; });
    }
  };
  explicit FakeBackend(std::shared_ptr<Shared> s) : s_(std::move(s)) {}
  void start(OutputContext& ctx) override { io_ = &ctx.io(); }
  void flush(const Batch& batch, FlushDone done) override {
    Request req{{}, Mode::Up, 0};
    batch.for_each([&](const std::string&, const Event& e) { req.ns.push_back(e.record.find("n")->as_int()); });
    std::chrono::milliseconds retry_after, latency;
    {
      std::lock_guard lock(s_->mu);
      req.mode = s_->mode;
      req.in_flight_before = s_->in_flight++;
      s_->max_in_flight = std::max(s_->max_in_flight, s_->in_flight);
      s_->requests.push_back(req);
      retry_after = s_->retry_after;
      latency = s_->latency;
    }
    auto& timer = timers_.emplace_back(*io_, latency);
    timer.async_wait([this, mode = req.mode, retry_after, done = std::move(done)](boost::system::error_code ec) {
      if (ec) return;  // the output stopped
      {
        std::lock_guard lock(s_->mu);
        --s_->in_flight;
      }
      if (mode == Mode::Up) return done(FlushResult::delivered());
      if (mode == Mode::Down) return done(FlushResult::retry("503 Service Unavailable"));
      auto r = FlushResult::retry("429 Too Many Requests");
      r.retry_after = retry_after;
      done(std::move(r));
    });
  }

 private:
  std::shared_ptr<Shared> s_;
  boost::asio::io_context* io_ = nullptr;
  std::list<boost::asio::steady_timer> timers_;  // destroyed (cancelled) with the output, before its io_context
};

struct BackendFixture {
  explicit BackendFixture(const std::string& yaml)
      : backend(std::make_shared<FakeBackend::Shared>()),
        dead_letter(dir.file("dead.jsonl")),
        runner("backend.0", std::make_unique<FakeBackend>(backend), settings(yaml), TagMatcher::glob("*"),
               dead_letter, metrics) {
    runner.start();
  }
  uint64_t metric(const char* name) { return metrics.value(name, "backend.0"); }

  test::TempDir dir;
  RecordingSink sink;
  Metrics metrics;
  std::shared_ptr<FakeBackend::Shared> backend;
  DeadLetter dead_letter;
  OutputRunner runner;
};

// Each record in the Up requests, counted.
std::map<int64_t, int> delivered_counts(const std::vector<FakeBackend::Request>& requests) {
  std::map<int64_t, int> counts;
  for (const auto& r : requests)
    if (r.mode == FakeBackend::Mode::Up)
      for (int64_t n : r.ns) ++counts[n];
  return counts;
}

}  // namespace

TEST_CASE("Retry-After pauses the whole output: during a 429 storm only one probe per Retry-After goes out",
          "[output_runner][backoff]") {
  // A backoff of an hour: only the backend's Retry-After can bring a retry in time.
  BackendFixture f("workers: 2\nflush: 10ms\nbatch_max_records: 5\nretry_base: 1h\nretry_cap: 1h\n");
  {
    std::lock_guard lock(f.backend->mu);
    f.backend->mode = FakeBackend::Mode::Throttling;
    f.backend->retry_after = 200ms;
  }
  // A steady load through the storm: a record every 10 ms for about a second.
  auto storm_began = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) {
    f.runner.enqueue(make_chunk(i, 1, f.sink, static_cast<uint64_t>(i)));
    std::this_thread::sleep_for(10ms);
  }
  REQUIRE(test::wait_until([&] { return f.metric("sluice_output_backoff_active") == 1; }, 5s));
  f.backend->set(FakeBackend::Mode::Up);
  auto storm = std::chrono::steady_clock::now() - storm_began;
  REQUIRE(test::wait_until([&] { return f.sink.ok_count() == 100; }, 5s));

  // Before the first 429 came back, up to `workers` requests were out; after
  // it, one probe per 200 ms pause (and one more that may have been out at
  // the switch). Batches of their own would have sent one request per flush.
  auto probes_allowed = static_cast<size_t>(storm / 200ms) + 2 + 1;
  INFO("storm of " << std::chrono::duration_cast<std::chrono::milliseconds>(storm).count() << " ms");
  CHECK(f.backend->count(FakeBackend::Mode::Throttling) <= probes_allowed);
  CHECK(delivered_counts(f.backend->seen()) == [] {
    std::map<int64_t, int> once;
    for (int64_t i = 0; i < 100; ++i) once[i] = 1;
    return once;
  }());
  CHECK(f.metric("sluice_output_records_delivered_total") == 100);
  CHECK(f.metric("sluice_output_backoff_active") == 0);
  CHECK(f.metric("sluice_output_retry_queue") == 0);
  CHECK(f.sink.failed_count() == 0);
  CHECK(f.runner.drain(std::chrono::steady_clock::now() + 1s) == 0);
}

TEST_CASE("while the backend is down only the oldest failed batch is sent, as a probe, and when it is back "
          "the waiting batches go out at once, bounded by workers",
          "[output_runner][backoff]") {
  BackendFixture f("workers: 3\nflush: 10ms\nbatch_max_records: 2\nretry_base: 100ms\nretry_cap: 200ms\n");
  f.backend->set(FakeBackend::Mode::Down);
  for (int i = 0; i < 20; ++i) f.runner.enqueue(make_chunk(i * 2, 2, f.sink, static_cast<uint64_t>(i)));
  // Down for a while: several probes.
  REQUIRE(test::wait_until([&] { return f.backend->count(FakeBackend::Mode::Down) >= 6; }, 10s));
  CHECK(f.metric("sluice_output_backoff_active") == 1);
  f.backend->set(FakeBackend::Mode::Up);
  REQUIRE(test::wait_until([&] { return f.sink.ok_count() == 20; }, 5s));

  auto requests = f.backend->seen();
  // The first requests went out together, before any answer (up to
  // `workers`); after the first failure, every request while down was the
  // probe: the oldest failed batch, alone.
  REQUIRE(requests.at(0).ns == std::vector<int64_t>{0, 1});
  size_t burst = 0;
  while (burst < requests.size() && requests[burst].in_flight_before == static_cast<int>(burst)) ++burst;
  CHECK(burst <= 3);
  for (size_t k = burst; k < requests.size() && requests[k].mode == FakeBackend::Mode::Down; ++k) {
    INFO("request " << k);
    CHECK(requests[k].ns == std::vector<int64_t>{0, 1});
  }
  // Back up: the probe got through, then the 19 other batches, up to 3 at once.
  std::vector<int> in_flight_up;
  for (const auto& r : requests)
    if (r.mode == FakeBackend::Mode::Up) in_flight_up.push_back(r.in_flight_before);
  CHECK(in_flight_up.size() >= 20);
  CHECK(*std::max_element(in_flight_up.begin(), in_flight_up.end()) == 2);  // 3 in flight: all workers busy
  {
    std::lock_guard lock(f.backend->mu);
    CHECK(f.backend->max_in_flight <= 3);
  }
  std::map<int64_t, int> once;
  for (int64_t n = 0; n < 40; ++n) once[n] = 1;
  CHECK(delivered_counts(requests) == once);
  CHECK(f.metric("sluice_output_backoff_active") == 0);
  CHECK(f.runner.drain(std::chrono::steady_clock::now() + 1s) == 0);
}

TEST_CASE("retry_limit counts a batch's own failed sends: waiting out the output's backoff spends none",
          "[output_runner][backoff]") {
  BackendFixture f("retry_limit: 1\nworkers: 1\nflush: 10ms\nbatch_max_records: 2\nretry_base: 10ms\nretry_cap: 20ms\n");
  f.backend->set(FakeBackend::Mode::Down);
  f.runner.enqueue(make_chunk(0, 2, f.sink, 1));
  f.runner.enqueue(make_chunk(2, 2, f.sink, 2));
  f.runner.enqueue(make_chunk(4, 2, f.sink, 3));
  REQUIRE(test::wait_until([&] { return f.metric("sluice_output_records_dead_lettered_total") == 6; }, 10s));
  // Each batch was sent twice (the first attempt and one retry), in turn:
  // the later ones waited while the first was the probe, and still had
  // their own retry.
  std::map<std::vector<int64_t>, int> sends;
  for (const auto& r : f.backend->seen()) ++sends[r.ns];
  CHECK(sends == std::map<std::vector<int64_t>, int>{{{0, 1}, 2}, {{2, 3}, 2}, {{4, 5}, 2}});
  auto lines = test::read_lines(f.dir.file("dead.jsonl"));
  REQUIRE(lines.size() == 6);
  for (const auto& l : lines) CHECK(l.find("retries exhausted after 2 attempts: 503 Service Unavailable") != std::string::npos);
  REQUIRE(test::wait_until([&] { return f.sink.ok_count() == 3; }, 5s));  // dead-lettered: stored for good
  f.runner.drain(std::chrono::steady_clock::now() + 1s);
}

TEST_CASE("a permanent failure doesn't pause the output", "[output_runner][backoff]") {
  // A backoff of an hour: had the 400 paused the output, nothing would follow in time.
  Fixture f("retry_base: 1h\nretry_cap: 1h\nbatch_max_records: 1\nworkers: 1\nflush: 5ms\n");
  f.script([](auto&) { return FlushResult::permanent("400 Bad Request: invalid stream"); });
  for (int i = 0; i < 3; ++i) f.runner.enqueue(make_chunk(i, 1, f.sink, static_cast<uint64_t>(i)));
  REQUIRE(test::wait_until([&] { return f.sink.ok_count() == 3; }, 5s));
  CHECK(f.flush_count() == 3);
  CHECK(f.metric("sluice_output_records_dead_lettered_total") == 1);
  CHECK(f.metric("sluice_output_records_delivered_total") == 2);
  CHECK(f.metric("sluice_output_backoff_active") == 0);
  f.runner.drain(std::chrono::steady_clock::now() + 1s);
}

TEST_CASE("while the output backs off, new chunks wait without waking the worker one by one",
          "[output_runner][backoff]") {
  // Each chunk is a full batch (batch_max_records: 1): were the output not
  // backing off, each would wake the worker to be sent.
  Fixture f("batch_max_records: 1\nflush: 5ms\n");
  f.script([](auto&) {
    auto r = FlushResult::retry("429 Too Many Requests");
    r.retry_after = std::chrono::hours(1);
    return r;
  });
  f.runner.enqueue(make_chunk(0, 1, f.sink, 0));
  REQUIRE(test::wait_until([&] { return f.metric("sluice_output_backoff_active") == 1; }, 5s));
  REQUIRE(test::wait_until([&] { return f.metric("sluice_output_retry_queue") == 1; }, 5s));
  uint64_t before = f.runner.wakeups();
  for (int i = 1; i < 50; ++i) f.runner.enqueue(make_chunk(i, 1, f.sink, static_cast<uint64_t>(i)));
  // Give a spinning timer or per-chunk wakeups the time to show.
  std::this_thread::sleep_for(100ms);
  CHECK(f.runner.wakeups() - before <= 1);
  CHECK(f.flush_count() == 1);  // nothing but the first request
  auto health = f.runner.health();
  CHECK(health.failing);
  CHECK(health.retry_queue == 1);
  CHECK(health.oldest_pending.has_value());
  CHECK(health.undelivered_records == 50);  // the new ones too, though the worker hasn't looked at them yet
  CHECK(f.metric("sluice_output_records_total") == 50);
  // At shutdown the pause still holds: nothing more is sent, nothing acknowledged.
  CHECK(f.runner.drain(std::chrono::steady_clock::now() + 200ms) == 50);
  CHECK(f.flush_count() == 1);
  REQUIRE(test::wait_until([&] { return f.sink.failed_count() == 50; }, 5s));
}

TEST_CASE("a reload's new version of an output that was backing off probes with one batch before sending more",
          "[output_runner][backoff][reload]") {
  Fixture old_version("flush: 1h\nbatch_max_records: 2\n");
  old_version.script([](auto&) {
    auto r = FlushResult::retry("429 Too Many Requests");
    r.retry_after = std::chrono::hours(1);
    return r;
  });
  old_version.runner.enqueue(make_chunk(0, 2, old_version.sink, 1));
  REQUIRE(test::wait_until([&] { return old_version.metric("sluice_output_retry_queue") == 1; }, 5s));
  for (int i = 1; i < 6; ++i) old_version.runner.enqueue(make_chunk(i * 2, 2, old_version.sink, static_cast<uint64_t>(i + 1)));

  BackendFixture new_version("workers: 3\nflush: 10ms\nbatch_max_records: 2\n");
  std::atomic<bool> retired{false};
  old_version.runner.hand_over(new_version.runner, [&] { retired = true; });
  REQUIRE(test::wait_until([&] { return old_version.sink.ok_count() == 6; }, 5s));
  REQUIRE(test::wait_until([&] { return retired.load(); }, 5s));
  auto requests = new_version.backend->seen();
  REQUIRE(requests.size() == 6);
  CHECK(requests[0].ns == std::vector<int64_t>{0, 1});  // the batch that was retrying, alone
  CHECK(requests[1].in_flight_before == 0);             // the rest only after its answer
  std::map<int64_t, int> once;
  for (int64_t n = 0; n < 12; ++n) once[n] = 1;
  CHECK(delivered_counts(requests) == once);
  CHECK(old_version.runner.drain(std::chrono::steady_clock::now() + 1s) == 0);
  new_version.runner.drain(std::chrono::steady_clock::now() + 1s);
}

}  // namespace SLUICE_UNITY_ID
