// The OCI configuration file; see oci_config_file.hpp.
#include "outputs/common/oci/oci_config_file.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace sluice::oci {

namespace {

constexpr size_t kMaxConfigBytes = 1024 * 1024;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string_view trim(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

bool exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

}  // namespace

const ConfigValue* ConfigProfile::find(std::string_view key) const {
  auto it = values.find(key);
  return it == values.end() ? nullptr : &it->second;
}

std::string ConfigProfile::where(std::string_view key) const {
  const ConfigValue* v = find(key);
  std::string out(key);
  out += " (" + file;
  if (v) out += " line " + std::to_string(v->line);
  return out + ")";
}

std::optional<ConfigProfile> parse_config_profile(std::string_view text, const std::string& file,
                                                  const std::string& profile, std::string& error) {
  ConfigProfile out;
  out.file = file;
  out.name = profile;
  std::map<std::string, ConfigValue, std::less<>> defaults;
  std::string current;
  bool found = false;
  int line_number = 0;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = trim(text.substr(0, eol));
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    ++line_number;
    std::string at = file + " line " + std::to_string(line_number);
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == '[' && line.back() == ']') {
      current = std::string(trim(line.substr(1, line.size() - 2)));
      if (current.empty()) {
        error = at + ": a profile needs a name (\"[DEFAULT]\", \"[prod]\")";
        return std::nullopt;
      }
      found = found || current == profile;
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      error = at + ": expected key=value or [profile]";
      return std::nullopt;
    }
    std::string key(trim(line.substr(0, eq)));
    if (key.empty()) {
      error = at + ": a line with no key before '='";
      return std::nullopt;
    }
    if (current.empty()) {
      error = at + ": " + key + " is set before any [profile] line";
      return std::nullopt;
    }
    ConfigValue value{std::string(trim(line.substr(eq + 1))), line_number};
    if (current == kDefaultProfile) defaults[key] = value;
    if (current == profile) out.values[key] = std::move(value);
  }
  if (!found) {
    error = "profile " + profile + " is not in " + file;
    return std::nullopt;
  }
  for (auto& [key, value] : defaults) out.values.try_emplace(key, value);
  return out;
}

std::optional<ConfigProfile> read_config_profile(const std::string& file, const std::string& profile,
                                                 std::string& error) {
  std::optional<std::string> text = read_text_file(file, kMaxConfigBytes, error);
  if (!text) return std::nullopt;
  return parse_config_profile(*text, file, profile, error);
}

std::string default_config_file() {
  std::string path = env("OCI_CONFIG_FILE");
  if (!path.empty()) return expand_home(path);
  std::string primary = expand_home("~/.oci/config");
  std::string fallback = expand_home("~/.oraclebmc/config");
  return !exists(primary) && exists(fallback) ? fallback : primary;
}

std::string default_profile() {
  std::string name = env("OCI_CLI_PROFILE");
  return name.empty() ? std::string(kDefaultProfile) : name;
}

std::string expand_home(std::string path) {
  if (path == "~" || path.starts_with("~/")) path = env("HOME") + path.substr(1);
  return path;
}

std::optional<std::string> read_text_file(const std::string& path, size_t max_bytes, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string out;
  char buffer[8192];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    out.append(buffer, static_cast<size_t>(in.gcount()));
    if (out.size() > max_bytes) {
      error = path + " is larger than " + std::to_string(max_bytes) + " bytes";
      return std::nullopt;
    }
  }
  if (in.bad()) {
    error = "cannot read " + path;
    return std::nullopt;
  }
  return out;
}

}  // namespace sluice::oci
