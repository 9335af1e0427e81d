// Counters and gauges per component instance. Components create their
// counters once when built and keep references; the hot path only adds.
#pragma once
#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
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
    std::string component;  // the label's name: "output"/"input"/"filter"/"service"
    std::string instance;   // the label's value: the component's alias or plugin.N name
    bool gauge = false;
    uint64_t per_unit = 1;  // counts per exported unit (1000000: microseconds exported as seconds)
    Counter counter;
  };

  // The counter `name` of one instance, made on first use. help is the
  // family's one-line description (# HELP): the first one given for a name
  // is kept; a family given none is described by its name. A counter's name
  // ends in _total; a gauge's doesn't (promtool's rules). per_unit: the
  // counter counts whole fractions of the exported unit (Prometheus wants
  // base units, seconds; a Counter holds integers), exported as
  // value / per_unit.
  Counter& counter(std::string name, std::string component, std::string instance, bool gauge = false,
                   std::string_view help = {}, uint64_t per_unit = 1);

  // Prometheus text exposition format 0.0.4, with # HELP and # TYPE lines.
  std::string prometheus_text() const;
  // Value of one counter (0 if absent): for tests and the shutdown summary.
  uint64_t value(std::string_view name, std::string_view instance) const;

 private:
  mutable std::mutex mu_;
  std::deque<Entry> entries_;
  std::vector<std::pair<std::string, std::string>> help_;  // name → help, in order of first use
};

// Writes Prometheus text format 0.0.4: families (# HELP, # TYPE) and their
// samples with one label, escaped as the format asks. Also used for gauges
// computed when scraped (the health model's).
class PrometheusText {
 public:
  explicit PrometheusText(std::string& out) : out_(out) {}
  // type: "counter" or "gauge". The samples of this family follow.
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, std::string_view label, std::string_view label_value, uint64_t value);
  void sample(std::string_view name, std::string_view label, std::string_view label_value, double value);

 private:
  void sample_head(std::string_view name, std::string_view label, std::string_view label_value);
  std::string& out_;
};

}  // namespace sluice
