// The backend's state as one output sees it: healthy, or backing off after
// a retryable failure. Backoff and Retry-After belong to the output, not to
// a batch: while it backs off no request starts; when the pause is over one
// request goes out as a probe, and its answer decides — the backend answers
// (delivered, or refused for good): healthy again and everything waiting may
// go at once; it fails again: a longer pause. Pure state, the caller gives
// the time; OutputRunner's worker thread only.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

#include "agent/backoff.hpp"

namespace sluice {

class OutputBackoff {
 public:
  using Clock = std::chrono::steady_clock;

  explicit OutputBackoff(Backoff backoff) : backoff_(backoff) {}

  // How many requests may start now, besides the `in_flight` ones, with
  // `workers` allowed at once: every free worker when healthy; while
  // backing off none until the pause is over, then one (the probe).
  int sendable(int in_flight, int workers, Clock::time_point now) const;

  // A request starts. The ticket goes back with its answer: it tells the
  // answer to the probe from answers to requests sent before the pause,
  // which say nothing new about the backend.
  uint64_t sent();

  // The backend answered (delivered, or refused for good). Returns true
  // when this ends a backoff (the probe's answer).
  bool answered(uint64_t ticket);

  // A retryable failure (no answer, 429, 5xx, a record the backend asked to
  // send again). The first answer of the current round starts a pause (or a
  // longer one, after a failed probe): the backend's Retry-After if it gave
  // one, else the jittered exponential backoff by failures in a row. An
  // answer to a request sent before the pause doesn't lengthen it, except
  // that a Retry-After it carries is honoured. Returns true when the pause
  // started or moved.
  bool failed(uint64_t ticket, std::optional<std::chrono::milliseconds> retry_after, Clock::time_point now,
              std::mt19937_64& rng);

  // A reload's new version takes over from a version that was backing off:
  // it starts as if a pause had just ended (one probe first), so a backend
  // that is still failing gets one request, not `workers` of them.
  void probe_first();

  // Failures in a row, 0 when healthy.
  bool backing_off() const { return failures_ > 0; }
  int64_t failures() const { return failures_; }
  // While backing off and no probe is out: when the probe may go (the
  // caller arms a timer for it). Empty otherwise.
  std::optional<Clock::time_point> pause_ends() const;
  // No request may start now whatever the workers: paused, or the probe is out.
  bool holding(Clock::time_point now) const { return failures_ > 0 && (probe_out_ || now < until_); }

 private:
  Backoff backoff_;
  int64_t failures_ = 0;
  Clock::time_point until_{};
  bool probe_out_ = false;
  // Advances when a pause starts: requests sent before carry an older ticket.
  uint64_t round_ = 0;
};

}  // namespace sluice
