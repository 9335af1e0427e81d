// The pipeline stage: filters run in order on matching tags only, records
// reach every matching output, and chunks emptied by filters or matched by
// no output are released (acknowledged) and counted.
#include <catch2/catch.hpp>

#include <mutex>
#include <sstream>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "agent/config/yaml_loader.hpp"
#include "agent/pipeline.hpp"
#include "agent/record.hpp"
#include "tests/support/process.hpp"

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
  auto seen = std::make_shared<Capture::Seen>();
  static const config::PluginSchema schema{"capture", "", {}};
  auto slow = OutputSettings::from_config(config::load_component(schema, "output", "flush: 300ms"), 0s);
  OutputRunner out("slow", std::make_unique<Capture>(seen), slow, TagMatcher::glob("*"), dl, metrics);
  out.start();
  Pipeline pipeline({}, {&out}, 1, metrics);  // one byte: any chunk fills it
  CountingSink sink;
  CHECK_FALSE(pipeline.paused());
  pipeline.submit(chunk("app", sink));
  CHECK(pipeline.paused());
  CHECK(metrics.value("sluice_input_pauses_total", "pipeline") == 1);
  REQUIRE(test::wait_until([&] { return !pipeline.paused(); }, 5s));
  CHECK(sink.ok_count() == 1);
  out.drain(std::chrono::steady_clock::now() + 1s);
}

TEST_CASE("pauses are all counted, but only the first of a minute is logged", "[pipeline]") {
  // Under steady backpressure inputs pause and resume hundreds of times a
  // second: one line a minute says so without flooding the log.
  std::ostringstream text;
  auto previous = spdlog::default_logger();
  auto capture = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(text));
  capture->set_level(spdlog::level::info);
  spdlog::set_default_logger(capture);

  test::TempDir dir;
  Metrics metrics;
  DeadLetter dl(dir.file("dl.jsonl"));
  auto seen = std::make_shared<Capture::Seen>();
  static const config::PluginSchema schema{"capture", "", {}};
  auto fast = OutputSettings::from_config(config::load_component(schema, "output", "flush: 10ms"), 0s);
  OutputRunner out("fast", std::make_unique<Capture>(seen), fast, TagMatcher::glob("*"), dl, metrics);
  out.start();
  Pipeline pipeline({}, {&out}, 1, metrics);  // one byte: any chunk fills it
  CountingSink sink;
  for (int i = 0; i < 5; ++i) {
    pipeline.submit(chunk("app", sink));
    CHECK(pipeline.paused());
    REQUIRE(test::wait_until([&] { return !pipeline.paused(); }, 5s));
  }
  out.drain(std::chrono::steady_clock::now() + 1s);
  spdlog::set_default_logger(previous);

  CHECK(metrics.value("sluice_input_pauses_total", "pipeline") == 5);
  std::string log = text.str();
  auto count = [&](std::string_view what) {
    size_t n = 0;
    for (size_t at = log.find(what); at != std::string::npos; at = log.find(what, at + 1)) ++n;
    return n;
  };
  CHECK(count("inputs paused: output fast buffer is full") + count("inputs paused: service.mem_limit reached") == 1);
  CHECK(count("inputs resumed") == 1);
  CHECK(sink.ok_count() == 5);
}
