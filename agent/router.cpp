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

std::shared_ptr<const ConditionalRoutes> ConditionalRoutes::compile(const std::vector<config::RouteConfig>& routes) {
  auto out = std::make_shared<ConditionalRoutes>();
  if (routes.size() > kMaxRoutes)
    throw config::ConfigError(routes[kMaxRoutes].mark, "an input has at most " + std::to_string(kMaxRoutes) + " routes");
  for (size_t i = 0; i < routes.size(); ++i) {
    const auto& rc = routes[i];
    Route r{rc.name, std::nullopt, rc.has_condition && rc.condition.is_default, rc.outputs, rc.to_mark};
    if (rc.has_condition && !r.is_default) r.condition = Condition::compile(rc.condition);
    if (r.is_default) out->defaults_ |= uint64_t{1} << i;
    if (!r.is_default && !r.condition) out->unconditional_ |= uint64_t{1} << i;
    out->routes_.push_back(std::move(r));
  }
  return out;
}

uint64_t ConditionalRoutes::select(const Value& record) const {
  uint64_t taken = 0;
  for (size_t i = 0; i < routes_.size(); ++i) {
    const Route& r = routes_[i];
    if (r.condition && r.condition->matches(record)) taken |= uint64_t{1} << i;
  }
  return taken != 0 ? taken : defaults_;
}

size_t find_route_output(std::string_view name, const std::vector<std::string>& instances,
                         const std::vector<std::string>& plugins) {
  for (size_t i = 0; i < instances.size(); ++i)
    if (instances[i] == name) return i;
  for (size_t i = 0; i < plugins.size(); ++i)
    if (plugins[i] == name) return i;
  return std::string_view::npos;
}

bool TagMatcher::matches(std::string_view tag) const {
  if (regex_) return regex_->search(tag);
  return glob_match(glob_, tag);
}

}  // namespace sluice
