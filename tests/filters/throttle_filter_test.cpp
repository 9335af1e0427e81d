// The throttle filter, as Fluent Bit's: an average of `rate` records per
// `interval` over a window of `window` intervals passes, the rest is
// dropped and counted; the window slides on the filter's timer; a classic
// Fluent Bit [FILTER] section loads; bad settings are refused by key.
#include <chrono>
#include <string>
#include <vector>

#include "filters/throttle/throttle_filter.hpp"
#include "filters/throttle/throttle_window.hpp"
#include "tests/filters/filter_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {

using testing::Lines;

struct Harness : testing::FilterHarness {
  explicit Harness(std::string_view yaml) : FilterHarness(throttle_filter_schema(), make_throttle_filter, yaml) {}
};

std::string config_error(std::string_view yaml) {
  return testing::config_error(throttle_filter_schema(), make_throttle_filter, yaml);
}

Lines numbered(int n) {
  Lines out;
  for (int i = 0; i < n; ++i) out.push_back(R"({"n":)" + std::to_string(i) + "}");
  return out;
}

int admitted(ThrottleWindow& w, int offered) {
  int n = 0;
  for (int i = 0; i < offered; ++i) n += w.admit() ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("throttle window: rate x window may pass, then only what leaves the window", "[filters][throttle]") {
  ThrottleWindow w(5, 5);
  // An empty window takes a burst up to the window's allowance (Fluent Bit's average, not a per-interval cap).
  CHECK(admitted(w, 100) == 25);
  for (int i = 0; i < 4; ++i) {
    w.advance();
    CHECK(admitted(w, 100) == 0);  // the burst's pane is still in the window
  }
  w.advance();  // the burst's pane leaves
  CHECK(admitted(w, 100) == 25);
  CHECK(w.average() == 5);
  SECTION("a steady flow at the rate all passes") {
    ThrottleWindow s(5, 5);
    for (int i = 0; i < 50; ++i) {
      CHECK(admitted(s, 5) == 5);
      s.advance();
    }
  }
  SECTION("a steady flow at twice the rate is cut to the rate, on average") {
    ThrottleWindow s(5, 5);
    int passed = 0;
    for (int i = 0; i < 100; ++i) {
      passed += admitted(s, 10);
      s.advance();
    }
    CHECK(passed >= 5 * 100);
    CHECK(passed <= 5 * 100 + 25);  // plus at most the first window's allowance
  }
  SECTION("a fractional rate counts whole records against rate x window") {
    ThrottleWindow s(0.5, 4);
    CHECK(admitted(s, 10) == 2);
  }
}

TEST_CASE("throttle: the first records of a chunk pass in order, the rest are dropped and counted",
          "[filters][throttle]") {
  Harness h("rate: 2\nwindow: 3\ninterval: 1h");
  CHECK(h.run(numbered(10)) == Lines{R"({"n":0})", R"({"n":1})", R"({"n":2})", R"({"n":3})", R"({"n":4})",
                                     R"({"n":5})"});
  CHECK(h.run(numbered(3)).empty());  // the window is full until an interval ends
  CHECK(h.ctx.counter("sluice_filter_records_dropped_total") == 7);
}

TEST_CASE("throttle: the window slides on the filter's timer", "[filters][throttle]") {
  Harness h("rate: 1\nwindow: 2\ninterval: 20ms\nprint_status: on");
  CHECK(h.run(numbered(10)).size() == 2);
  CHECK(h.run(numbered(10)).empty());
  // Two intervals later the window has slid past the first records. Bounded:
  // the timer fires every 20 ms and run_for returns after 150 ms.
  h.ctx.io().run_for(std::chrono::milliseconds(150));
  CHECK(h.run(numbered(10)).size() == 2);
  h.filter->flush();  // stops the timer
  h.ctx.io().run_for(std::chrono::milliseconds(50));
  CHECK(h.run(numbered(10)).empty());
}

TEST_CASE("throttle: defaults and bad settings", "[filters][throttle]") {
  SECTION("defaults: rate 1, window 5, interval 1s") {
    Harness h("{}");
    CHECK(h.run(numbered(8)).size() == 5);
  }
  CHECK(config_error("rate: 0").find("rate") != std::string::npos);
  CHECK(config_error("rate: -3").find("above 0") != std::string::npos);
  CHECK(config_error("window: 0").find("window") != std::string::npos);
  CHECK(config_error("interval: 0s").find("interval") != std::string::npos);
  CHECK(config_error("interval: soon").find("interval") != std::string::npos);
  CHECK(config_error("rate: lots").find("rate") != std::string::npos);
  CHECK(config_error("rate: 100\nwindow: 10\ninterval: 1.5m\nprint_status: true") == "no error");
}

TEST_CASE("throttle: a classic Fluent Bit [FILTER] section loads", "[filters][throttle][classic]") {
  config::ComponentConfig cfg = testing::classic_filter(
      "throttle", "    Rate         1000\n    Window       300\n    Interval     1s\n    Print_Status true\n");
  CHECK(cfg.get_double("rate") == 1000);
  CHECK(cfg.get_int("window") == 300);
  CHECK(cfg.get_bool("print_status"));
}

TEST_CASE("throttle: records that pass keep their metadata", "[filters][throttle]") {
  Harness h("rate: 1\nwindow: 2\ninterval: 1h");
  Chunk chunk("app");
  auto json = make_json_format();
  for (int i = 0; i < 4; ++i) {
    Value record, meta;
    REQUIRE(json->parse(R"({"n":)" + std::to_string(i) + "}", chunk.arena, record));
    REQUIRE(json->parse(R"({"m":)" + std::to_string(i * 10) + "}", chunk.arena, meta));
    chunk.events.push_back(Event{i, record});
    chunk.metadata.push_back(meta);
  }
  h.filter->filter(chunk);
  REQUIRE(chunk.events.size() == 2);
  REQUIRE(chunk.metadata.size() == 2);
  CHECK(json::to_string(chunk.events[1].record) == R"({"n":1})");
  CHECK(json::to_string(chunk.metadata[1]) == R"({"m":10})");
}

}  // namespace SLUICE_UNITY_ID
