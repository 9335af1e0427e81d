// The output's backoff state; see output_backoff.hpp.
#include "agent/output_backoff.hpp"

#include <algorithm>

namespace sluice {

int OutputBackoff::sendable(int in_flight, int workers, Clock::time_point now) const {
  int free = std::max(workers - in_flight, 0);
  if (failures_ == 0) return free;
  if (holding(now)) return 0;
  return std::min(free, 1);
}

uint64_t OutputBackoff::sent() {
  if (failures_ > 0) probe_out_ = true;
  return round_;
}

bool OutputBackoff::answered(uint64_t ticket) {
  // Only the probe is sent in the current round while backing off; older
  // requests answering late don't end a pause the backend asked for.
  if (ticket != round_ || failures_ == 0) return false;
  failures_ = 0;
  probe_out_ = false;
  return true;
}

bool OutputBackoff::failed(uint64_t ticket, std::optional<std::chrono::milliseconds> retry_after,
                           Clock::time_point now, std::mt19937_64& rng) {
  if (ticket == round_) {
    ++failures_;
    ++round_;
    probe_out_ = false;
    until_ = now + (retry_after ? std::chrono::duration_cast<Clock::duration>(*retry_after)
                                : std::chrono::duration_cast<Clock::duration>(backoff_.delay(failures_, rng)));
    return true;
  }
  // Sent before the pause: its failure is old news, but a Retry-After is
  // the backend's word on when to come back.
  if (!retry_after || failures_ == 0 || probe_out_) return false;
  auto until = now + std::chrono::duration_cast<Clock::duration>(*retry_after);
  if (until <= until_) return false;
  until_ = until;
  return true;
}

void OutputBackoff::probe_first() {
  if (failures_ > 0) return;
  failures_ = 1;
  ++round_;
  probe_out_ = false;
  until_ = Clock::time_point{};
}

std::optional<OutputBackoff::Clock::time_point> OutputBackoff::pause_ends() const {
  if (failures_ == 0 || probe_out_) return std::nullopt;
  return until_;
}

}  // namespace sluice
