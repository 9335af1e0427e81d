// The dummy input: the record it emits, rate and samples (then finished),
// several records per chunk at high rates, copies and flush_on_startup,
// Fluent Bit's timestamp keys,
// pausing, and config errors.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "agent/asio.hpp"
#include "agent/config/yaml_loader.hpp"
#include "agent/json_writer.hpp"
#include "inputs/dummy/dummy_input.hpp"
#include "tests/support/input_context.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace std::chrono_literals;

namespace {

class FakeInputContext final : public test::FakeInputContext {
 public:
  FakeInputContext() : test::FakeInputContext("dummy.0") {}
  // The input asks on every tick: the last time it was told to pause.
  bool paused() const override {
    if (paused_) last_paused_answer = std::chrono::steady_clock::now();
    return paused_;
  }
  mutable std::chrono::steady_clock::time_point last_paused_answer{};
};

std::unique_ptr<Input> make(std::string_view yaml) {
  return make_dummy_input(config::load_component(dummy_input_schema(), "input", yaml), BuildContext{});
}

std::string config_error(std::string_view yaml) {
  try {
    make(yaml);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

TEST_CASE("dummy: emits its record at the rate, samples then finishes", "[inputs][dummy]") {
  FakeInputContext ctx;
  SECTION("the default record, tagged with the plugin name") {
    auto input = make("rate: 50\nsamples: 3");
    input->start(ctx);
    REQUIRE(ctx.run_until([&] { return ctx.finished_calls == 1; }));
    REQUIRE(ctx.records() == 3);
    CHECK(json::to_string(ctx.chunks[0]->events[0].record) == R"({"message":"dummy"})");
    CHECK(ctx.chunks[0]->tag == "dummy");
    int64_t t = ctx.chunks[0]->events[0].time_ns;
    CHECK(std::llabs(t - now_ns()) < 5'000'000'000LL);
  }
  SECTION("a given record and tag; records outlive the input") {
    {
      auto input = make("tag: demo\nsamples: 2\nrate: 100\ndummy: '{\"a\":{\"b\":[1,\"x\"]},\"ok\":true}'");
      input->start(ctx);
      REQUIRE(ctx.run_until([&] { return ctx.finished_calls == 1; }));
    }
    REQUIRE(ctx.records() == 2);
    CHECK(json::to_string(ctx.chunks.back()->events.back().record) == R"({"a":{"b":[1,"x"]},"ok":true})");
    CHECK(ctx.chunks[0]->tag == "demo");
  }
  SECTION("copies: that many records each time, one chunk; samples counts the times") {
    auto input = make("rate: 50\nsamples: 2\ncopies: 3");
    input->start(ctx);
    REQUIRE(ctx.run_until([&] { return ctx.finished_calls == 1; }));
    CHECK(ctx.records() == 6);
    CHECK(ctx.chunks[0]->events.size() % 3 == 0);
  }
  SECTION("flush_on_startup: the first record at start, not one interval later") {
    auto input = make("interval_sec: 30\nflush_on_startup: on");
    input->start(ctx);
    CHECK(ctx.records() == 1);
    input->stop();
  }
  SECTION("at high rates several records share a chunk") {
    // One tick (>= 10 ms apart) emits every record due: 2000 records at
    // 20000/s take ~10 ticks, and fewer on a loaded machine, never one each.
    auto input = make("rate: 20000\nsamples: 2000");
    input->start(ctx);
    REQUIRE(ctx.run_until([&] { return ctx.finished_calls == 1; }));
    CHECK(ctx.records() == 2000);
    CHECK(ctx.chunks.size() < 200);
  }
  SECTION("no records while paused, and no burst afterwards") {
    auto input = make("rate: 1000");
    input->start(ctx);
    ctx.paused_ = true;
    ctx.run_until([] { return false; }, 300ms);
    CHECK(ctx.records() == 0);
    REQUIRE(ctx.last_paused_answer != std::chrono::steady_clock::time_point{});
    ctx.paused_ = false;
    REQUIRE(ctx.run_until([&] { return ctx.records() > 0; }));
    // At most what 1000/s makes from the last paused tick on (plus rounding),
    // however slow the machine: not the ~300 records of the paused time.
    auto since = std::chrono::steady_clock::now() - ctx.last_paused_answer;
    size_t allowed = static_cast<size_t>(std::chrono::duration_cast<std::chrono::milliseconds>(since).count()) + 2;
    INFO("records " << ctx.records() << ", allowed " << allowed);
    CHECK(ctx.records() <= allowed);
  }
  SECTION("stop: nothing more") {
    auto input = make("rate: 1000");
    input->start(ctx);
    REQUIRE(ctx.run_until([&] { return ctx.records() > 0; }));
    input->stop();
    size_t n = ctx.records();
    ctx.run_until([] { return false; }, 50ms);
    CHECK(ctx.records() == n);
  }
}

TEST_CASE("dummy: timestamps", "[inputs][dummy]") {
  FakeInputContext ctx;
  SECTION("fixed_timestamp with start_time: every record at that time") {
    auto input = make("rate: 100\nsamples: 3\nfixed_timestamp: on\nstart_time_sec: 1700000000\nstart_time_nsec: 5");
    input->start(ctx);
    REQUIRE(ctx.run_until([&] { return ctx.finished_calls == 1; }));
    for (const auto& c : ctx.chunks)
      for (const auto& e : c->events) CHECK(e.time_ns == 1700000000'000000005LL);
  }
  SECTION("start_time without fixed_timestamp: the clock, shifted to start there") {
    auto input = make("rate: 100\nsamples: 2\nstart_time_sec: 1000");
    input->start(ctx);
    REQUIRE(ctx.run_until([&] { return ctx.finished_calls == 1; }));
    int64_t t = ctx.chunks[0]->events[0].time_ns;
    CHECK(t >= 1000'000'000'000LL);
    CHECK(t < 1010'000'000'000LL);
  }
  SECTION("fixed_timestamp alone: the time the input started") {
    int64_t before = now_ns();
    auto input = make("rate: 100\nsamples: 2\nfixed_timestamp: true");
    input->start(ctx);
    REQUIRE(ctx.run_until([&] { return ctx.finished_calls == 1; }));
    int64_t t0 = ctx.chunks.front()->events.front().time_ns;
    CHECK(t0 >= before);
    CHECK(ctx.chunks.back()->events.back().time_ns == t0);
  }
}

TEST_CASE("dummy: config errors", "[inputs][dummy]") {
  CHECK(config_error("") == "no error");
  CHECK_THAT(config_error("dummy: '{\"a\":'"), Catch::Contains("input dummy") &&
                                                  Catch::Contains("key 'dummy': invalid JSON: "));
  CHECK_THAT(config_error("dummy: '[1,2]'"),
             Catch::Contains("key 'dummy': must be a JSON object, like {\"message\":\"dummy\"}"));
  CHECK_THAT(config_error("rate: 0"), Catch::Contains("key 'rate': must be at least 1 record per second, got 0"));
  CHECK_THAT(config_error("samples: -1"), Catch::Contains("key 'samples': must be 0 (forever) or a number of records"));
  CHECK_THAT(config_error("interval_sec: -2"), Catch::Contains("key 'interval_sec': must not be negative"));
  CHECK_THAT(config_error("rate: fast"), Catch::Contains("key 'rate' expects integer"));
}

}  // namespace SLUICE_UNITY_ID
