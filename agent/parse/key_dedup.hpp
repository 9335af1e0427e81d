// Removes duplicate keys from a map being built by a parse format, in
// O(n log n) so a hostile line with thousands of keys can't stall the pipeline.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "agent/value.hpp"

namespace sluice {

// Not thread-safe: keeps scratch vectors between calls (one per format object).
class KeyDedup {
 public:
  // Duplicates among members[start..]: the last value wins, kept at the first
  // key's position (what JavaScript's JSON.parse does).
  void run(std::vector<Member>& members, size_t start) {
    const size_t n = members.size() - start;
    if (n < 2) return;
    Member* m = members.data() + start;
    if (n <= kPairwiseMax && !has_duplicate(m, n)) return;  // the common case: no sort
    order_.resize(n);
    for (size_t i = 0; i < n; ++i) order_[i] = static_cast<uint32_t>(i);
    std::stable_sort(order_.begin(), order_.end(), [m](uint32_t a, uint32_t b) { return m[a].key < m[b].key; });
    drop_.assign(n, false);
    for (size_t i = 0; i < n;) {
      size_t j = i + 1;
      while (j < n && m[order_[j]].key == m[order_[i]].key) ++j;
      if (j - i > 1) {
        m[order_[i]].value = m[order_[j - 1]].value;
        for (size_t k = i + 1; k < j; ++k) drop_[order_[k]] = true;
      }
      i = j;
    }
    size_t w = 0;
    for (size_t r = 0; r < n; ++r)
      if (!drop_[r]) m[w++] = m[r];
    members.resize(start + w);
  }

 private:
  static constexpr size_t kPairwiseMax = 32;

  static bool has_duplicate(const Member* m, size_t n) {
    for (size_t i = 1; i < n; ++i)
      for (size_t j = 0; j < i; ++j)
        if (m[i].key == m[j].key) return true;
    return false;
  }

  std::vector<uint32_t> order_;
  std::vector<bool> drop_;
};

}  // namespace sluice
