// An output that sends each record on its own (gelf, kafka) hears back per
// record; this folds those outcomes into the one FlushResult the core takes.
#pragma once
#include <utility>
#include <vector>

#include "agent/output.hpp"

namespace sluice {

// One FlushResult for the batch when every record shares its outcome, else
// per record (the batch as a whole: Retry). No outcomes: all delivered.
inline FlushResult summarize(std::vector<RecordOutcome>& outcomes) {
  bool same = true;
  for (const auto& o : outcomes)
    if (o.outcome != outcomes.front().outcome || o.reason != outcomes.front().reason) same = false;
  if (outcomes.empty() || (same && outcomes.front().outcome == Outcome::Delivered)) return FlushResult::delivered();
  FlushResult r;
  r.outcome = outcomes.front().outcome;
  r.reason = outcomes.front().reason;
  if (!same) {
    r.outcome = Outcome::Retry;
    r.per_record = std::move(outcomes);
  }
  return r;
}

}  // namespace sluice
