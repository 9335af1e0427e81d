// JSON push body; see loki_json_encoder.hpp.
#include "outputs/loki/loki_json_encoder.hpp"

#include <charconv>

#include "agent/json_writer.hpp"

namespace sluice::loki {

namespace {

void append_entry(std::string& out, const PushBatch& b, const PushEntry& e) {
  char buf[24];
  out += "[\"";
  out.append(buf, std::to_chars(buf, buf + sizeof buf, e.time_ns).ptr);
  out += "\",";
  json::append_string(out, b.view(e.line));
  if (e.meta_count > 0) {
    out += ",{";
    for (uint32_t i = 0; i < e.meta_count; ++i) {
      const MetaPair& p = b.metadata[e.meta_begin + i];
      if (i > 0) out.push_back(',');
      json::append_string(out, b.view(p.name));
      out.push_back(':');
      json::append_string(out, b.view(p.value));
    }
    out.push_back('}');
  }
  out.push_back(']');
}

}  // namespace

void encode_push_json(const PushBatch& batch, std::string& out) {
  out.clear();
  out.reserve(batch.text.size() + batch.entries.size() * 32 + 64);
  out += "{\"streams\":[";
  bool first_stream = true;
  for (const auto& s : batch.streams) {
    if (s.count == 0) continue;
    if (!first_stream) out.push_back(',');
    first_stream = false;
    out += "{\"stream\":{";
    for (size_t i = 0; i < s.labels.size(); ++i) {
      if (i > 0) out.push_back(',');
      json::append_string(out, s.labels[i].first);
      out.push_back(':');
      json::append_string(out, s.labels[i].second);
    }
    out += "},\"values\":[";
    for (uint32_t i = s.first; i < s.first + s.count; ++i) {
      if (i > s.first) out.push_back(',');
      append_entry(out, batch, batch.entries[i]);
    }
    out += "]}";
  }
  out += "]}";
}

}  // namespace sluice::loki
