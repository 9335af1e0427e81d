// `sluice --health-check URL`: one HTTP GET with a deadline, for a container's
// HEALTHCHECK (the runtime image has no curl). Plain Asio, no Beast: the
// command must stay small and start fast.
#pragma once
#include <chrono>
#include <string>

namespace sluice {

// How long `sluice --health-check` waits for an answer, all steps together.
inline constexpr std::chrono::milliseconds kHealthCheckTimeout{3000};

struct HealthCheckResult {
  bool healthy = false;  // the answer was a 2xx
  std::string message;   // one line: "HTTP 200 OK from URL", or why it is unhealthy
};

// GETs url (http://host[:port][/path], port 80 by default; no https) with
// Connection: close, and returns within about `timeout`. A non-2xx answer's
// message carries the start of its body (the health JSON names what is
// stuck). Runs its own io_context on the calling thread; never throws.
HealthCheckResult health_check(const std::string& url, std::chrono::milliseconds timeout);

}  // namespace sluice
