// `sluice dead-letter list`; see dead_letter_list.hpp.
#include "agent/dead_letter_list.hpp"

#include <map>

#include "agent/dead_letter_reader.hpp"
#include "agent/json_writer.hpp"

namespace sluice {

namespace {

struct Group {
  uint64_t records = 0, replayed = 0;
  int64_t first_ns = 0, last_ns = 0;
};

std::string rfc3339(int64_t ns) {
  std::string s;
  json::append_rfc3339(s, ns);
  return s;
}

// A reason fits one summary line; the whole text is in the file (and --verbose).
std::string shorten(std::string_view s, size_t max = 160) {
  if (s.size() <= max) return std::string(s);
  return std::string(s.substr(0, max)) + "...";
}

}  // namespace

int list_dead_letters(const ListOptions& options, std::ostream& out, std::ostream& err) {
  const DeadLetterSelection& sel = options.select;
  int status = 0;
  for (const std::string& path : sel.files) {
    std::map<std::pair<std::string, std::string>, Group> groups;  // (output, reason)
    uint64_t records = 0, replayed = 0;
    std::string error = read_selected_lines(path, sel, err, [&](const DeadLetterPosition& p, std::string_view text,
                                                                const DeadLetterLine& line, bool was_replayed) {
      ++records;
      replayed += was_replayed;
      Group& g = groups[{std::string(line.output), std::string(line.reason)}];
      ++g.records;
      g.replayed += was_replayed;
      if (g.first_ns == 0 || line.time_ns < g.first_ns) g.first_ns = line.time_ns;
      g.last_ns = std::max(g.last_ns, line.time_ns);
      if (options.json) {
        std::string o = "{\"file\":";
        json::append_string(o, path);
        o += ",\"line\":" + std::to_string(p.line) + ",\"replayed\":" + (was_replayed ? "true" : "false") +
             ",\"entry\":";
        o.append(text);
        out << o << "}\n";
      } else if (options.verbose) {
        out << path << ":" << p.line << " " << line.output << " " << rfc3339(line.time_ns) << " tag " << line.tag
            << (was_replayed ? " [replayed]" : "") << "\n    reason: " << line.reason
            << "\n    record: " << json::to_string(line.record) << "\n";
      }
    });
    if (!error.empty()) {
      err << path << ": " << error << "\n";
      status = 1;
      continue;
    }
    if (options.json) continue;
    out << path << ": " << records << " records";
    if (replayed > 0) out << " (" << replayed << " replayed)";
    out << "\n";
    for (const auto& [key, g] : groups) {
      out << "  output " << key.first << ": " << g.records << " records";
      if (g.replayed > 0) out << " (" << g.replayed << " replayed)";
      out << ", " << rfc3339(g.first_ns) << " .. " << rfc3339(g.last_ns) << "\n    reason: " << shorten(key.second)
          << "\n";
    }
  }
  return status;
}

}  // namespace sluice
