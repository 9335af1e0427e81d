// Translation of Fluent Bit's classic format into sluice's YAML; see
// classic_conf.hpp.
#include "agent/config/classic_conf.hpp"

#include <glob.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "agent/ascii_case.hpp"
#include "agent/config/suggest.hpp"

namespace sluice::config {

namespace {

namespace fs = std::filesystem;

bool is_space(char c) { return c == ' ' || c == '\t'; }
// What a key (or @SET name) may be made of: YAML then reads it as plain text.
bool plain_key(std::string_view k) {
  if (k.empty()) return false;
  for (char c : k)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  return k[0] != '-';
}
std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && (is_space(s[e - 1]) || s[e - 1] == '\r')) --e;
  return std::string(s.substr(b, e - b));
}

struct Entry {
  std::string key;  // lower case
  std::string value;
  Mark at;
};

struct Section {
  std::string kind;  // SERVICE, INPUT, ... (upper case)
  Mark at;
  std::vector<Entry> entries;
};

// The sections sluice reads, and what each becomes in YAML.
const std::vector<std::string_view> kSections = {"SERVICE", "INPUT", "FILTER", "OUTPUT", "PARSER",
                                                 "MULTILINE_PARSER"};
// Fluent Bit's other sections: named so that the error can say why.
bool unsupported_section(const std::string& kind, std::string& why) {
  if (kind == "PLUGINS") why = "sluice can't load external plugins (its plugins are built in)";
  else if (kind == "UPSTREAM" || kind == "NODE") why = "upstream servers (load balancing between nodes) are not supported";
  else if (kind == "CUSTOM") why = "custom plugins are not supported";
  else if (kind == "STREAM_TASK" || kind == "STREAM") why = "stream processing is not supported";
  else return false;
  return true;
}

