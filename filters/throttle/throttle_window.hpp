// The throttle filter's sliding window: `panes` counters of one interval
// each, in a ring. A record passes while the window's total is below
// rate x panes (an average of `rate` per interval over the window); at each
// interval the oldest pane is dropped and a new empty one begins. Pure
// logic (the filter's timer calls advance()), so tests drive it by hand.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace sluice {

class ThrottleWindow {
 public:
  ThrottleWindow(double rate, size_t panes) : limit_(rate * static_cast<double>(panes)), counts_(panes, 0) {}

  // True: the record passes and is counted in the current pane.
  bool admit() {
    if (static_cast<double>(total_) >= limit_) return false;
    ++counts_[current_];
    ++total_;
    return true;
  }
  // The interval ended: the oldest pane leaves the window, a new one begins.
  void advance() {
    current_ = (current_ + 1) % counts_.size();
    total_ -= counts_[current_];
    counts_[current_] = 0;
  }
  // Records counted per interval, averaged over the window (Fluent Bit's "current rate").
  double average() const { return static_cast<double>(total_) / static_cast<double>(counts_.size()); }
  uint64_t total() const { return total_; }

 private:
  double limit_;
  std::vector<uint64_t> counts_;
  size_t current_ = 0;
  uint64_t total_ = 0;
};

}  // namespace sluice
