// Reading dead-letter files and their replay marks; see dead_letter_reader.hpp.
#include "agent/dead_letter_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>

#include "agent/config/yaml_loader.hpp"
#include "agent/dead_letter.hpp"
#include "agent/json_writer.hpp"
#include "agent/parse/json_format.hpp"
#include "agent/parse/time_format.hpp"

namespace sluice {

namespace {

std::string_view string_member(const Value& obj, std::string_view key) {
  const Value* v = obj.find(key);
  return v != nullptr && v->is_string() ? v->as_string() : std::string_view{};
}

}  // namespace

uint64_t dead_letter_line_hash(std::string_view text) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a, 64 bits: stable across builds and hosts
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

DeadLetterLineParser::DeadLetterLineParser() : json_(make_json_format()) {}
DeadLetterLineParser::~DeadLetterLineParser() = default;

std::string DeadLetterLineParser::parse(std::string_view text, Arena& arena, DeadLetterLine& out) {
  Value obj;
  if (!json_->parse(text, arena, obj)) return "not a JSON object";
  const Value* record = obj.find("record");
  if (record == nullptr || !record->is_map()) return "no \"record\" object";
  const Value* output = obj.find("output");
  if (output == nullptr || !output->is_string() || output->as_string().empty()) return "no \"output\" name";
  auto time_of = [&](std::string_view key) -> std::optional<int64_t> {
    std::string_view s = string_member(obj, key);
    return s.empty() ? std::nullopt : timefmt::parse_rfc3339(s);
  };
  std::optional<int64_t> time = time_of("time"), timestamp = time_of("timestamp");
  if (!time) return "no RFC 3339 \"time\"";
  if (!timestamp) return "no RFC 3339 \"timestamp\"";
  out.output = output->as_string();
  out.reason = string_member(obj, "reason");
  out.tag = string_member(obj, "tag");
  out.time_ns = *time;
  out.timestamp_ns = *timestamp;
  out.record = *record;
  const Value* metadata = obj.find("metadata");
  out.metadata = metadata != nullptr && metadata->is_map() ? *metadata : Value();
  return {};
}

std::string read_dead_letter_lines(const std::string& path,
                                   const std::function<void(const DeadLetterPosition&, std::string_view)>& fn) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::strerror(errno);
  in.seekg(0, std::ios::end);
  const auto size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  DeadLetterPosition p;
  std::string text;
  while (p.offset < size && std::getline(in, text)) {
    uint64_t next = p.offset + text.size() + 1;
    if (next > size || in.eof()) break;  // no '\n' yet: being written, or torn (cut at sluice's next start)
    ++p.line;
    p.hash = dead_letter_line_hash(text);
    fn(p, text);
    p.offset = next;
  }
  if (in.bad()) return std::strerror(errno);
  return {};
}

ReplayMarks::ReplayMarks(const std::string& dead_letter_path) {
  std::ifstream in(path_for(dead_letter_path), std::ios::binary);
  auto json = make_json_format();
  std::string text;
  while (std::getline(in, text)) {
    if (in.eof()) break;  // torn last line: not a mark
    Arena arena(text.size() * 2 + 256);
    Value obj;
    const Value* offset = nullptr;
    std::string_view hash;
    if (json->parse(text, arena, obj)) {
      offset = obj.find("offset");
      hash = string_member(obj, "hash");
    }
    if (offset == nullptr || !offset->is_int() || offset->as_int() < 0 || hash.size() != 16) {
      ++malformed_;
      continue;
    }
    DeadLetterPosition p;
    p.offset = static_cast<uint64_t>(offset->as_int());
    char* end = nullptr;
    std::string hex(hash);
    p.hash = std::strtoull(hex.c_str(), &end, 16);
    if (end != hex.c_str() + hex.size()) {
      ++malformed_;
      continue;
    }
    marks_.insert(p);
  }
}

void ReplayMarks::encode(std::string& out, const DeadLetterPosition& p, std::string_view output, int64_t now_ns) {
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(p.hash));
  out += "{\"offset\":" + std::to_string(p.offset) + ",\"line\":" + std::to_string(p.line) + ",\"hash\":\"" + hash +
         "\",\"output\":";
  json::append_string(out, output);
  out += ",\"replayed_at\":\"";
  json::append_rfc3339(out, now_ns);
  out += "\"}\n";
}

std::string output_instance_name(const config::ComponentConfig& output, size_t index) {
  if (output.has("alias")) return output.get_string("alias");
  return std::string(output.plugin()) + "." + std::to_string(index);
}

std::vector<std::string> dead_letter_files(const config::PipelineConfig& cfg) {
  std::vector<std::string> files{default_dead_letter_path(cfg.service)};
  for (const auto& o : cfg.outputs) {
    std::string own = o.get_string("dead_letter_file");
    if (!own.empty() && std::find(files.begin(), files.end(), own) == files.end()) files.push_back(own);
  }
  return files;
}

std::optional<int64_t> parse_since(std::string_view text, int64_t now_ns) {
  if (auto d = config::parse_duration(text)) return now_ns - d->count();
  return timefmt::parse_rfc3339(text);
}

std::string read_selected_lines(
    const std::string& path, const DeadLetterSelection& sel, std::ostream& err,
    const std::function<void(const DeadLetterPosition&, std::string_view, const DeadLetterLine&, bool)>& fn) {
  DeadLetterLineParser parser;
  ReplayMarks marks(path);
  uint64_t malformed = 0;
  std::string error = read_dead_letter_lines(path, [&](const DeadLetterPosition& p, std::string_view text) {
    Arena arena(text.size() * 2 + 256);
    DeadLetterLine line;
    if (std::string why = parser.parse(text, arena, line); !why.empty()) {
      if (++malformed <= 10) err << path << ":" << p.line << ": skipped: " << why << "\n";
      return;
    }
    if (!sel.output.empty() && line.output != sel.output) return;
    if (sel.since_ns && line.time_ns < *sel.since_ns) return;
    fn(p, text, line, marks.contains(p));
  });
  if (error.empty() && malformed > 0) err << path << ": " << malformed << " malformed lines skipped\n";
  return error;
}

}  // namespace sluice
