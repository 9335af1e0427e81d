// "Did you mean …?" for unknown keys and plugin names.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace sluice::config {

// The candidate closest to word by edit distance, or "" if none is close
// enough to be a likely typo.
std::string nearest(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace sluice::config
