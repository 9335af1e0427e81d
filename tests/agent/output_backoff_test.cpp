// The output's backoff state (agent/output_backoff.hpp) on a fake clock:
// what may be sent while healthy, paused and probing, which answers end or
// lengthen a pause. Its effect on a running OutputRunner is in
// output_runner_test.cpp.
#include <catch2/catch.hpp>

#include "agent/output_backoff.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace std::chrono_literals;
using Clock = OutputBackoff::Clock;

TEST_CASE("output backoff: healthy, every free worker may send", "[output_backoff]") {
  OutputBackoff b(Backoff(1s, 5s));
  Clock::time_point t0{};
  CHECK(b.sendable(0, 4, t0) == 4);
  CHECK(b.sendable(3, 4, t0) == 1);
  CHECK(b.sendable(4, 4, t0) == 0);
  CHECK_FALSE(b.backing_off());
  CHECK_FALSE(b.pause_ends());
  CHECK_FALSE(b.holding(t0));
}

TEST_CASE("output backoff: a failure pauses the output, then one probe goes", "[output_backoff]") {
  OutputBackoff b(Backoff(1s, 5s));
  std::mt19937_64 rng(7);
  Clock::time_point t0 = Clock::time_point{} + 1h;
  uint64_t first = b.sent(), second = b.sent();  // two requests in flight (workers: 4)

  SECTION("Retry-After sets the pause; nothing goes before it, one probe after it") {
    CHECK(b.failed(first, 2000ms, t0, rng));
    CHECK(b.backing_off());
    CHECK(b.failures() == 1);
    REQUIRE(b.pause_ends() == t0 + 2s);
    CHECK(b.sendable(1, 4, t0 + 1999ms) == 0);
    CHECK(b.holding(t0 + 1s));
    CHECK(b.sendable(1, 4, t0 + 2s) == 1);  // the pause is over: the probe, only
    CHECK(b.sendable(4, 4, t0 + 2s) == 0);  // ... when a worker is free
    uint64_t probe = b.sent();
    CHECK(b.sendable(1, 4, t0 + 3s) == 0);  // the probe is out: its answer decides
    CHECK_FALSE(b.pause_ends());
    SECTION("the probe gets through: healthy, every worker may send") {
      CHECK(b.answered(probe));
      CHECK_FALSE(b.backing_off());
      CHECK(b.sendable(0, 4, t0 + 3s) == 4);
    }
    SECTION("the probe fails: a longer pause (the backoff by failures in a row)") {
      CHECK(b.failed(probe, std::nullopt, t0 + 3s, rng));
      CHECK(b.failures() == 2);
      REQUIRE(b.pause_ends());
      CHECK(*b.pause_ends() >= t0 + 3s);
      CHECK(*b.pause_ends() <= t0 + 3s + 2s);  // the second failure's ceiling: 2 × retry_base
    }
    SECTION("the probe is refused for good: the backend answers, healthy") {
      CHECK(b.answered(probe));
      CHECK(b.failures() == 0);
    }
  }
  SECTION("answers to requests sent before the pause neither end nor lengthen it") {
    CHECK(b.failed(first, 2000ms, t0, rng));
    CHECK_FALSE(b.answered(second));  // delivered, but it says nothing about now
    CHECK(b.backing_off());
    CHECK_FALSE(b.failed(second, std::nullopt, t0 + 10ms, rng));
    CHECK(b.failures() == 1);
    CHECK(b.pause_ends() == t0 + 2s);
  }
  SECTION("a later Retry-After from an older request moves the pause on, never back") {
    CHECK(b.failed(first, 2000ms, t0, rng));
    CHECK_FALSE(b.failed(second, 1000ms, t0 + 100ms, rng));
    CHECK(b.pause_ends() == t0 + 2s);
    CHECK(b.failed(second, 5000ms, t0 + 100ms, rng));
    CHECK(b.pause_ends() == t0 + 5100ms);
    CHECK(b.failures() == 1);
  }
  SECTION("the backoff without Retry-After is capped by retry_cap, however many failures") {
    for (int i = 0; i < 100; ++i) {
      REQUIRE(b.failed(b.sent(), std::nullopt, t0, rng));
      REQUIRE(b.pause_ends());
      REQUIRE(*b.pause_ends() <= t0 + 5s);
    }
    CHECK(b.failures() == 100);
  }
}

TEST_CASE("output backoff: a reload's successor of a failing output probes first", "[output_backoff]") {
  OutputBackoff b(Backoff(1s, 5s));
  Clock::time_point t0 = Clock::time_point{} + 1h;
  b.probe_first();
  CHECK(b.sendable(0, 4, t0) == 1);  // at once, but one
  uint64_t probe = b.sent();
  CHECK(b.sendable(1, 4, t0) == 0);
  CHECK(b.answered(probe));
  CHECK(b.sendable(0, 4, t0) == 4);
}

}  // namespace SLUICE_UNITY_ID
