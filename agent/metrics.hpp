// Counters and gauges per component instance. Components create their
// counters once when built and keep references; the hot path only adds.
#pragma once
#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace sluice {

class Counter {
 public:
  void add(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  void set(uint64_t n) { v_.store(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }
 private:
  std::atomic<uint64_t> v_{0};
};

// Owns every counter; thread-safe creation, stable addresses.
class Metrics {
 public:
  struct Entry {
    std::string name;       // Prometheus metric name, e.g. sluice_output_records_total
    std::string component;  // "output"/"input"/"filter"
    std::string instance;   // the component's alias or plugin.N name
    bool gauge = false;
    Counter counter;
  };

  Counter& counter(std::string name, std::string component, std::string instance, bool gauge = false) {
    std::lock_guard lock(mu_);
    for (auto& e : entries_)
      if (e.name == name && e.component == component && e.instance == instance) return e.counter;
    auto& e = entries_.emplace_back();
    e.name = std::move(name);
    e.component = std::move(component);
    e.instance = std::move(instance);
    e.gauge = gauge;
    return e.counter;
  }

  // Prometheus text exposition format.
  std::string prometheus_text() const;
  // Value of one counter (0 if absent): for tests and the shutdown summary.
  uint64_t value(std::string_view name, std::string_view instance) const;

 private:
  mutable std::mutex mu_;
  std::deque<Entry> entries_;
};

}  // namespace sluice