class Reader {
 public:
  void read_file(const std::string& path, const Mark& included_at) {
    std::string canonical = fs::weakly_canonical(path).string();
    if (!reading_.insert(canonical).second)
      throw ConfigError(included_at, "include cycle: " + path + " includes itself");
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      if (included_at.file.empty()) throw ConfigError("cannot read configuration file " + path);
      throw ConfigError(included_at, "cannot read included file " + path);
    }
    std::stringstream text;
    text << in.rdbuf();
    read_text(text.str(), path, fs::path(path).parent_path().string());
    reading_.erase(canonical);
  }

  void read_text(const std::string& text, const std::string& name, const std::string& dir) {
    std::istringstream lines(text);
    std::string line;
    int number = 0;
    // An index, not a pointer: an @INCLUDE adds sections (and may move them).
    std::optional<size_t> current;
    while (std::getline(lines, line)) {
      ++number;
      size_t first = 0;
      while (first < line.size() && is_space(line[first])) ++first;
      std::string body = trim(std::string_view(line).substr(first));
      if (body.empty() || body[0] == '#') continue;
      Mark at{name, number, static_cast<int>(first) + 1};
      for (unsigned char c : body)
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
          char hex[8];
          std::snprintf(hex, sizeof hex, "0x%02x", c);
          throw ConfigError(at, std::string("the line holds a control character (byte ") + hex + ")");
        }
      if (body[0] == '[') {
        if (body.back() != ']')
          throw ConfigError(at, "a section header must end with ']': " + body);
        std::string kind = ascii_upper(trim(std::string_view(body).substr(1, body.size() - 2)));
        std::string why;
        if (unsupported_section(kind, why)) throw ConfigError(at, "[" + kind + "] sections: " + why);
        if (std::find(kSections.begin(), kSections.end(), kind) == kSections.end()) {
          std::string msg = "unknown section [" + kind + "]";
          std::string near = nearest(kind, kSections);
          msg += near.empty() ? " (known: SERVICE, INPUT, FILTER, OUTPUT, PARSER, MULTILINE_PARSER)"
                              : "; did you mean [" + near + "]?";
          throw ConfigError(at, msg);
        }
        sections.push_back(Section{kind, at, {}});
        current = sections.size() - 1;
        continue;
      }
      if (body[0] == '@') {
        directive(body, at, dir);
        continue;
      }
      size_t split = 0;
      while (split < body.size() && !is_space(body[split])) ++split;
      std::string key = ascii_lower(body.substr(0, split));
      std::string value = trim(std::string_view(body).substr(split));
      if (!current)
        throw ConfigError(at, "'" + key + "' is outside any section: entries belong under a header such as "
                                  "[INPUT] or [OUTPUT]");
      if (!plain_key(key))
        throw ConfigError(at, "'" + key + "' is not a key: keys are made of letters, digits, '_', '.' and '-'");
      Section& section = sections[*current];
      if (value.empty()) throw ConfigError(at, section.kind + " section: key '" + key + "' has no value");
      section.entries.push_back(Entry{key, value, at});
    }
  }

  std::vector<Section> sections;
  std::vector<Entry> variables;  // @SET

 private:
  void directive(const std::string& body, const Mark& at, const std::string& dir) {
    size_t split = 0;
    while (split < body.size() && !is_space(body[split])) ++split;
    std::string word = ascii_upper(body.substr(0, split));
    std::string arg = trim(std::string_view(body).substr(split));
    if (word == "@INCLUDE") {
      if (arg.empty()) throw ConfigError(at, "@INCLUDE needs a file name or pattern");
      include(arg, at, dir);
    } else if (word == "@SET") {
      size_t eq = arg.find('=');
      if (eq == std::string::npos || trim(std::string_view(arg).substr(0, eq)).empty())
        throw ConfigError(at, "@SET expects NAME=VALUE, got '" + arg + "'");
      std::string name = trim(std::string_view(arg).substr(0, eq));
      if (!plain_key(name))
        throw ConfigError(at, "@SET: '" + name + "' is not a variable name (letters, digits, '_', '.', '-')");
      variables.push_back(Entry{name, trim(std::string_view(arg).substr(eq + 1)), at});
    } else {
      throw ConfigError(at, "unknown directive " + word + " (known: @INCLUDE, @SET)");
    }
  }

  // @INCLUDE FILE or a glob, relative to the including file's folder; the
  // matches in name order, like Fluent Bit.
  void include(const std::string& pattern, const Mark& at, const std::string& dir) {
    std::string full = fs::path(pattern).is_absolute() || dir.empty() ? pattern : (fs::path(dir) / pattern).string();
    bool wildcard = pattern.find_first_of("*?[") != std::string::npos;
    if (!wildcard) {
      if (!fs::exists(full)) throw ConfigError(at, "included file not found: " + full);
      read_file(full, at);
      return;
    }
    glob_t g{};
    int rc = ::glob(full.c_str(), 0, nullptr, &g);
    std::vector<std::string> matches;
    if (rc == 0)
      for (size_t i = 0; i < g.gl_pathc; ++i) matches.emplace_back(g.gl_pathv[i]);
    ::globfree(&g);
    if (rc != 0 && rc != GLOB_NOMATCH) throw ConfigError(at, "cannot read the files of @INCLUDE " + pattern);
    std::sort(matches.begin(), matches.end());
    for (const auto& m : matches) read_file(m, at);
  }

  std::set<std::string> reading_;
};

// YAML text with its line origins.
class Writer {
 public:
  void line(std::string text, const Mark& at) {
    out.yaml += text;
    out.yaml += '\n';
    out.origin.push_back(at);
  }
  TranslatedConfig out;
};

// A value as a YAML scalar: plain where YAML reads it back as the same text,
// single-quoted otherwise (no escapes: regular expressions stay readable).
std::string scalar(const std::string& v) {
  static const std::string kSpecialFirst = "-?:,[]{}#&*!|>'\"%@`";
  // Leading or trailing spaces would be dropped from a plain scalar (and
  // hide an indicator after them: " %x" is a YAML error).
  bool plain = !v.empty() && v.front() != ' ' && v.back() != ' ' && kSpecialFirst.find(v[0]) == std::string::npos &&
               v.find(": ") == std::string::npos && v.find(" #") == std::string::npos && v.back() != ':' &&
               v != "~" && ascii_lower(v) != "null";
  for (char c : v)
    if (static_cast<unsigned char>(c) < 0x20) plain = false;
  if (plain) return v;
  std::string q = "'";
  for (char c : v) {
    if (c == '\'') q += '\'';
    q += c;
  }
  return q + "'";
}

