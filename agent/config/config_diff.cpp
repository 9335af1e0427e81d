// Component fingerprints and service/parser differences; see config_diff.hpp.
#include "agent/config/config_diff.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace sluice::config {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_read_file_key(std::string_view key) {
  if (key == "dead_letter_file") return false;  // written, not read
  return key == "script" || ends_with(key, "_file") || ends_with(key, "_credentials");
}

// The file's bytes, or a marker saying it can't be read (the component's
// own validation reports that, with the key's line).
std::string file_content(const std::string& value, const std::string& base_dir) {
  std::filesystem::path p(value);
  if (p.is_relative()) p = std::filesystem::path(base_dir) / p;
  std::ifstream in(p, std::ios::binary);
  if (!in) return "<unreadable>";
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

void append_field(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
}

std::map<std::string, std::string> parser_fingerprints(const PipelineConfig& cfg) {
  std::map<std::string, std::string> out;
  for (const auto& p : cfg.parsers) out[p.get_string("name")] = fingerprint(p, cfg.base_dir);
  // A multiline parser counts under its name too: a component naming it is rebuilt when it changes.
  for (const auto& m : cfg.multiline_parsers) {
    std::string& fp = out[m.settings.get_string("name")];
    append_field(fp, fingerprint(m.settings, cfg.base_dir));
    for (const auto& r : m.rules) {
      append_field(fp, r.state);
      append_field(fp, r.regex);
      append_field(fp, r.next_state);
    }
  }
  return out;
}

std::string condition_text(const ConditionConfig& c) {
  std::string out = c.any ? "or" : "and";
  if (c.is_default) out += "default";
  for (const auto& r : c.rules) {
    append_field(out, r.field);
    append_field(out, r.op);
    out += r.is_list ? "L" : "S";
    for (const auto& v : r.values) append_field(out, v);
  }
  return out;
}

}  // namespace

std::string fingerprint(const ComponentConfig& cfg, const std::string& base_dir) {
  // Length-prefixed fields: no value can pass for another's boundary.
  std::string out;
  append_field(out, cfg.kind());
  append_field(out, cfg.plugin());
  for (const auto& [key, setting] : cfg.settings()) {
    append_field(out, key);
    out += std::to_string(setting.values.size());
    for (const auto& v : setting.values) append_field(out, v);
    if (is_read_file_key(key) && setting.values.size() == 1 && !setting.values[0].empty())
      append_field(out, file_content(setting.values[0], base_dir));
  }
  // Processors and routes are part of the component: changing them rebuilds it.
  for (const auto& p : cfg.processors) {
    append_field(out, "processor");
    append_field(out, fingerprint(p.filter, base_dir));
    append_field(out, condition_text(p.condition));
  }
  for (const auto& r : cfg.routes) {
    append_field(out, "route");
    append_field(out, r.name);
    append_field(out, r.has_condition ? condition_text(r.condition) : "-");
    for (const auto& o : r.outputs) append_field(out, o);
  }
  return out;
}

std::vector<std::string> changed_service_keys(const ComponentConfig& before, const ComponentConfig& after) {
  std::set<std::string> keys;
  for (const auto& [key, s] : before.settings()) {
    auto it = after.settings().find(key);
    if (it == after.settings().end() || it->second.values != s.values) keys.insert(key);
  }
  for (const auto& [key, s] : after.settings())
    if (!before.settings().count(key)) keys.insert(key);
  return {keys.begin(), keys.end()};
}

std::vector<std::string> changed_parsers(const PipelineConfig& before, const PipelineConfig& after) {
  auto a = parser_fingerprints(before), b = parser_fingerprints(after);
  std::set<std::string> names;
  for (const auto& [name, fp] : a) {
    auto it = b.find(name);
    if (it == b.end() || it->second != fp) names.insert(name);
  }
  for (const auto& [name, fp] : b)
    if (!a.count(name)) names.insert(name);
  return {names.begin(), names.end()};
}

bool uses_any(const ComponentConfig& cfg, const std::vector<std::string>& parser_names) {
  for (const auto& [key, setting] : cfg.settings())
    for (const auto& v : setting.values)
      if (std::find(parser_names.begin(), parser_names.end(), v) != parser_names.end()) return true;
  for (const auto& p : cfg.processors)
    if (uses_any(p.filter, parser_names)) return true;
  return false;
}

}  // namespace sluice::config
