// storage.total_limit_size accounting; see storage_limits.hpp.
#include "agent/storage/storage_limits.hpp"

#include "agent/storage/segment_store.hpp"

namespace sluice::storage {

void StorageLimits::configure(std::vector<OutputLimit> limits) {
  limits_.clear();
  for (auto& l : limits) {
    Counter* gauge = &metrics_.counter("sluice_output_storage_bytes", "output", l.output, true,
                                       "Bytes filesystem inputs hold on disk for this output "
                                       "(against storage.total_limit_size).");
    limits_.push_back({std::move(l), gauge, {}});
  }
}

bool StorageLimits::matches(size_t i, const std::string& tag) const {
  const Entry& e = limits_[i];
  auto it = e.matches.find(tag);
  if (it == e.matches.end()) it = e.matches.emplace(tag, e.limit.match.matches(tag)).first;
  return it->second;
}

uint64_t StorageLimits::usage(size_t i) const {
  uint64_t used = 0;
  for (const SegmentStore* s : stores_) {
    const auto& by_tag = s->pending_bytes_by_tag();
    for (uint32_t t = 0; t < by_tag.size(); ++t)
      if (by_tag[t] > 0 && matches(i, s->tag_name(t))) used += by_tag[t];
  }
  limits_[i].gauge->set(used);
  return used;
}

}  // namespace sluice::storage
