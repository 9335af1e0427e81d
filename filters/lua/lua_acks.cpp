// AckHold: segments of held input acknowledgements; see lua_acks.hpp.
#include "filters/lua/lua_acks.hpp"

namespace sluice::lua {

// The sink of a segment's AckRef: when the filter and every chunk carrying
// the segment let go, the acks it holds are released, failed first if any
// carrier was not delivered. It deletes itself then (AckRef calls it once).
class AckHold::Group final : public AckSink {
 public:
  std::vector<AckRef> acks;  // appended on the pipeline thread while the filter holds the segment

  void acknowledged(uint64_t /*cookie*/, bool delivered) override {
    if (!delivered)
      for (const AckRef& a : acks) a.fail();
    delete this;  // releases acks
  }
};

void AckHold::hold(const std::vector<AckRef>& acks, Clock::time_point now) {
  if (!enabled() || acks.empty()) return;
  if (segments_.empty() || now - segments_.back().opened >= span_) {
    auto* group = new Group();
    segments_.push_back(Segment{AckRef(group, 0), group, now, now});
  }
  Segment& s = segments_.back();
  // Safe: the filter's own reference keeps the group alive and unshared
  // with any releasing thread until expire() drops it.
  s.group->acks.insert(s.group->acks.end(), acks.begin(), acks.end());
  s.newest = now;
}

void AckHold::attach(Chunk& chunk) const {
  for (const Segment& s : segments_) chunk.acks.push_back(s.ref);
}

void AckHold::expire(Clock::time_point now) {
  while (!segments_.empty() && now - segments_.front().newest >= window_) segments_.pop_front();
}

}  // namespace sluice::lua
