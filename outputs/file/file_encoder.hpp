// What the file output writes per event: JSON lines with the date key, the
// record's JSON only (`plain`), a `template` with {key} placeholders, or
// Fluent Bit's `out_file` ("tag: [time, {record}]"), `csv` and `ltsv` lines.
// Pure functions, golden-tested.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "agent/output.hpp"
#include "outputs/common/json_lines_encoder.hpp"

namespace sluice {

enum class FileFormat { JsonLines, Plain, Template, OutFile, Csv, Ltsv };

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
  // csv and ltsv, as in Fluent Bit: values (and ltsv labels) apart by
  // `delimiter`, an ltsv label from its value by `label_delimiter`.
  std::string delimiter = ",";
  std::string label_delimiter = ":";
  bool csv_column_names = false;
};

// Appends one line per event of batch whose tag is *tag (every event when
// tag is null). column_names: csv's header line (the first event's keys)
// first, for a file that is still empty.
void encode_file_lines(std::string& out, const Batch& batch, const std::string* tag, const FileEncoding& enc,
                       bool column_names = false);

}  // namespace sluice
