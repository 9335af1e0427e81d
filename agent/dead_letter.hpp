// The dead-letter store: records that failed permanently or ran out of
// retries, one JSON object per line, so nothing is dropped silently. Written
// whole lines at a time (agent/whole_line_file.hpp); read back by
// `sluice dead-letter list|replay` (agent/dead_letter_reader.hpp).
#pragma once
#include <string>
#include <string_view>
#include <system_error>

#include "agent/chunk.hpp"
#include "agent/whole_line_file.hpp"

namespace sluice::config {
class ComponentConfig;
}

namespace sluice {

// service.dead_letter_file, else <storage.path or .>/sluice-dead-letter.jsonl.
std::string default_dead_letter_path(const config::ComponentConfig& service);

// Thread-safe: every output worker may write. An existing file is opened
// (and a torn last line cut) when this is made; a new one on first use.
class DeadLetter {
 public:
  explicit DeadLetter(std::string path) : file_(std::move(path)) { file_.repair(); }

  // Appends lines made by encode() with one write: all of them or none (the
  // caller keeps the records and tries again later on an error).
  std::error_code append(std::string_view lines) { return file_.append(lines); }
  // One line: {"time","output","reason","tag","timestamp","record"} and
  // '\n'; with "metadata" after "record" when the event has any (a
  // non-empty map: the OTLP fields an opentelemetry output was to send).
  static void encode(std::string& out, std::string_view output, std::string_view reason, std::string_view tag,
                     const Event& event, int64_t now_ns, const Value* metadata = nullptr);
  static std::string encode(std::string_view output, std::string_view reason, std::string_view tag,
                            const Event& event, int64_t now_ns, const Value* metadata = nullptr) {
    std::string line;
    encode(line, output, reason, tag, event, now_ns, metadata);
    return line;
  }
  static int64_t now_ns();
  const std::string& path() const { return file_.path(); }

 private:
  WholeLineFile file_;
};

}  // namespace sluice
