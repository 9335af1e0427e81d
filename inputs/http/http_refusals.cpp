// The http input's log of refused requests; see http_refusals.hpp.
#include "inputs/http/http_refusals.hpp"


namespace sluice {

std::optional<std::string> RefusalLog::refused(std::string_view instance, std::string_view remote, int status,
                                               std::string_view reason, Clock::time_point now) {
  PerStatus& s = by_status_[status];
  if (s.last_logged && now - *s.last_logged < every_) {
    ++s.held;
    return std::nullopt;
  }
  std::string line = "input " + std::string(instance) + ": refused a request from " +
                     std::string(remote.empty() ? "a client" : remote) + ": " + std::to_string(status) + " " +
                     std::string(reason);
  if (s.held > 0) {
    line += " (" + std::to_string(s.held) + " more " + std::to_string(status) +
            " refusals not logged since the last such message)";
  }
  s.last_logged = now;
  s.held = 0;
  return line;
}

}  // namespace sluice
