// The pipeline stage: filters run in order on matching tags only, records
// reach every matching output, and chunks emptied by filters or matched by
// no output are released (acknowledged) and counted.
#include <catch2/catch.hpp>

#include <mutex>
#include <sstream>

#include "agent/asio.hpp"
#include "agent/config/yaml_loader.hpp"
#include "agent/pipeline.hpp"
#include "agent/record.hpp"
#include "tests/support/log_capture.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace std::chrono_literals;

namespace {

class CountingSink : public AckSink {
 public:
  void acknowledged(uint64_t, bool delivered) override {
    std::lock_guard lock(mu);
    (delivered ? ok : failed)++;
  }
  int ok_count() { std::lock_guard lock(mu); return ok; }
  std::mutex mu;
  int ok = 0, failed = 0;
};

// Appends its name to the record's "path" string.
class MarkFilter : public Filter {
 public:
  explicit MarkFilter(std::string name) : name_(std::move(name)) {}
  void filter(Chunk& chunk) override {
    for (auto& e : chunk.events) {
      std::string path(e.record.find("path")->as_string());
      path += name_;
      record::set(e.record, chunk.arena, "path", record::string(chunk.arena, path));
    }
  }
 private:
  std::string name_;
};

// Drops every event.
class DropAll : public Filter {
 public:
  void filter(Chunk& chunk) override { chunk.events.clear(); }
};

class Capture : public Output {
 public:
  struct Seen {
    std::mutex mu;
    std::vector<std::string> paths;
  };
  explicit Capture(std::shared_ptr<Seen> s) : s_(std::move(s)) {}
  void flush(const Batch& batch, FlushDone done) override {
    std::lock_guard lock(s_->mu);
    batch.for_each([&](const std::string& tag, const Event& e) {
      s_->paths.push_back(tag + ":" + std::string(e.record.find("path")->as_string()));
    });
    done(FlushResult::delivered());
  }
 private:
  std::shared_ptr<Seen> s_;
};

// Takes batches but answers none until the test opens the gate, so a test
// can look at a full buffer without racing the output's thread.
class GatedOutput : public Output {
 public:
  struct Gate {
    std::mutex mu;
    boost::asio::io_context* io = nullptr;
    std::vector<FlushDone> waiting;
    bool open = false;
    size_t batches = 0;
    size_t count() { std::lock_guard lock(mu); return batches; }
    void close() { std::lock_guard lock(mu); open = false; }
    // Answers the held batches (on the output's thread) and every later one at once.
    void release() {
      std::lock_guard lock(mu);
      open = true;
      boost::asio::post(*io, [held = std::move(waiting)] {
        for (const auto& done : held) done(FlushResult::delivered());
      });
      waiting.clear();
    }
  };
  explicit GatedOutput(std::shared_ptr<Gate> g) : g_(std::move(g)) {}
  void start(OutputContext& ctx) override { std::lock_guard lock(g_->mu); g_->io = &ctx.io(); }
  void flush(const Batch&, FlushDone done) override {
    std::unique_lock lock(g_->mu);
    ++g_->batches;
    if (!g_->open) {
      g_->waiting.push_back(std::move(done));
      return;
    }
    lock.unlock();
    done(FlushResult::delivered());
  }

 private:
  std::shared_ptr<Gate> g_;
};

ChunkPtr chunk(const std::string& tag, CountingSink& sink) {
  auto c = std::make_unique<Chunk>(tag);
  std::vector<Member> scratch;
  MapBuilder b(c->arena, scratch);
  b.add("path", Value::string(""));
  c->events.push_back({1, b.finish()});
  c->acks.emplace_back(&sink, 1);
  return c;
}

OutputSettings fast() {
  static const config::PluginSchema schema{"capture", "", {}};
  return OutputSettings::from_config(config::load_component(schema, "output", "flush: 0s"), 0s);
}

}  // namespace

