// The log line Loki stores for a record: the record without the keys that
// became labels or structured metadata and without remove_keys, as JSON or
// as key=value pairs, or only the value when one key is left (drop_single_key).
#pragma once
#include <string>
#include <vector>

#include "agent/record_accessor.hpp"
#include "agent/value.hpp"

namespace sluice::loki {

enum class LineFormat { Json, KeyValue };
enum class DropSingleKey { Off, On, Raw };

// Immutable config plus scratch: one per thread that encodes (the output's
// worker thread).
class LineEncoder {
 public:
  LineEncoder() = default;
  LineEncoder(LineFormat format, DropSingleKey drop_single_key, std::vector<RecordAccessor> removed);

  // Appends record's line to out.
  void append(std::string& out, const Value& record);

 private:
  // Finds where the removed paths are in this record (cuts_, on_path_).
  void locate_removed(const Value& record);
  bool is_cut(const Value* v) const;
  bool is_on_path(const Value* v) const;
  // JSON of v without the cut values.
  void append_json(std::string& out, const Value& v);
  // `key=value key2=value2` of the record's remaining members.
  void append_key_values(std::string& out, const Value& record);
  void append_kv_value(std::string& out, const Value& v);
  void append_single(std::string& out, const Value& v);

  LineFormat format_ = LineFormat::Json;
  DropSingleKey drop_single_key_ = DropSingleKey::Off;
  std::vector<RecordAccessor> removed_;
  std::vector<const Value*> cuts_;     // values to leave out of this record
  std::vector<const Value*> on_path_;  // containers holding a cut value (and the record)
  std::string scratch_;
};

// Appends s the way key_value lines quote strings: in double quotes, with
// backslash, quote, newline, CR and tab escaped (logfmt's rules).
void append_logfmt_quoted(std::string& out, std::string_view s);

}  // namespace sluice::loki
