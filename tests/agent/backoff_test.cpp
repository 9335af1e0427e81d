// Exponential backoff with full jitter: how the ceiling grows from
// retry_base to retry_cap, and that the waits drawn under it are spread
// uniformly (checked on the computed delays, with a fixed seed: no timing).
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>

#include "agent/backoff.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace std::chrono_literals;

TEST_CASE("backoff: the ceiling doubles from retry_base and stops at retry_cap", "[backoff]") {
  Backoff b(1s, 60s);
  std::vector<std::chrono::nanoseconds> ceilings;
  for (int64_t retry = 1; retry <= 8; ++retry) ceilings.push_back(b.ceiling(retry));
  CHECK(ceilings == std::vector<std::chrono::nanoseconds>{1s, 2s, 4s, 8s, 16s, 32s, 60s, 60s});
  CHECK(b.ceiling(1'000'000) == 60s);  // retrying forever never overflows
  CHECK(Backoff(250ms, 1s).ceiling(2) == 500ms);
  CHECK(Backoff(250ms, 1s).ceiling(3) == 1s);
  CHECK(Backoff(5s, 5s).ceiling(10) == 5s);
}

TEST_CASE("backoff: waits are uniform in [0, ceiling], so failures at once don't retry in step", "[backoff]") {
  Backoff b(100ms, 10s);
  std::mt19937_64 rng(42);
  const auto ceiling = b.ceiling(4);  // 800 ms
  REQUIRE(ceiling == 800ms);
  constexpr int kSamples = 20000;
  std::array<int, 10> deciles{};
  double sum = 0;
  auto lowest = ceiling, highest = 0ns;
  for (int i = 0; i < kSamples; ++i) {
    auto d = b.delay(4, rng);
    REQUIRE(d >= 0ns);
    REQUIRE(d <= ceiling);
    lowest = std::min(lowest, d);
    highest = std::max(highest, d);
    sum += static_cast<double>(d.count());
    ++deciles[std::min<size_t>(9, static_cast<size_t>(d * 10 / ceiling))];
  }
  CHECK(lowest < ceiling / 100);
  CHECK(highest > ceiling * 99 / 100);
  CHECK(sum / kSamples == Approx(static_cast<double>(ceiling.count()) / 2).epsilon(0.02));
  for (int n : deciles) CHECK(n == Approx(kSamples / 10).epsilon(0.1));
  // Each retry's waits are drawn under its own ceiling.
  for (int i = 0; i < 1000; ++i) REQUIRE(b.delay(1, rng) <= 100ms);
}

}  // namespace SLUICE_UNITY_ID
