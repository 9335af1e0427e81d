// The dead-letter store's line format; see dead_letter.hpp.
#include "agent/dead_letter.hpp"

#include <chrono>
#include <filesystem>

#include "agent/config/component_config.hpp"
#include "agent/json_writer.hpp"

namespace sluice {

std::string default_dead_letter_path(const config::ComponentConfig& service) {
  std::string path = service.get_string("dead_letter_file");
  if (!path.empty()) return path;
  std::string storage = service.get_string("storage.path");
  return (std::filesystem::path(storage.empty() ? "." : storage) / "sluice-dead-letter.jsonl").string();
}

int64_t DeadLetter::now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void DeadLetter::encode(std::string& line, std::string_view output, std::string_view reason, std::string_view tag,
                        const Event& event, int64_t now, const Value* metadata) {
  line += "{\"time\":\"";
  json::append_rfc3339(line, now);
  line += "\",\"output\":";
  json::append_string(line, output);
  line += ",\"reason\":";
  json::append_string(line, reason);
  line += ",\"tag\":";
  json::append_string(line, tag);
  line += ",\"timestamp\":\"";
  json::append_rfc3339(line, event.time_ns);
  line += "\",\"record\":";
  json::append_value(line, event.record);
  if (metadata != nullptr && metadata->is_map() && metadata->size() > 0) {
    line += ",\"metadata\":";
    json::append_value(line, *metadata);
  }
  line += "}\n";
}

}  // namespace sluice
