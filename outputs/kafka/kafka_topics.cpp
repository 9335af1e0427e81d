// The kafka output's capped set of dynamic topics; see kafka_topics.hpp.
#include "outputs/kafka/kafka_topics.hpp"

namespace sluice::kafka {

std::string_view TopicSet::admit(std::string_view wanted, bool& fell_back) {
  fell_back = false;
  for (const auto& t : s_.topics)
    if (t == wanted) return t;
  if (auto it = dynamic_.find(wanted); it != dynamic_.end()) return *it;
  if (dynamic_.size() < s_.dynamic_topic_limit) return *dynamic_.emplace(wanted).first;
  fell_back = true;
  return s_.topics.front();
}

}  // namespace sluice::kafka
