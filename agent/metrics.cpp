// Prometheus text rendering of the counters; see metrics.hpp.
#include "agent/metrics.hpp"

#include <charconv>
#include <cmath>
#include <map>

namespace sluice {

Counter& Metrics::counter(std::string name, std::string component, std::string instance, bool gauge,
                          std::string_view help, uint64_t per_unit) {
  std::lock_guard lock(mu_);
  if (!help.empty()) {
    bool known = false;
    for (const auto& h : help_) known = known || h.first == name;
    if (!known) help_.emplace_back(name, std::string(help));
  }
  for (auto& e : entries_)
    if (e.name == name && e.component == component && e.instance == instance) return e.counter;
  auto& e = entries_.emplace_back();
  e.name = std::move(name);
  e.component = std::move(component);
  e.instance = std::move(instance);
  e.gauge = gauge;
  e.per_unit = per_unit == 0 ? 1 : per_unit;
  return e.counter;
}

std::string Metrics::prometheus_text() const {
  std::lock_guard lock(mu_);
  std::map<std::string_view, std::vector<const Entry*>> by_name;
  for (const auto& e : entries_) by_name[e.name].push_back(&e);
  std::string out;
  PrometheusText text(out);
  for (const auto& [name, entries] : by_name) {
    std::string help;
    for (const auto& h : help_)
      if (h.first == name) help = h.second;
    if (help.empty()) help = std::string(name);  // promtool wants a HELP line; the name is the best we know
    text.family(name, entries.front()->gauge ? "gauge" : "counter", help);
    for (const Entry* e : entries) {
      if (e->per_unit == 1) text.sample(name, e->component, e->instance, e->counter.value());
      else text.sample(name, e->component, e->instance, static_cast<double>(e->counter.value()) / e->per_unit);
    }
  }
  return out;
}

uint64_t Metrics::value(std::string_view name, std::string_view instance) const {
  std::lock_guard lock(mu_);
  for (const auto& e : entries_)
    if (e.name == name && e.instance == instance) return e.counter.value();
  return 0;
}

// ---- PrometheusText ----

void PrometheusText::family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  // HELP text escapes backslash and newline (exposition format 0.0.4).
  for (char c : help) {
    if (c == '\\') out_ += "\\\\";
    else if (c == '\n') out_ += "\\n";
    else out_ += c;
  }
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void PrometheusText::sample_head(std::string_view name, std::string_view label, std::string_view label_value) {
  out_ += name;
  out_ += '{';
  out_ += label;
  out_ += "=\"";
  // Label values escape backslash, double quote and newline.
  for (char c : label_value) {
    if (c == '\\') out_ += "\\\\";
    else if (c == '"') out_ += "\\\"";
    else if (c == '\n') out_ += "\\n";
    else out_ += c;
  }
  out_ += "\"} ";
}

void PrometheusText::sample(std::string_view name, std::string_view label, std::string_view label_value,
                            uint64_t value) {
  sample_head(name, label, label_value);
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, value);
  out_.append(buf, r.ptr);
  out_ += '\n';
}

void PrometheusText::sample(std::string_view name, std::string_view label, std::string_view label_value,
                            double value) {
  sample_head(name, label, label_value);
  if (std::isnan(value)) {
    out_ += "NaN";
  } else if (std::isinf(value)) {
    out_ += value > 0 ? "+Inf" : "-Inf";
  } else {
    // Fixed notation (a timestamp reads 1700000000, not 1.7e+09), shortest
    // digits that read back the same; scientific only for huge values.
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed);
    if (r.ec != std::errc()) r = std::to_chars(buf, buf + sizeof buf, value);
    out_.append(buf, r.ptr);
  }
  out_ += '\n';
}

}  // namespace sluice
