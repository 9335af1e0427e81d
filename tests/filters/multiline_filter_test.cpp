// The multiline filter: records of a trace joined across chunks, sent on
// when complete, after flush_ms (timer) or at shutdown; the input's acks
// held until the joined record is released; buffer off; CRI records of
// interleaved streams; config (Fluent Bit's keys). Mode partial_message:
// multiline_partial_test.cpp.
#include <catch2/catch.hpp>

#include "agent/json_writer.hpp"
#include "agent/record.hpp"
#include "filters/multiline/multiline_filter.hpp"
#include "tests/filters/lua_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::test;
using Catch::Matchers::Contains;

namespace {

struct MultilineHarness {
  explicit MultilineHarness(std::string_view yaml) : parsers(ParserSet::build({})) {
    BuildContext build;
    build.parsers = &parsers;
    filter = make_multiline_filter(config::load_component(multiline_filter_schema(), "filter", yaml), build);
    filter->start(ctx);
  }

  // A chunk of {"log": line} records acknowledged to cookie.
  ChunkPtr chunk(const std::vector<std::string>& lines, uint64_t cookie = 0, const std::string& tag = "app") {
    auto c = std::make_unique<Chunk>(tag);
    std::vector<Member> scratch;
    int64_t t = kSec;
    for (const auto& line : lines) {
      MapBuilder b(c->arena, scratch);
      b.add("log", record::string(c->arena, line));
      b.add("host", Value::string("web-1"));
      c->events.push_back(Event{t, b.finish()});
      t += kSec;
    }
    if (cookie != 0) c->acks.push_back(AckRef(&acks, cookie));
    return c;
  }

  // Runs a chunk through; returns the log of each record left in it.
  std::vector<std::string> run(const std::vector<std::string>& lines, uint64_t cookie = 0) {
    auto c = chunk(lines, cookie);
    filter->filter(*c);
    auto out = logs(*c);
    kept.push_back(std::move(c));
    return out;
  }

  static std::vector<std::string> logs(const Chunk& c) {
    std::vector<std::string> out;
    for (const auto& e : c.events) {
      const Value* v = e.record.find("log");
      out.push_back(v != nullptr ? std::string(v->as_string()) : json::to_string(e.record));
    }
    return out;
  }
  std::vector<std::string> emitted_logs() const {
    std::vector<std::string> out;
    for (const auto& c : ctx.emitted)
      for (const auto& l : logs(*c)) out.push_back(l);
    return out;
  }

