// The wall clock as a record's time: nanoseconds since the Unix epoch, what
// inputs stamp records with when the source gives no time of its own.
#pragma once
#include <chrono>
#include <cstdint>

namespace sluice {

inline int64_t wall_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace sluice
