// The health model behind /api/v1/health, /api/v1/health/ready and the
// health gauges of /api/v1/metrics: what "healthy" means, judged on a
// snapshot of the components that the service gathers. Pure functions of the
// snapshot and its clock, so tests drive them with any time they like.
//
// An output is *stalled* when a batch of it is due (sent, or waiting for its
// retry) and nothing was delivered for health.max_output_stall, and
// *dead_letter_unwritable* at once when records it must dead-letter can't be
// written (they wait unacknowledged, inputs pause); an input is *stuck* when
// it has been paused (buffers full) for health.max_paused. Each makes sluice
// unhealthy (503): the cases where an agent reports healthy while
// forwarding nothing (Fluent Bit #8046, Vector #4249). An output retrying
// failures that hasn't stalled yet makes it degraded (still 200).
#pragma once
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/output_runner.hpp"

namespace sluice {
class Input;
namespace json {
class Writer;
}
}

namespace sluice::health {

using SteadyTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;

// service.health.* (agent/config/common_keys.cpp).
struct Policy {
  std::chrono::nanoseconds max_output_stall = std::chrono::minutes(5);
  std::chrono::nanoseconds max_paused = std::chrono::minutes(5);
};

struct InputState {
  std::string instance;
  std::string plugin;
  // Reloading: a hot reload is replacing it (stopped, waiting for what it
  // emitted to be acknowledged before its successor starts).
  enum class Run { Running, Finished, Stopped, Reloading } run = Run::Running;
  // Since when the input has been told to wait (its last question was
  // answered "paused" and the buffers are still full); empty otherwise.
  std::optional<SteadyTime> paused_since;
  WallTime paused_since_wall{};
  std::string paused_reason;     // which buffer is full
  const Input* input = nullptr;  // adds its own members (Input::describe_health); may be null
  // Adds the input's "storage" member (filesystem buffer); may be empty.
  std::function<void(json::Writer&)> describe_storage;
};

struct OutputState {
  std::string instance;
  OutputRunner::Health health;
};

struct Snapshot {
  SteadyTime now;
  WallTime wall_now;
  bool started = false;   // every component started
  bool stopping = false;  // shutdown (draining) has begun
  std::vector<InputState> inputs;
  std::vector<OutputState> outputs;
};

enum class Level { Ok, Degraded, Unhealthy };

struct Verdict {
  std::string_view state;  // outputs: ok, retrying, stalled, dead_letter_unwritable; inputs: running, paused, finished, stopped, reloading
  Level level = Level::Ok;
  std::string reason;  // why, when not ok (names the component and the limit)
};

Verdict judge_output(const OutputState& o, const Policy& policy, SteadyTime now);
Verdict judge_input(const InputState& i, const Policy& policy, SteadyTime now);

struct Report {
  Level level = Level::Ok;
  std::vector<std::string> reasons;  // every component's reason, worst first
};
Report evaluate(const Snapshot& s, const Policy& policy);
// Ready: started, not stopping, not unhealthy.
Report readiness(const Snapshot& s, const Policy& policy);

struct Answer {
  int status = 200;
  std::string body;  // JSON
};
// /api/v1/health: 200 ok or degraded, 503 unhealthy; the body has every
// component (see README, "Health").
Answer health_answer(const Snapshot& s, const Policy& policy);
// /api/v1/health/ready: 200 or 503 with the reasons.
Answer ready_answer(const Snapshot& s, const Policy& policy);
// /api/v1/health/live: 200 whenever the main loop answers.
Answer live_answer();

// Gauges computed from the snapshot, appended to the Prometheus text:
// sluice_output_oldest_undelivered_age_seconds, _last_success_timestamp_seconds,
// _undelivered_records, _stalled, and sluice_input_paused_seconds.
void append_prometheus(const Snapshot& s, const Policy& policy, std::string& out);

// "5m", "2s", "250ms": a duration as a config would give it.
std::string format_duration(std::chrono::nanoseconds d);

}  // namespace sluice::health
