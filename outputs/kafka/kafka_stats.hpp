// librdkafka's statistics document (statistics.interval.ms) → a few
// Prometheus metrics: its queue depth, and per broker the round-trip time
// and the errors. Runs where the document is served: the output's worker.
#pragma once
#include <string>
#include <string_view>
#include <unordered_map>

#include "agent/metrics.hpp"

namespace sluice::kafka {

class StatsMetrics {
 public:
  StatsMetrics(Metrics& metrics, std::string instance);
  // Reads one statistics document; false if it isn't one (nothing changes).
  bool update(std::string_view json);

 private:
  struct Broker {
    Counter* rtt_us;
    Counter* errors;
  };
  Broker& broker(std::string_view name);

  Metrics& metrics_;
  std::string instance_;
  Counter& queue_messages_;
  Counter& queue_bytes_;
  std::unordered_map<std::string, Broker> brokers_;
};

}  // namespace sluice::kafka
