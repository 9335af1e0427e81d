// The file output's line formats; see file_encoder.hpp.
#include "outputs/file/file_encoder.hpp"

#include <cstdio>

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

namespace {

// A csv/ltsv field: strings in double quotes, other values as JSON (Fluent
// Bit prints msgpack's own notation; JSON is what a reader can parse back).
void append_field(std::string& out, const Value& v) {
  if (v.is_string()) json::append_string(out, v.as_string());
  else json::append_value(out, v);
}

// "sec.nsec" with nine digits, as Fluent Bit's out_file and csv lines.
void append_time_ns9(std::string& out, int64_t time_ns) {
  int64_t sec = time_ns / 1'000'000'000, ns = time_ns % 1'000'000'000;
  if (ns < 0) {
    --sec;
    ns += 1'000'000'000;
  }
  char buf[40];
  int n = std::snprintf(buf, sizeof buf, "%lld.%09lld", static_cast<long long>(sec), static_cast<long long>(ns));
  out.append(buf, static_cast<size_t>(n));
}

void append_csv(std::string& out, const Event& e, const FileEncoding& enc, bool column_names) {
  if (!e.record.is_map() || e.record.size() == 0) return;
  if (column_names) {
    out += "timestamp";
    for (const auto& m : e.record.members()) {
      out += enc.delimiter;
      json::append_string(out, m.key);
    }
    out.push_back('\n');
  }
  append_time_ns9(out, e.time_ns);
  for (const auto& m : e.record.members()) {
    out += enc.delimiter;
    append_field(out, m.value);
  }
}

void append_ltsv(std::string& out, const Event& e, const FileEncoding& enc) {
  if (!e.record.is_map() || e.record.size() == 0) return;
  out += "\"time\"";
  out += enc.label_delimiter;
  json_lines::append_seconds(out, e.time_ns, 6);
  for (const auto& m : e.record.members()) {
    out += enc.delimiter;
    json::append_string(out, m.key);
    out += enc.label_delimiter;
    append_field(out, m.value);
  }
}

}  // namespace

void encode_file_lines(std::string& out, const Batch& batch, const std::string* tag, const FileEncoding& enc,
                       bool column_names) {
  batch.for_each([&](const std::string& event_tag, const Event& e) {
    if (tag != nullptr && event_tag != *tag) return;
    size_t before = out.size();
    switch (enc.format) {
      case FileFormat::JsonLines: json_lines::append_object(out, e, enc.json); break;
      case FileFormat::Plain: json::append_value(out, e.record); break;
      case FileFormat::Template: enc.tmpl.append(out, e); break;
      case FileFormat::OutFile:
        out += event_tag;
        out += ": [";
        append_time_ns9(out, e.time_ns);
        out += ", ";
        json::append_value(out, e.record);
        out += ']';
        break;
      case FileFormat::Csv:
        append_csv(out, e, enc, column_names);
        column_names = false;
        break;
      case FileFormat::Ltsv: append_ltsv(out, e, enc); break;
    }
    // csv and ltsv write nothing for an empty record, as Fluent Bit.
    if (out.size() > before || (enc.format != FileFormat::Csv && enc.format != FileFormat::Ltsv)) out.push_back('\n');
  });
}

}  // namespace sluice
