// When an output's worker thread has to wake up: the rules OutputRunner
// follows, kept pure so they can be tested as tables. A sidecar mostly runs
// at a low rate, and each wakeup costs more CPU (two context switches, a
// contended lock) than the few records it would move, so the worker sleeps
// until a batch is due, a flush answers or the output's backoff is over.
#pragma once
#include <cstdint>

#include "agent/output_settings.hpp"

namespace sluice {

// What the output holds when the main thread hands over a chunk: the worker's
// queue plus its inbox.
struct Pending {
  uint64_t records = 0;       // queued + inbox records
  uint64_t bytes = 0;         // queued + inbox bytes (the batch limits count these)
  uint64_t buffer_bytes = 0;  // everything held, in flight included (mem_buf_limit counts this)
};

// The flush timer is armed only while records wait in the queue and a
// worker is free to send them when it fires. With nothing queued there is
// nothing to time; with every worker busy the next answer runs the queue,
// and while the output backs off (`holding`: paused, or its probe is out)
// the end of the pause or the probe's answer does (a timer then would fire
// at once, again and again, until it came).
inline bool flush_timer_needed(bool queue_empty, int in_flight, int workers, bool holding) {
  return !queue_empty && in_flight < workers && !holding;
}

// Whether the worker will run its queue (and take in the inbox) without
// being woken: a timer is armed (flush, or the end of a backoff), every
// worker awaits an answer, or the output is holding (its backoff timer or
// its probe's answer will run the queue).
inline bool collects_inbox_later(bool timer_armed, int in_flight, int workers, bool holding) {
  return timer_armed || in_flight >= workers || holding;
}

// Whether a chunk just put in the inbox must wake the worker: when nothing
// else will make it look (the first chunk after a quiet spell starts the
// flush timer), or when the chunk can't wait for that: a batch is full and
// could go now (not `sends_held`: every worker busy, or the output backing
// off), or the buffer passed mem_buf_limit (drop_oldest trims on the worker).
inline bool wake_needed(bool collects_later, bool sends_held, const Pending& p, const OutputSettings& s) {
  if (!collects_later) return true;
  if (p.buffer_bytes > s.mem_buf_limit) return true;
  return !sends_held && (p.records >= s.batch_max_records || p.bytes >= s.batch_max_bytes);
}

}  // namespace sluice
