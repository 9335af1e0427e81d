// The http input's log of refused requests (400, 401, 405, 413, 415, 431):
// a client that is refused needs its operator to see why, and a client
// retrying a bad request in a loop must not flood the log.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

// Main thread (the input's io_context). Per status code: the first refusal
// is logged at once, then at most one line every `every`, which says how many
// refusals of that status were not logged since the last one.
class RefusalLog {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RefusalLog(Clock::duration every = std::chrono::seconds(10)) : every_(every) {}

  // The line to log for this refusal, or nullopt when it is held back.
  // reason must not hold secrets (it is the answer's error text).
  std::optional<std::string> refused(std::string_view instance, std::string_view remote, int status,
                                     std::string_view reason, Clock::time_point now = Clock::now());

 private:
  struct PerStatus {
    std::optional<Clock::time_point> last_logged;
    uint64_t held = 0;  // refusals not logged since last_logged
  };
  Clock::duration every_;
  std::map<int, PerStatus> by_status_;
};

}  // namespace sluice
