// Grouping events into Loki streams; see loki_streams.hpp.
#include "outputs/loki/loki_streams.hpp"

#include <algorithm>

namespace sluice::loki {

void PushBatch::clear() {
  streams.clear();
  entries.clear();
  metadata.clear();
  text.clear();
}

PushBatchBuilder::PushBatchBuilder(const StreamRules& rules)
    : rules_(rules), line_(rules.line_format, rules.drop_single_key, rules.removed) {}

void PushBatchBuilder::clear() {
  batch_.clear();
  stream_index_.clear();
}

TextSpan PushBatchBuilder::append_text(std::string_view s) {
  TextSpan span{batch_.text.size(), s.size()};
  batch_.text += s;
  return span;
}

uint32_t PushBatchBuilder::stream_of(const Value& record) {
  if (rules_.labels.is_fixed() && !batch_.streams.empty()) return 0;
  key_.clear();
  rules_.labels.append_key(key_, record);
  auto it = stream_index_.find(key_);
  if (it != stream_index_.end()) return it->second;
  auto index = static_cast<uint32_t>(batch_.streams.size());
  PushStream& s = batch_.streams.emplace_back();
  rules_.labels.append_selector(s.selector, record, scratch_);
  s.labels = rules_.labels.pairs(record);
  stream_index_.emplace(key_, index);
  return index;
}

// structured_metadata_map_keys first, then structured_metadata, whose pairs
// replace a map's pair of the same name (Fluent Bit's precedence).
void PushBatchBuilder::add_metadata(PushEntry& entry, const Value& record) {
  entry.meta_begin = static_cast<uint32_t>(batch_.metadata.size());
  for (const auto& ra : rules_.metadata_maps) {
    const Value* map = ra.get(record);
    if (map == nullptr || !map->is_map()) continue;
    for (const auto& m : map->members()) {
      size_t value_begin = batch_.text.size();
      if (!append_value_text(batch_.text, m.value, true)) continue;
      TextSpan value{value_begin, batch_.text.size() - value_begin};
      batch_.metadata.push_back({append_text(sanitize_label_name(m.key)), value});
    }
  }
  size_t from_maps = batch_.metadata.size();
  for (const auto& rule : rules_.metadata) {
    TextSpan value;
    if (rule.accessor) {
      const Value* v = rule.accessor->get(record);
      size_t value_begin = batch_.text.size();
      if (v == nullptr || !append_value_text(batch_.text, *v, true)) continue;
      value = {value_begin, batch_.text.size() - value_begin};
    } else {
      value = append_text(rule.fixed);
    }
    auto same = std::find_if(batch_.metadata.begin() + entry.meta_begin, batch_.metadata.begin() + from_maps,
                             [&](const MetaPair& p) { return batch_.view(p.name) == rule.name; });
    if (same != batch_.metadata.begin() + from_maps) {
      same->value = value;
    } else {
      batch_.metadata.push_back({append_text(rule.name), value});
    }
  }
  entry.meta_count = static_cast<uint32_t>(batch_.metadata.size()) - entry.meta_begin;
}

void PushBatchBuilder::add(const Event& event) {
  PushEntry entry;
  entry.time_ns = event.time_ns;
  entry.stream = stream_of(event.record);
  size_t line_begin = batch_.text.size();
  line_.append(batch_.text, event.record);
  entry.line = {line_begin, batch_.text.size() - line_begin};
  if (!rules_.metadata.empty() || !rules_.metadata_maps.empty()) add_metadata(entry, event.record);
  batch_.entries.push_back(entry);
}

const PushBatch& PushBatchBuilder::finish() {
  auto by_stream_and_time = [](const PushEntry& a, const PushEntry& b) {
    return a.stream != b.stream ? a.stream < b.stream : a.time_ns < b.time_ns;
  };
  auto& entries = batch_.entries;
  // Usually one stream and times in order already: no sort, no allocation.
  if (!std::is_sorted(entries.begin(), entries.end(), by_stream_and_time))
    std::stable_sort(entries.begin(), entries.end(), by_stream_and_time);
  for (auto& s : batch_.streams) s.count = 0;
  for (uint32_t i = 0; i < entries.size(); ++i) {
    PushStream& s = batch_.streams[entries[i].stream];
    if (s.count++ == 0) s.first = i;
  }
  return batch_;
}

}  // namespace sluice::loki