  RecordingSink acks;  // first: outlives every chunk that holds its acks (emitted ones too)
  ParserSet parsers;
  CapturingFilterContext ctx;
  std::unique_ptr<Filter> filter;
  std::vector<ChunkPtr> kept;  // chunks "in delivery"
};

std::string config_error(std::string_view yaml) {
  try {
    MultilineHarness h(yaml);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

const std::vector<std::string> kTrace = {"java.lang.IllegalStateException: boom", "\tat a.b.C.run(C.java:10)",
                                         "\tat a.b.C.main(C.java:3)"};

}  // namespace

TEST_CASE("multiline filter joins a trace split across chunks, first record's fields kept", "[filter][multiline]") {
  MultilineHarness h("multiline.parser: java\nmultiline.key_content: log");
  CHECK(h.run({"starting", kTrace[0], kTrace[1]}, 1) == std::vector<std::string>{"starting"});
  CHECK(h.run({kTrace[2], "next request"}, 2) ==
        std::vector<std::string>{kTrace[0] + "\n" + kTrace[1] + "\n" + kTrace[2], "next request"});
  const Event& joined = h.kept[1]->events[0];
  CHECK(joined.time_ns == 2 * kSec);  // the first line's time
  CHECK(json::to_string(joined.record) ==
        "{\"log\":\"java.lang.IllegalStateException: boom\\n\\tat a.b.C.run(C.java:10)\\n\\tat a.b.C.main(C.java:3)\","
        "\"host\":\"web-1\"}");
  CHECK(h.ctx.counter("sluice_filter_multiline_joined_total") == 1);

  SECTION("the first chunk's ack is held until the chunk carrying the joined record is released") {
    h.kept[0].reset();
    CHECK_FALSE(h.acks.acked(1));
    h.kept[1].reset();
    CHECK(h.acks.acked(1));
    CHECK(h.acks.acked(2));
  }
}

TEST_CASE("multiline filter sends an open record on after flush_ms, by its timer", "[filter][multiline][timeout]") {
  MultilineHarness h("multiline.parser: java\nflush_ms: 300");
  auto start = std::chrono::steady_clock::now();
  CHECK(h.run({kTrace[0], kTrace[1]}, 7).empty());
  h.kept.clear();
  CHECK_FALSE(h.acks.acked(7));
  h.ctx.io().run_for(std::chrono::seconds(5));  // returns once the timer ran and nothing is left to wait for
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(300));
  CHECK(h.emitted_logs() == std::vector<std::string>{kTrace[0] + "\n" + kTrace[1]});
  REQUIRE(h.ctx.emitted.size() == 1);
  CHECK(h.ctx.emitted[0]->tag == "app");
  CHECK_FALSE(h.acks.acked(7));  // the emitted chunk holds it
  h.ctx.emitted.clear();
  CHECK(h.acks.acked(7));
}

TEST_CASE("multiline filter hands over open records at shutdown", "[filter][multiline]") {
  MultilineHarness h("multiline.parser: python, java");
  h.run({"Traceback (most recent call last):", "  File \"app.py\", line 1, in <module>"}, 3);
  h.filter->flush();
  CHECK(h.emitted_logs() ==
        std::vector<std::string>{"Traceback (most recent call last):\n  File \"app.py\", line 1, in <module>"});
  h.filter->flush();  // twice is harmless
  CHECK(h.ctx.emitted.size() == 1);
}

TEST_CASE("multiline filter with buffer off joins within each chunk only", "[filter][multiline]") {
  MultilineHarness h("multiline.parser: java\nbuffer: off");
  CHECK(h.run({kTrace[0], kTrace[1], "x"}) == std::vector<std::string>{kTrace[0] + "\n" + kTrace[1], "x"});
  CHECK(h.run({kTrace[0], kTrace[1]}) == std::vector<std::string>{kTrace[0] + "\n" + kTrace[1]});
  h.ctx.io().run_for(std::chrono::milliseconds(50));
  CHECK(h.ctx.emitted.empty());
}

TEST_CASE("multiline filter joins CRI parts of interleaved streams", "[filter][multiline][cri]") {
  MultilineHarness h("multiline.parser: cri");
  auto c = std::make_unique<Chunk>("kube.app");
  std::vector<Member> scratch;
  auto add = [&](const char* stream, const char* p, const char* log) {
    MapBuilder b(c->arena, scratch);
    b.add("stream", Value::string(stream));
    b.add("_p", Value::string(p));
    b.add("log", Value::string(log));
    c->events.push_back(Event{kSec, b.finish()});
  };
  add("stdout", "P", "a1 ");
  add("stderr", "P", "b1 ");
  add("stdout", "F", "a2");
  add("stderr", "F", "b2");
  h.filter->filter(*c);
  CHECK(MultilineHarness::logs(*c) == std::vector<std::string>{"a1 a2", "b1 b2"});
  CHECK(json::to_string(c->events[1].record) == "{\"stream\":\"stderr\",\"_p\":\"P\",\"log\":\"b1 b2\"}");
}

TEST_CASE("multiline filter: emitter_mem_buf_limit sends open records on early", "[filter][multiline]") {
  MultilineHarness h("multiline.parser: java\nemitter_mem_buf_limit: 1k");
  std::vector<std::string> lines = {kTrace[0]};
  for (int i = 0; i < 60; ++i) lines.push_back("\tat a.b.C.m" + std::to_string(i) + "(C.java:1)");
  auto out = h.run(lines);
  REQUIRE(out.size() == 1);
  CHECK(out[0].size() > 1000);
  CHECK(h.ctx.counter("sluice_filter_multiline_cut_total") == 1);
}

TEST_CASE("multiline filter config", "[filter][multiline][config]") {
  CHECK(config_error("multiline.parser: java\nmode: parser\nbuffer: on\nflush_ms: 1000\nemitter_name: ml_emitter\n"
                     "emitter_storage.type: memory\nemitter_mem_buf_limit: 20M\nmultiline.key_content: message") ==
        "no error");
  CHECK(config_error("multiline.parser: java\nmode: partial_message\nmultiline.key_content: log") == "no error");
  CHECK_THAT(config_error("mode: partial_message"),
             Contains("multiline.key_content") && Contains("partial_message needs the key"));
  CHECK_THAT(config_error("mode: partial_message\nmultiline.key_content: log\nbuffer: off"),
             Contains("buffer") && Contains("needs buffer: on"));
  CHECK_THAT(config_error("multiline.parser: jvm"),
             Contains("unknown multiline parser 'jvm'; known: cri, docker, go, java, python, ruby"));
  CHECK_THAT(config_error("mode: parser"), Contains("expected at least one multiline parser"));
  CHECK_THAT(config_error("multiline.parser: java\nflush_ms: 0"), Contains("flush_ms"));
  CHECK_THAT(config_error("multiline.parser: java\nemitter_storage.type: disk"),
             Contains("expects one of memory, filesystem"));
}

}  // namespace SLUICE_UNITY_ID
