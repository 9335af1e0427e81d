// Every output's storage.total_limit_size against what the filesystem
// inputs hold on disk for it: the frame bytes of stored chunks not yet done
// whose tag the output's match fits (Fluent Bit's meaning). A chunk is stored
// once per input however many outputs it goes to, so a policy acts on whole
// chunks. Main thread only.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/metrics.hpp"
#include "agent/storage/storage_settings.hpp"

namespace sluice::storage {

class StorageLimits {
 public:
  explicit StorageLimits(Metrics& metrics) : metrics_(metrics) {}

  // At start and at each reload.
  void configure(std::vector<OutputLimit> limits);
  void add_store(const SegmentStore* s) { stores_.push_back(s); }
  void remove_store(const SegmentStore* s) { std::erase(stores_, s); }

  size_t size() const { return limits_.size(); }
  const OutputLimit& limit(size_t i) const { return limits_[i].limit; }
  bool matches(size_t i, const std::string& tag) const;
  // Bytes held on disk for limit i's output (and its gauge, updated).
  uint64_t usage(size_t i) const;

 private:
  struct Entry {
    OutputLimit limit;
    Counter* gauge;
    mutable std::unordered_map<std::string, bool> matches;  // by tag
  };
  Metrics& metrics_;
  std::vector<Entry> limits_;
  std::vector<const SegmentStore*> stores_;
};

}  // namespace sluice::storage