// rule "state" "/regex/" "next_state" of a [MULTILINE_PARSER]: its three
// quoted words; the regex keeps its slashes (Regex reads them as Fluent Bit).
std::vector<std::string> rule_words(const Entry& e) {
  std::vector<std::string> words;
  const std::string& v = e.value;
  size_t i = 0;
  while (i < v.size()) {
    while (i < v.size() && is_space(v[i])) ++i;
    if (i >= v.size()) break;
    if (v[i] != '"') throw ConfigError(e.at, "rule expects three quoted values: \"state\" \"/regex/\" \"next state\"");
    size_t end = v.find('"', i + 1);
    // A regex may hold quotes: the closing quote is one followed by a space or the end.
    while (end != std::string::npos && end + 1 < v.size() && !is_space(v[end + 1])) end = v.find('"', end + 1);
    if (end == std::string::npos) throw ConfigError(e.at, "rule: unterminated quoted value");
    words.push_back(v.substr(i + 1, end - i - 1));
    i = end + 1;
  }
  if (words.size() != 3)
    throw ConfigError(e.at, "rule expects three quoted values: \"state\" \"/regex/\" \"next state\", got " +
                                std::to_string(words.size()));
  return words;
}

// One section's entries as YAML map lines at `indent`; the first line may
// carry a list dash. Repeated keys become a sequence.
void write_entries(Writer& w, const Section& s, const std::string& indent, bool dash) {
  std::vector<std::string> order;
  for (const auto& e : s.entries)
    if (std::find(order.begin(), order.end(), e.key) == order.end()) order.push_back(e.key);
  bool first = true;
  auto prefix = [&] {
    std::string p = first && dash ? indent.substr(0, indent.size() - 2) + "- " : indent;
    first = false;
    return p;
  };
  if (order.empty()) {
    w.line(dash ? indent.substr(0, indent.size() - 2) + "- {}" : indent + "{}", s.at);
    return;
  }
  for (const auto& key : order) {
    std::vector<const Entry*> all;
    for (const auto& e : s.entries)
      if (e.key == key) all.push_back(&e);
    if (s.kind == "MULTILINE_PARSER" && key == "rule") {
      w.line(prefix() + "rules:", all.front()->at);
      for (const Entry* e : all) {
        auto words = rule_words(*e);
        w.line(indent + "  - state: " + scalar(words[0]), e->at);
        w.line(indent + "    regex: " + scalar(words[1]), e->at);
        w.line(indent + "    next_state: " + scalar(words[2]), e->at);
      }
    } else if (all.size() == 1) {
      w.line(prefix() + key + ": " + scalar(all.front()->value), all.front()->at);
    } else {
      w.line(prefix() + key + ":", all.front()->at);
      for (const Entry* e : all) w.line(indent + "  - " + scalar(e->value), e->at);
    }
  }
}

TranslatedConfig to_yaml(const Reader& r) {
  Writer w;
  if (!r.variables.empty()) {
    w.line("env:", r.variables.front().at);
    for (const auto& v : r.variables) w.line("  " + scalar(v.key) + ": " + scalar(v.value), v.at);
  }
  // Several [SERVICE] sections are one service map.
  bool service = false;
  for (const auto& s : r.sections) {
    if (s.kind != "SERVICE" || s.entries.empty()) continue;
    if (!service) w.line("service:", s.at);
    service = true;
    write_entries(w, s, "  ", false);
  }
  bool pipeline = false;
  for (std::string_view kind : {"INPUT", "FILTER", "OUTPUT"}) {
    bool listed = false;
    for (const auto& s : r.sections) {
      if (s.kind != kind) continue;
      if (!pipeline) w.line("pipeline:", s.at);
      pipeline = true;
      if (!listed) w.line("  " + ascii_lower(std::string(kind)) + "s:", s.at);
      listed = true;
      write_entries(w, s, "      ", true);
    }
  }
  for (auto [kind, key] : {std::pair<std::string_view, std::string_view>{"PARSER", "parsers"},
                           {"MULTILINE_PARSER", "multiline_parsers"}}) {
    bool listed = false;
    for (const auto& s : r.sections) {
      if (s.kind != kind) continue;
      if (!listed) w.line(std::string(key) + ":", s.at);
      listed = true;
      write_entries(w, s, "    ", true);
    }
  }
  return std::move(w.out);
}

}  // namespace

bool is_classic_file(const std::string& path) {
  std::string ext = ascii_lower(fs::path(path).extension().string());
  if (ext == ".conf") return true;
  if (ext == ".yaml" || ext == ".yml") return false;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    return t[0] == '[' || t[0] == '@';
  }
  return false;
}

TranslatedConfig translate_classic_file(const std::string& path) {
  Reader r;
  r.read_file(path, Mark{});
  return to_yaml(r);
}

TranslatedConfig translate_classic(const std::string& text, const std::string& name, const std::string& dir) {
  Reader r;
  r.read_text(text, name, dir);
  return to_yaml(r);
}

}  // namespace sluice::config
