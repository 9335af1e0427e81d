// The effective configuration as JSON; see effective_config.hpp.
#include "agent/config/effective_config.hpp"

#include <algorithm>
#include <cctype>

#include "agent/json_writer.hpp"

namespace sluice::config {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

// A key whose name says it holds a secret, in case a schema forgot to mark it.
bool secret_by_name(std::string_view key) {
  std::string k = lower(key.substr(key.rfind('.') == std::string_view::npos ? 0 : key.rfind('.') + 1));
  if (ends_with(k, "_file") || ends_with(k, "_path")) return false;  // where a secret is, not the secret
  return k.find("passw") != std::string::npos || k.find("secret") != std::string::npos || ends_with(k, "token") ||
         ends_with(k, "api_key") || ends_with(k, "apikey");
}

// `header` entries are "Name value": the value goes when the name is one
// that carries credentials.
std::string redact_header(const std::string& entry) {
  size_t sp = entry.find(' ');
  std::string name = lower(entry.substr(0, sp));
  for (const char* word : {"auth", "cookie", "token", "key", "secret", "passw", "signature"}) {
    if (name.find(word) != std::string::npos) return entry.substr(0, sp) + " " + std::string(kRedacted);
  }
  return redact_url_credentials(entry);
}

void write_value(json::Writer& w, const KeyDecl& decl, const std::string& v) {
  if (decl.type == KeyType::Int) {
    if (auto i = parse_int(v)) return void(w.value(*i));
  } else if (decl.type == KeyType::Double) {
    if (auto d = parse_double(v)) return void(w.value(*d));
  } else if (decl.type == KeyType::Bool) {
    if (auto b = parse_bool(v)) return void(w.value(*b));
  }
  w.value(v);
}

std::vector<std::string> default_values(const KeyDecl& d) {
  std::vector<std::string> out;
  if (d.default_value.empty()) return out;
  if (d.type != KeyType::List && d.type != KeyType::Multi) return {std::string(d.default_value)};
  std::string_view rest = d.default_value;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    out.emplace_back(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  return out;
}

void write_component(json::Writer& w, const ComponentConfig& c) {
  w.begin_object();
  bool plugin = c.kind() == "input" || c.kind() == "filter" || c.kind() == "output";
  if (plugin) w.field("name", c.plugin());
  for (const KeyDecl& decl : c.schema().keys) {
    if (plugin && decl.name == "name") continue;
    auto it = c.settings().find(decl.name);
    std::vector<std::string> values = it != c.settings().end() ? it->second.values : default_values(decl);
    if (values.empty()) continue;
    w.key(decl.name);
    if (decl.secret || secret_by_name(decl.name)) {
      w.value(kRedacted);
      continue;
    }
    for (auto& v : values) v = decl.name == "header" ? redact_header(v) : redact_url_credentials(v);
    if (decl.type == KeyType::List || decl.type == KeyType::Multi) {
      w.begin_array();
      for (const auto& v : values) write_value(w, decl, v);
      w.end_array();
    } else {
      write_value(w, decl, values.front());
    }
  }
  w.end_object();
}

void write_list(json::Writer& w, std::string_view key, const std::vector<ComponentConfig>& list) {
  w.key(key).begin_array();
  for (const auto& c : list) write_component(w, c);
  w.end_array();
}

}  // namespace

std::string redact_url_credentials(std::string_view value) {
  std::string out;
  size_t i = 0;
  while (i < value.size()) {
    size_t scheme_end = value.find("://", i);
    if (scheme_end == std::string_view::npos) break;
    size_t host = scheme_end + 3;
    // The authority ends at the first '/', '?', '#', space, comma or quote.
    size_t end = host;
    while (end < value.size() && std::string_view("/?#, \t\"'").find(value[end]) == std::string_view::npos) ++end;
    size_t at = value.rfind('@', end == 0 ? 0 : end - 1);
    out.append(value.substr(i, host - i));
    if (at != std::string_view::npos && at >= host && at < end) {
      out.append(kRedacted);
      i = at;  // keep the '@' and the host
    } else {
      i = host;
    }
  }
  out.append(value.substr(std::min(i, value.size())));
  return out;
}

std::string effective_config_json(const PipelineConfig& cfg) {
  std::string out;
  json::Writer w(out);
  w.begin_object();
  w.field("path", cfg.path);
  w.key("service");
  write_component(w, cfg.service);
  write_list(w, "parsers", cfg.parsers);
  w.key("pipeline").begin_object();
  write_list(w, "inputs", cfg.inputs);
  write_list(w, "filters", cfg.filters);
  write_list(w, "outputs", cfg.outputs);
  w.end_object();
  w.end_object();
  out += '\n';
  return out;
}

}  // namespace sluice::config
