// Joins names for messages ("a, b, c"); one helper for the loader, the
// parser filter and hot reload.
#pragma once
#include <string>
#include <string_view>

namespace sluice {

template <class Range>
std::string join(const Range& parts, std::string_view sep = ", ") {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += std::string_view(p);
  }
  return out;
}

}  // namespace sluice
