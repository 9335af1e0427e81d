// Label and structured-metadata rules; see loki_labels.hpp.
#include "outputs/loki/loki_labels.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "agent/hex.hpp"
#include "agent/json_writer.hpp"

namespace sluice::loki {

namespace {


std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Fluent Bit's name for a `$a['b'][0]` label: the keys joined by '_' (a_b_0).
std::string accessor_name(const RecordAccessor& ra) {
  std::string name;
  for (const auto& step : ra.steps()) {
    if (!name.empty()) name.push_back('_');
    name += step.is_index() ? std::to_string(step.index) : step.key;
  }
  return name;
}

std::optional<RecordAccessor> compile_accessor(std::string_view text, std::string* error) {
  auto ra = RecordAccessor::compile(text, error);
  if (ra && text.size() >= 2 && text[0] == '$' && text[1] >= '0' && text[1] <= '9') {
    *error = "record accessor '" + std::string(text) + "' starts with a digit";
    return std::nullopt;
  }
  return ra;
}

}  // namespace

std::optional<KvRule> parse_kv_rule(std::string_view entry, std::string* error) {
  entry = trim(entry);
  KvRule rule;
  if (!entry.empty() && entry[0] == '$') {
    auto ra = compile_accessor(entry, error);
    if (!ra) return std::nullopt;
    rule.name = sanitize_label_name(accessor_name(*ra));
    rule.accessor = std::move(ra);
    return rule;
  }
  size_t eq = entry.find('=');
  if (eq == std::string_view::npos) {
    *error = "'" + std::string(entry) + "' is neither name=value nor a $record_accessor";
    return std::nullopt;
  }
  std::string_view name = trim(entry.substr(0, eq));
  std::string_view value = trim(entry.substr(eq + 1));
  if (name.empty() || value.empty()) {
    *error = "'" + std::string(entry) + "' needs a name and a value (name=value)";
    return std::nullopt;
  }
  rule.name = sanitize_label_name(name);
  if (value[0] == '$') {
    auto ra = compile_accessor(value, error);
    if (!ra) return std::nullopt;
    rule.accessor = std::move(ra);
  } else {
    rule.fixed = std::string(value);
  }
  return rule;
}

std::string sanitize_label_name(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  if (!name.empty() && name[0] >= '0' && name[0] <= '9') out.push_back('_');
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out.push_back(ok ? c : '_');
  }
  return out;
}

void append_go_quoted(std::string& out, std::string_view s) {
  out.push_back('"');
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t n = json::utf8_sequence_length(s, i);
      if (n == 0) {
        out += "\xEF\xBF\xBD";
        ++i;
      } else {
        out.append(s.data() + i, n);
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "\\x";
          out.push_back(hex::kDigits[c >> 4]);
          out.push_back(hex::kDigits[c & 15]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
}

bool append_value_text(std::string& out, const Value& v, bool containers_as_json) {
  switch (v.kind()) {
    case Kind::Null: return false;
    case Kind::String:
      if (v.as_string().empty()) return false;
      out += v.as_string();
      return true;
    case Kind::Bool:
    case Kind::Int: json::append_value(out, v); return true;
    case Kind::Double: {  // a label is text: 2.5, and 1 for 1.0
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, v.as_double());
      out.append(buf, r.ptr);
      return true;
    }
    case Kind::Array:
    case Kind::Map:
      if (!containers_as_json) return false;
      json::append_value(out, v);
      return true;
  }
  return false;
}

LabelRules::LabelRules(std::vector<KvRule> rules, std::pair<std::string, std::string> default_label,
                       std::optional<RecordAccessor> map_labels)
    : rules_(std::move(rules)), default_(std::move(default_label)), map_labels_(std::move(map_labels)) {
  std::stable_sort(rules_.begin(), rules_.end(), [](const KvRule& a, const KvRule& b) { return a.name < b.name; });
  fixed_ = !map_labels_ &&
           std::none_of(rules_.begin(), rules_.end(), [](const KvRule& r) { return r.accessor.has_value(); });
}

// The map's string members, length-prefixed name and value each, and a
// count at the end, so that {a:"bc"} and {ab:"c"} give different keys.
void LabelRules::append_map_key(std::string& out, const Value& record) const {
  const Value* map = map_labels_->get(record);
  uint32_t count = 0;
  if (map != nullptr && map->is_map()) {
    for (const Member& m : map->members()) {
      if (!m.value.is_string() || m.value.as_string().empty()) continue;
      for (std::string_view part : {std::string_view(m.key), m.value.as_string()}) {
        auto n = static_cast<uint32_t>(part.size());
        out.append(reinterpret_cast<const char*>(&n), sizeof n);
        out.append(part);
      }
      ++count;
    }
  }
  out.append(reinterpret_cast<const char*>(&count), sizeof count);
}

void LabelRules::append_key(std::string& out, const Value& record) const {
  for (const auto& rule : rules_) {
    if (!rule.accessor) continue;
    size_t at = out.size();
    out.append(sizeof(uint32_t), '\0');
    const Value* v = rule.accessor->get(record);
    bool present = v != nullptr && append_value_text(out, *v, false);
    uint32_t n = present ? static_cast<uint32_t>(out.size() - at - sizeof(uint32_t)) : ~0u;  // ~0: no value
    std::memcpy(out.data() + at, &n, sizeof n);
  }
  if (map_labels_) append_map_key(out, record);
}

void LabelRules::append_selector(std::string& out, const Value& record, std::string& scratch) const {
  if (map_labels_) {  // names from the record: gather, order and print them
    out.push_back('{');
    bool first = true;
    for (const auto& [name, value] : pairs(record)) {
      if (!first) out += ", ";
      first = false;
      out += name;
      out.push_back('=');
      append_go_quoted(out, value);
    }
    out.push_back('}');
    return;
  }
  out.push_back('{');
  size_t opened = out.size();
  for (const auto& rule : rules_) {
    std::string_view value = rule.fixed;
    if (rule.accessor) {
      const Value* v = rule.accessor->get(record);
      scratch.clear();
      if (v == nullptr || !append_value_text(scratch, *v, false)) continue;
      value = scratch;
    }
    if (out.size() > opened) out += ", ";
    out += rule.name;
    out.push_back('=');
    append_go_quoted(out, value);
  }
  if (out.size() == opened) {
    out += default_.first;
    out.push_back('=');
    append_go_quoted(out, default_.second);
  }
  out.push_back('}');
}

std::vector<std::pair<std::string, std::string>> LabelRules::pairs(const Value& record) const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& rule : rules_) {
    if (!rule.accessor) {
      out.emplace_back(rule.name, rule.fixed);
      continue;
    }
    const Value* v = rule.accessor->get(record);
    std::string text;
    if (v != nullptr && append_value_text(text, *v, false)) out.emplace_back(rule.name, std::move(text));
  }
  if (map_labels_) {
    const Value* map = map_labels_->get(record);
    if (map != nullptr && map->is_map()) {
      size_t configured = out.size();
      for (const Member& m : map->members()) {
        if (!m.value.is_string() || m.value.as_string().empty()) continue;
        std::string name = sanitize_label_name(m.key);
        auto same = [&](const auto& p) { return p.first == name; };
        if (name.empty() || std::any_of(out.begin(), out.end(), same)) continue;  // a rule's, or an earlier member's
        out.emplace_back(std::move(name), std::string(m.value.as_string()));
      }
      if (out.size() > configured)
        std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    }
  }
  if (out.empty()) out.push_back(default_);
  return out;
}

}  // namespace sluice::loki
