// Names made from records and tags; see record_template.hpp.
#include "agent/record_template.hpp"

#include <cctype>
#include <charconv>

#include "agent/config/component_config.hpp"

namespace sluice {

namespace {

bool is_key_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }

// The end of the subscripts (`['x']`, `["x"]`, `[0]`) starting at i, or npos
// if one is unterminated.
size_t skip_subscripts(std::string_view t, size_t i) {
  while (i < t.size() && t[i] == '[') {
    if (i + 1 < t.size() && (t[i + 1] == '\'' || t[i + 1] == '"')) {
      char q = t[i + 1];
      size_t close = t.find(q, i + 2);
      if (close == std::string_view::npos || close + 1 >= t.size() || t[close + 1] != ']') return std::string_view::npos;
      i = close + 2;
    } else {
      size_t close = t.find(']', i);
      if (close == std::string_view::npos) return std::string_view::npos;
      i = close + 1;
    }
  }
  return i;
}

bool append_scalar(const Value& v, std::string& out) {
  if (v.is_string()) {
    out.append(v.as_string());
  } else if (v.is_int()) {
    out += std::to_string(v.as_int());
  } else if (v.is_bool()) {
    out += v.as_bool() ? "true" : "false";
  } else if (v.is_double()) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v.as_double());
    out.append(buf, r.ptr);
  } else {
    return false;
  }
  return true;
}

}  // namespace

std::optional<RecordTemplate> RecordTemplate::compile(std::string_view text, std::string* error) {
  return compile(text, error, Options{});
}

std::optional<RecordTemplate> RecordTemplate::compile(std::string_view text, std::string* error, Options options) {
  RecordTemplate t;
  t.text_ = std::string(text);
  size_t i = 0;
  while (i < text.size()) {
    size_t dollar = text.find('$', i);
    if (dollar != i) {
      size_t end = dollar == std::string_view::npos ? text.size() : dollar;
      t.parts_.push_back({Part::Kind::Literal, std::string(text.substr(i, end - i))});
      i = end;
      continue;
    }
    if (options.captures && i + 1 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '9') {
      t.parts_.push_back({Part::Kind::Capture, "", static_cast<size_t>(text[i + 1] - '0')});
      i += 2;
      continue;
    }
    size_t name_end = i + 1;
    while (name_end < text.size() && is_key_char(text[name_end])) ++name_end;
    if (name_end == i + 1) {
      if (options.lone_dollar_is_text) {
        t.parts_.push_back({Part::Kind::Literal, "$"});
        ++i;
        continue;
      }
      *error = "'$' at character " + std::to_string(i + 1) + " is not followed by a field name or TAG";
      return std::nullopt;
    }
    size_t end = skip_subscripts(text, name_end);
    if (end == std::string_view::npos) {
      *error = "unterminated '[' (a '[' without its ']') after " + std::string(text.substr(i, name_end - i));
      return std::nullopt;
    }
    std::string_view name = text.substr(i + 1, name_end - i - 1);
    if (name == "TAG") {
      std::string_view sub = text.substr(name_end, end - name_end);
      if (sub.empty()) {
        t.parts_.push_back({Part::Kind::Tag, ""});
      } else {
        size_t n = 0;
        auto r = std::from_chars(sub.data() + 1, sub.data() + sub.size() - 1, n);
        if (sub.size() < 3 || r.ec != std::errc() || r.ptr != sub.data() + sub.size() - 1) {
          *error = "expected $TAG or $TAG[n] (n a number), got " + std::string(text.substr(i, end - i));
          return std::nullopt;
        }
        t.parts_.push_back({Part::Kind::TagPart, "", n});
      }
    } else {
      std::string accessor_error;
      auto ra = RecordAccessor::compile(text.substr(i, end - i), &accessor_error);
      if (!ra) {
        *error = accessor_error;
        return std::nullopt;
      }
      t.parts_.push_back({Part::Kind::Field, "", 0, std::move(ra)});
    }
    i = end;
  }
  return t;
}

bool RecordTemplate::append(const Part& p, const Value& record, std::string_view tag,
                            const std::vector<std::string_view>& captures, std::string& out) {
  switch (p.kind) {
    case Part::Kind::Literal: out += p.literal; return true;
    case Part::Kind::Tag: out.append(tag); return true;
    case Part::Kind::TagPart: {
      std::string_view rest = tag;
      for (size_t k = 0; k < p.tag_part; ++k) {
        size_t dot = rest.find('.');
        if (dot == std::string_view::npos) return false;
        rest.remove_prefix(dot + 1);
      }
      out.append(rest.substr(0, rest.find('.')));
      return true;
    }
    case Part::Kind::Field: {
      const Value* v = p.field->get(record);
      return v != nullptr && append_scalar(*v, out);
    }
    case Part::Kind::Capture:
      if (p.tag_part >= captures.size()) return false;
      out.append(captures[p.tag_part]);
      return true;
  }
  return false;
}

bool RecordTemplate::render(const Value& record, std::string_view tag, std::string& out) const {
  const size_t start = out.size();
  for (const Part& p : parts_) {
    if (!append(p, record, tag, {}, out)) {
      out.resize(start);
      return false;
    }
  }
  return true;
}

void RecordTemplate::render_present(const Value& record, std::string_view tag,
                                    const std::vector<std::string_view>& captures, std::string& out) const {
  for (const Part& p : parts_) append(p, record, tag, captures, out);
}

RecordTemplate compile_template_key(const config::ComponentConfig& cfg, std::string_view key, const std::string& text) {
  std::string error;
  auto t = RecordTemplate::compile(text, &error);
  if (!t) cfg.fail(key, error);
  return std::move(*t);
}

std::optional<RecordTemplate> read_template_key(const config::ComponentConfig& cfg, std::string_view key) {
  std::string text = cfg.get_string(key);
  if (text.empty()) return std::nullopt;
  return compile_template_key(cfg, key, text);
}

RecordAccessor compile_accessor_key(const config::ComponentConfig& cfg, std::string_view key, const std::string& text) {
  if (text.empty() || text.front() != '$')
    cfg.fail(key, "expects a record accessor such as $log or $kubernetes['pod_name'], got '" + text + "'");
  std::string error;
  auto a = RecordAccessor::compile(text, &error);
  if (!a) cfg.fail(key, error);
  return std::move(*a);
}

std::optional<RecordAccessor> read_accessor_key(const config::ComponentConfig& cfg, std::string_view key) {
  std::string text = cfg.get_string(key);
  if (text.empty()) return std::nullopt;
  return compile_accessor_key(cfg, key, text);
}

}  // namespace sluice
