// Prometheus text rendering of the counters; see metrics.hpp.
#include "agent/metrics.hpp"

#include <map>

namespace sluice {

std::string Metrics::prometheus_text() const {
  std::lock_guard lock(mu_);
  std::map<std::string, std::vector<const Entry*>> by_name;
  for (const auto& e : entries_) by_name[e.name].push_back(&e);
  std::string out;
  for (const auto& [name, entries] : by_name) {
    out += "# TYPE " + name + (entries.front()->gauge ? " gauge\n" : " counter\n");
    for (const Entry* e : entries)
      out += name + "{" + e->component + "=\"" + e->instance + "\"} " + std::to_string(e->counter.value()) + "\n";
  }
  return out;
}

uint64_t Metrics::value(std::string_view name, std::string_view instance) const {
  std::lock_guard lock(mu_);
  for (const auto& e : entries_)
    if (e.name == name && e.instance == instance) return e.counter.value();
  return 0;
}

}  // namespace sluice
