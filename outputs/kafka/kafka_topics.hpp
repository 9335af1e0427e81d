// The topics a kafka output produces to: the configured ones and, with
// dynamic_topic, those records name, up to dynamic_topic_limit of them.
// Capped rather than an LRU of handles: each topic costs librdkafka its
// metadata and per-partition queues, which it keeps and refreshes for the
// producer's life even once sluice's handle is destroyed, so only a cap
// bounds the memory. Runs on the output's worker (no locking).
#pragma once
#include <string>
#include <string_view>
#include <unordered_set>

#include "outputs/kafka/kafka_settings.hpp"

namespace sluice::kafka {

class TopicSet {
 public:
  explicit TopicSet(const MessageSettings& s) : s_(s) {}

  // The topic for a record whose encoder topic is `wanted`: wanted itself
  // when it is configured, already in use, or there is room for one more;
  // else the default topic (the first of topics) and fell_back is set. The
  // view stays valid as long as the set.
  std::string_view admit(std::string_view wanted, bool& fell_back);
  // Topics in use beyond the configured ones.
  size_t dynamic_count() const { return dynamic_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  const MessageSettings& s_;
  std::unordered_set<std::string, Hash, std::equal_to<>> dynamic_;
};

}  // namespace sluice::kafka