TEST_CASE("filters run in order on matching tags, outputs get what matches", "[pipeline]") {
  test::TempDir dir;
  Metrics metrics;
  DeadLetter dl(dir.file("dl.jsonl"));
  auto all = std::make_shared<Capture::Seen>();
  auto web = std::make_shared<Capture::Seen>();
  OutputRunner out_all("all", std::make_unique<Capture>(all), fast(), TagMatcher::glob("*"), dl, metrics);
  OutputRunner out_web("web", std::make_unique<Capture>(web), fast(), TagMatcher::glob("app.web*"), dl, metrics);
  out_all.start();
  out_web.start();
  std::vector<FilterSlot> filters;
  filters.push_back({"a", TagMatcher::glob("app.*"), std::make_unique<MarkFilter>("A")});
  filters.push_back({"b", TagMatcher::glob("app.web"), std::make_unique<MarkFilter>("B")});
  filters.push_back({"drop", TagMatcher::glob("noise"), std::make_unique<DropAll>()});
  filters.push_back({"c", TagMatcher::glob("*"), std::make_unique<MarkFilter>("C")});
  Pipeline pipeline(std::move(filters), {&out_all, &out_web}, 1 << 20, metrics);
  CountingSink sink;

  pipeline.submit(chunk("app.web", sink));
  pipeline.submit(chunk("app.db", sink));
  pipeline.submit(chunk("other", sink));
  pipeline.submit(chunk("noise", sink));
  // A filter's own emission continues after that filter: only "c" runs.
  pipeline.submit(chunk("app.web", sink), 3);

  REQUIRE(test::wait_until([&] { return sink.ok_count() == 5; }, 5s));
  out_all.drain(std::chrono::steady_clock::now() + 1s);
  out_web.drain(std::chrono::steady_clock::now() + 1s);
  CHECK(all->paths == std::vector<std::string>{"app.web:ABC", "app.db:AC", "other:C", "app.web:C"});
  CHECK(web->paths == std::vector<std::string>{"app.web:ABC", "app.web:C"});
  CHECK(sink.failed == 0);
}

TEST_CASE("records no output matches are counted and released", "[pipeline]") {
  test::TempDir dir;
  Metrics metrics;
  DeadLetter dl(dir.file("dl.jsonl"));
  auto seen = std::make_shared<Capture::Seen>();
  OutputRunner out("only", std::make_unique<Capture>(seen), fast(), TagMatcher::glob("app"), dl, metrics);
  out.start();
  Pipeline pipeline({}, {&out}, 1 << 20, metrics);
  CountingSink sink;
  pipeline.submit(chunk("elsewhere", sink));
  CHECK(sink.ok_count() == 1);
  CHECK(metrics.value("sluice_records_unrouted_total", "pipeline") == 1);
  out.drain(std::chrono::steady_clock::now() + 1s);
}

TEST_CASE("the memory budget pauses inputs until chunks are delivered", "[pipeline]") {
  test::TempDir dir;
  Metrics metrics;
  DeadLetter dl(dir.file("dl.jsonl"));
  auto gate = std::make_shared<GatedOutput::Gate>();
  OutputRunner out("gated", std::make_unique<GatedOutput>(gate), fast(), TagMatcher::glob("*"), dl, metrics);
  out.start();
  Pipeline pipeline({}, {&out}, 1, metrics);  // one byte: any chunk fills it
  CountingSink sink;
  CHECK_FALSE(pipeline.paused());
  pipeline.submit(chunk("app", sink));
  // Held by the output (sent, not answered): the budget stays full.
  REQUIRE(test::wait_until([&] { return gate->count() == 1; }, 5s));
  CHECK(pipeline.paused());
  CHECK(metrics.value("sluice_input_pauses_total", "pipeline") == 1);
  CHECK(sink.ok_count() == 0);
  gate->release();
  REQUIRE(test::wait_until([&] { return !pipeline.paused(); }, 5s));
  CHECK(sink.ok_count() == 1);
  CHECK(metrics.value("sluice_input_pauses_total", "pipeline") == 1);
  out.drain(std::chrono::steady_clock::now() + 1s);
}

TEST_CASE("pauses are all counted, but only the first of a minute is logged", "[pipeline]") {
  // Under steady backpressure inputs pause and resume hundreds of times a
  // second: one line a minute says so without flooding the log.
  test::LogCapture captured;

  test::TempDir dir;
  Metrics metrics;
  DeadLetter dl(dir.file("dl.jsonl"));
  auto gate = std::make_shared<GatedOutput::Gate>();
  OutputRunner out("fast", std::make_unique<GatedOutput>(gate), fast(), TagMatcher::glob("*"), dl, metrics);
  out.start();
  Pipeline pipeline({}, {&out}, 1, metrics);  // one byte: any chunk fills it
  CountingSink sink;
  for (int i = 0; i < 5; ++i) {
    pipeline.submit(chunk("app", sink));
    REQUIRE(test::wait_until([&] { return gate->count() == static_cast<size_t>(i + 1); }, 5s));
    CHECK(pipeline.paused());  // the batch is held: the budget is full
    gate->release();
    REQUIRE(test::wait_until([&] { return !pipeline.paused(); }, 5s));
    gate->close();
  }
  out.drain(std::chrono::steady_clock::now() + 1s);

  CHECK(metrics.value("sluice_input_pauses_total", "pipeline") == 5);
  CHECK(captured.count("inputs paused: output fast buffer is full") + captured.count("inputs paused: service.mem_limit reached") ==
        1);
  CHECK(captured.count("inputs resumed") == 1);
  CHECK(sink.ok_count() == 5);
}

}  // namespace SLUICE_UNITY_ID
