// What the file output writes per event: JSON lines with the date key, the
// record's JSON only (`plain`), or a `template` with {key} placeholders.
// Pure functions, golden-tested.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "agent/output.hpp"
#include "outputs/common/json_lines_encoder.hpp"

namespace sluice {

enum class FileFormat { JsonLines, Plain, Template };

// A `template` compiled once: literal text and {key} placeholders. {time} is
// the event time as seconds with microseconds, as in Fluent Bit; a string
// value is written as is, any other value as JSON; a missing key as nothing.
class FileTemplate {
 public:
  explicit FileTemplate(std::string_view text);
  // Appends the line for one event (without the newline).
  void append(std::string& out, const Event& event) const;

 private:
  struct Part {
    enum class Kind { Literal, Time, Key } kind;
    std::string text;  // literal text or key name
  };
  std::vector<Part> parts_;
};

struct FileEncoding {
  FileFormat format = FileFormat::JsonLines;
  json_lines::Options json;
  FileTemplate tmpl{"{time} {message}"};
};

// Appends one line per event of batch whose tag is *tag (every event when
// tag is null).
void encode_file_lines(std::string& out, const Batch& batch, const std::string* tag, const FileEncoding& enc);

}  // namespace sluice
