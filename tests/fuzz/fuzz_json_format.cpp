// libFuzzer target for the json parse format: any bytes are safe, and what
// parses re-encodes to JSON that parses back to an equal record.
//
// The fast reader must agree with simdjson: every input parses with both
// readers or with neither, into the same record, kinds and bits included.
//
// The input is also read as a stream of lines into one arena, as tail hands
// them over: the parser then shares keys and values with the line before
// and skips the duplicate-key search for a line shaped like it. Each line
// must come out as it does parsed alone, and with no duplicate key.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "agent/json_writer.hpp"
#include "agent/parse/json_format.hpp"
#include "agent/record.hpp"

namespace {

bool has_duplicate_key(const sluice::Value& record) {
  auto members = record.members();
  for (size_t i = 1; i < members.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (members[i].key == members[j].key) return true;
  return false;
}

// The pipeline's reader (fast, then simdjson) against simdjson alone.
void same_as_simdjson(std::string_view text) {
  static auto fast_first = sluice::make_json_format();
  static auto simdjson = sluice::make_json_format(sluice::JsonReaders::simdjson_only);
  sluice::Arena a, b;
  sluice::Value x, y;
  const bool ok = fast_first->parse(text, a, x);
  if (ok != simdjson->parse(text, b, y)) std::abort();
  if (ok && !sluice::record::identical(x, y)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto format = sluice::make_json_format();  // reused, as in the pipeline
  static auto alone = sluice::make_json_format();   // parses each line with no line before it
  std::string_view text(reinterpret_cast<const char*>(data), size);
  same_as_simdjson(text);
  {
    sluice::Arena arena;
    sluice::Value record;
    if (format->parse(text, arena, record)) {
      if (!record.is_map()) std::abort();
      std::string encoded = sluice::json::to_string(record);
      sluice::Value again;
      if (!format->parse(encoded, arena, again)) std::abort();
      // Structural equality: -0.0 re-encodes as "-0", which reads back as Int 0.
      if (!sluice::record::equal(record, again)) std::abort();
    }
  }
  sluice::Arena stream;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    sluice::Value in_stream;
    bool ok = format->parse(line, stream, in_stream);
    sluice::Arena own;
    sluice::Value by_itself;
    if (ok != alone->parse(line, own, by_itself)) std::abort();
    if (ok && (has_duplicate_key(in_stream) || !sluice::record::equal(in_stream, by_itself))) std::abort();
    start = end + 1;
  }
  return 0;
}
