// Typed access to a component's validated settings; see component_config.hpp.
#include "agent/config/component_config.hpp"

#include "agent/ascii_case.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace sluice::config {

std::string Mark::str() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

ConfigError::ConfigError(Mark mark, const std::string& message)
    : std::runtime_error(mark.file.empty() ? message : mark.str() + ": " + message), mark_(std::move(mark)) {}

std::string ComponentConfig::display_name() const {
  std::string s = kind_ == "service" ? kind_ : kind_ + " " + std::string(schema_->name);
  if (kind_ == "parser" && has("name")) s = "parser '" + get_string("name") + "'";
  if (kind_ == "multiline_parser" && has("name")) s = "multiline parser '" + get_string("name") + "'";
  if (mark_.line > 0) s += " (" + mark_.file + ":" + std::to_string(mark_.line) + ")";
  return s;
}

const KeyDecl& ComponentConfig::decl(std::string_view key) const {
  const KeyDecl* d = schema_->find(key);
  if (d == nullptr) {
    // A component asked for a key it never declared: a programming error.
    std::fprintf(stderr, "sluice: bug: %s reads undeclared key '%.*s'\n", std::string(schema_->name).c_str(),
                 static_cast<int>(key.size()), key.data());
    std::abort();
  }
  return *d;
}

std::vector<std::string> ComponentConfig::raw(std::string_view key) const {
  auto it = settings_.find(key);
  if (it != settings_.end()) {
    // The loader matched a key's choices case-insensitively, as Fluent Bit
    // does (strcasecmp): the component gets the choice as declared, so
    // `operation: Lift` is lift, not an unmatched word read as the default.
    const KeyDecl* d = schema_->find(key);
    if (d == nullptr || d->choices.empty()) return it->second.values;
    std::vector<std::string> lowered;
    lowered.reserve(it->second.values.size());
    for (const std::string& v : it->second.values) lowered.push_back(ascii_lower(v));
    return lowered;
  }
  const KeyDecl& d = decl(key);
  if (d.default_value.empty()) return {};
  if (d.type == KeyType::List || d.type == KeyType::Multi) {
    std::vector<std::string> out;
    std::string_view rest = d.default_value;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      out.emplace_back(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    return out;
  }
  return {std::string(d.default_value)};
}

std::string ComponentConfig::get_string(std::string_view key) const {
  auto v = raw(key);
  return v.empty() ? std::string() : v.front();
}

int64_t ComponentConfig::get_int(std::string_view key) const {
  auto v = raw(key);
  return v.empty() ? 0 : parse_int(v.front()).value_or(0);
}

double ComponentConfig::get_double(std::string_view key) const {
  auto v = raw(key);
  return v.empty() ? 0 : parse_double(v.front()).value_or(0);
}

bool ComponentConfig::get_bool(std::string_view key) const {
  auto v = raw(key);
  return !v.empty() && parse_bool(v.front()).value_or(false);
}

std::chrono::nanoseconds ComponentConfig::get_duration(std::string_view key) const {
  auto v = raw(key);
  return v.empty() ? std::chrono::nanoseconds(0) : parse_duration(v.front()).value_or(std::chrono::nanoseconds(0));
}

uint64_t ComponentConfig::get_size(std::string_view key) const {
  auto v = raw(key);
  return v.empty() ? 0 : parse_size(v.front()).value_or(0);
}

std::vector<std::string> ComponentConfig::get_list(std::string_view key) const { return raw(key); }

const Mark& ComponentConfig::mark_of(std::string_view key) const {
  auto it = settings_.find(key);
  return it != settings_.end() ? it->second.mark : mark_;
}

void ComponentConfig::fail(std::string_view key, const std::string& message) const {
  throw ConfigError(mark_of(key), display_name() + ": key '" + std::string(key) + "': " + message);
}

// ---- conversions ----

namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}
std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}
// Splits "12.5ms" into 12.5 and "ms".
std::optional<std::pair<double, std::string>> number_and_unit(std::string_view s) {
  s = trim(s);
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) return std::nullopt;
  auto num = parse_double(s.substr(0, i));
  if (!num || *num < 0) return std::nullopt;
  return std::make_pair(*num, lower(trim(s.substr(i))));
}
}  // namespace

std::optional<bool> parse_bool(std::string_view s) {
  std::string l = lower(trim(s));
  if (l == "on" || l == "true" || l == "yes" || l == "1") return true;
  if (l == "off" || l == "false" || l == "no" || l == "0") return false;
  return std::nullopt;
}

std::optional<int64_t> parse_int(std::string_view s) {
  s = trim(s);
  int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_double(std::string_view s) {
  s = trim(s);
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view s) {
  auto nu = number_and_unit(s);
  if (!nu) return std::nullopt;
  auto [n, unit] = *nu;
  double ns_per;
  if (unit.empty() || unit == "s" || unit == "sec") ns_per = 1e9;
  else if (unit == "ms") ns_per = 1e6;
  else if (unit == "us") ns_per = 1e3;
  else if (unit == "ns") ns_per = 1;
  else if (unit == "m" || unit == "min") ns_per = 60e9;
  else if (unit == "h") ns_per = 3600e9;
  else if (unit == "d") ns_per = 86400e9;
  else return std::nullopt;
  // Bounded so the conversion to integer nanoseconds can't overflow, and so
  // later arithmetic on deadlines (now + duration, doubled backoffs) can't either.
  double ns = n * ns_per;
  if (!(ns <= static_cast<double>(kMaxDuration.count()))) return std::nullopt;
  return std::chrono::nanoseconds(static_cast<int64_t>(ns));
}

std::optional<uint64_t> parse_size(std::string_view s) {
  auto nu = number_and_unit(s);
  if (!nu) return std::nullopt;
  auto [n, unit] = *nu;
  if (!unit.empty() && unit.back() == 'b') unit.pop_back();
  if (!unit.empty() && unit.back() == 'i') unit.pop_back();
  double mult;
  if (unit.empty()) mult = 1;
  else if (unit == "k") mult = 1024.0;
  else if (unit == "m") mult = 1024.0 * 1024;
  else if (unit == "g") mult = 1024.0 * 1024 * 1024;
  else if (unit == "t") mult = 1024.0 * 1024 * 1024 * 1024;
  else return std::nullopt;
  double bytes = n * mult;
  if (!(bytes <= static_cast<double>(kMaxSize))) return std::nullopt;
  return static_cast<uint64_t>(bytes);
}

std::optional<NameValue> split_name_value(std::string_view entry) {
  size_t gap = entry.find_first_of(" \t");
  if (gap == 0 || gap == std::string_view::npos) return std::nullopt;
  size_t value = entry.find_first_not_of(" \t", gap);
  if (value == std::string_view::npos) return std::nullopt;
  return NameValue{std::string(entry.substr(0, gap)), std::string(entry.substr(value))};
}

}  // namespace sluice::config
