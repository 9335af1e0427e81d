// Exponential backoff with full jitter: an output's pause after its n-th
// failure in a row is drawn uniformly from [0, min(retry_cap, retry_base *
// 2^(n-1))], so that many outputs (or sluices) failing at once don't retry
// in step. OutputBackoff applies it to the output as a whole.
#pragma once
#include <chrono>
#include <cstdint>
#include <random>

namespace sluice {

class Backoff {
 public:
  Backoff(std::chrono::nanoseconds base, std::chrono::nanoseconds cap) : base_(base), cap_(cap) {}

  // The longest wait after failure number `retries` in a row (1 = the first):
  // base, 2·base, 4·base, … up to cap.
  std::chrono::nanoseconds ceiling(int64_t retries) const;

  // A wait drawn uniformly from [0, ceiling(retries)].
  std::chrono::nanoseconds delay(int64_t retries, std::mt19937_64& rng) const;

 private:
  std::chrono::nanoseconds base_;
  std::chrono::nanoseconds cap_;
};

}  // namespace sluice
