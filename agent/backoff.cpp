// Exponential backoff with full jitter; see backoff.hpp.
#include "agent/backoff.hpp"

#include <algorithm>

namespace sluice {

std::chrono::nanoseconds Backoff::ceiling(int64_t retries) const {
  // Doubled in floating point and stopped at the cap: 2^retries overflows
  // int64 after 63 retries, and an output may retry forever.
  double ceiling = static_cast<double>(base_.count());
  const double cap = static_cast<double>(cap_.count());
  for (int64_t i = 1; i < retries && ceiling < cap; ++i) ceiling *= 2;
  return std::chrono::nanoseconds(static_cast<int64_t>(std::min(ceiling, cap)));
}

std::chrono::nanoseconds Backoff::delay(int64_t retries, std::mt19937_64& rng) const {
  std::uniform_real_distribution<double> dist(0.0, static_cast<double>(ceiling(retries).count()));
  return std::chrono::nanoseconds(static_cast<int64_t>(dist(rng)));
}

}  // namespace sluice
