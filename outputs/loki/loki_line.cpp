// Log lines from records; see loki_line.hpp.
#include "outputs/loki/loki_line.hpp"

#include <algorithm>

#include "agent/json_writer.hpp"

namespace sluice::loki {

LineEncoder::LineEncoder(LineFormat format, DropSingleKey drop_single_key, std::vector<RecordAccessor> removed)
    : format_(format), drop_single_key_(drop_single_key), removed_(std::move(removed)) {}

void LineEncoder::locate_removed(const Value& record) {
  cuts_.clear();
  on_path_.clear();
  for (const auto& ra : removed_) {
    const Value* cur = &record;
    size_t path_start = on_path_.size();
    bool found = true;
    for (const auto& step : ra.steps()) {
      const Value* next = nullptr;
      if (step.is_index()) {
        if (cur->is_array() && static_cast<uint64_t>(step.index) < cur->size())
          next = &cur->items()[static_cast<size_t>(step.index)];
      } else {
        next = cur->find(step.key);
      }
      if (next == nullptr) {
        found = false;
        break;
      }
      on_path_.push_back(cur);
      cur = next;
    }
    if (found) {
      cuts_.push_back(cur);
    } else {
      on_path_.resize(path_start);
    }
  }
}

bool LineEncoder::is_cut(const Value* v) const { return std::find(cuts_.begin(), cuts_.end(), v) != cuts_.end(); }

bool LineEncoder::is_on_path(const Value* v) const {
  return std::find(on_path_.begin(), on_path_.end(), v) != on_path_.end();
}

void LineEncoder::append_json(std::string& out, const Value& v) {
  if (cuts_.empty() || !is_on_path(&v)) {
    json::append_value(out, v);
    return;
  }
  bool first = true;
  if (v.is_map()) {
    out.push_back('{');
    for (const auto& m : v.members()) {
      if (is_cut(&m.value)) continue;
      if (!first) out.push_back(',');
      first = false;
      json::append_string(out, m.key);
      out.push_back(':');
      append_json(out, m.value);
    }
    out.push_back('}');
  } else {
    out.push_back('[');
    for (const auto& item : v.items()) {
      if (is_cut(&item)) continue;
      if (!first) out.push_back(',');
      first = false;
      append_json(out, item);
    }
    out.push_back(']');
  }
}

void append_logfmt_quoted(std::string& out, std::string_view s) {
  out.push_back('"');
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char* esc = nullptr;
    switch (s[i]) {
      case '"': esc = "\\\""; break;
      case '\\': esc = "\\\\"; break;
      case '\n': esc = "\\n"; break;
      case '\r': esc = "\\r"; break;
      case '\t': esc = "\\t"; break;
      default: continue;
    }
    out.append(s.data() + run, i - run);
    out += esc;
    run = i + 1;
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

// Strings quoted, numbers/bools/null as JSON prints them, maps and arrays as
// their JSON text in quotes (so a logfmt parser reads one value).
void LineEncoder::append_kv_value(std::string& out, const Value& v) {
  if (v.is_string()) {
    append_logfmt_quoted(out, v.as_string());
  } else if (v.is_map() || v.is_array()) {
    scratch_.clear();
    append_json(scratch_, v);
    append_logfmt_quoted(out, scratch_);
  } else {
    json::append_value(out, v);
  }
}

void LineEncoder::append_key_values(std::string& out, const Value& record) {
  bool first = true;
  for (const auto& m : record.members()) {
    if (!cuts_.empty() && is_cut(&m.value)) continue;
    if (!first) out.push_back(' ');
    first = false;
    out += m.key;
    out.push_back('=');
    append_kv_value(out, m.value);
  }
}

// The one value left: a string is the line itself with key_value or `raw`;
// with json (on) it stays a JSON value, so a string keeps its quotes.
void LineEncoder::append_single(std::string& out, const Value& v) {
  bool raw_string = v.is_string() && (format_ == LineFormat::KeyValue || drop_single_key_ == DropSingleKey::Raw);
  if (raw_string) {
    out += v.as_string();
  } else {
    append_json(out, v);
  }
}

void LineEncoder::append(std::string& out, const Value& record) {
  if (!removed_.empty()) locate_removed(record);
  if (drop_single_key_ != DropSingleKey::Off && record.is_map()) {
    const Value* single = nullptr;
    size_t left = 0;
    for (const auto& m : record.members()) {
      if (!cuts_.empty() && is_cut(&m.value)) continue;
      single = &m.value;
      if (++left > 1) break;
    }
    if (left == 1) {
      append_single(out, *single);
      return;
    }
  }
  if (format_ == LineFormat::KeyValue && record.is_map()) {
    append_key_values(out, record);
  } else {
    append_json(out, record);
  }
}

}  // namespace sluice::loki
