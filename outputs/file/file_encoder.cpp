// The file output's line formats; see file_encoder.hpp.
#include "outputs/file/file_encoder.hpp"


#include "agent/json_writer.hpp"

namespace sluice {

FileTemplate::FileTemplate(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find('{', i);
    size_t close = open == std::string_view::npos ? open : text.find('}', open + 1);
    if (close == std::string_view::npos) {
      parts_.push_back({Part::Kind::Literal, std::string(text.substr(i))});
      break;
    }
    if (open > i) parts_.push_back({Part::Kind::Literal, std::string(text.substr(i, open - i))});
    std::string key(text.substr(open + 1, close - open - 1));
    parts_.push_back({key == "time" ? Part::Kind::Time : Part::Kind::Key, std::move(key)});
    i = close + 1;
  }
}

void FileTemplate::append(std::string& out, const Event& event) const {
  for (const auto& part : parts_) {
    switch (part.kind) {
      case Part::Kind::Literal: out += part.text; break;
      case Part::Kind::Time: {
        // Fluent Bit prints flb_time_to_double with "%f".
        json_lines::append_seconds(out, event.time_ns, 6);
        break;
      }
      case Part::Kind::Key: {
        const Value* v = event.record.find(part.text);
        if (v == nullptr) break;
        if (v->is_string()) out += v->as_string();
        else json::append_value(out, *v);
        break;
      }
    }
  }
}

void encode_file_lines(std::string& out, const Batch& batch, const std::string* tag, const FileEncoding& enc) {
  batch.for_each([&](const std::string& event_tag, const Event& e) {
    if (tag != nullptr && event_tag != *tag) return;
    switch (enc.format) {
      case FileFormat::JsonLines: json_lines::append_object(out, e, enc.json); break;
      case FileFormat::Plain: json::append_value(out, e.record); break;
      case FileFormat::Template: enc.tmpl.append(out, e); break;
    }
    out.push_back('\n');
  });
}

}  // namespace sluice
