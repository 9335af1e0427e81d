// Tag matching; see router.hpp.
#include "agent/router.hpp"

namespace sluice {

bool glob_match(std::string_view p, std::string_view t) {
  size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  while (ti < t.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = ti;
    } else if (pi < p.size() && p[pi] == t[ti]) {
      ++pi;
      ++ti;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

TagMatcher TagMatcher::glob(std::string pattern) {
  TagMatcher m;
  m.glob_ = std::move(pattern);
  return m;
}

TagMatcher TagMatcher::from_config(const config::ComponentConfig& cfg) {
  if (cfg.has("match") && cfg.has("match_regex"))
    cfg.fail("match_regex", "set either match or match_regex, not both");
  if (cfg.has("match_regex")) {
    std::string error;
    auto re = Regex::compile(cfg.get_string("match_regex"), &error);
    if (!re) cfg.fail("match_regex", "invalid regular expression: " + error);
    TagMatcher m;
    m.regex_ = std::move(re);
    return m;
  }
  return glob(cfg.has("match") ? cfg.get_string("match") : "*");
}

bool TagMatcher::matches(std::string_view tag) const {
  if (regex_) return regex_->search(tag);
  return glob_match(glob_, tag);
}

}  // namespace sluice
