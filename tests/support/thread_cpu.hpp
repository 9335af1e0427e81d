// CPU time of the calling thread, for the hidden micro-benchmarks
// ([.bench]): the machine may be busy with other work, so wall time would
// not say what the code under test cost.
#pragma once
#include <time.h>

namespace sluice::test {

inline double thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

}  // namespace sluice::test
