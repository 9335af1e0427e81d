// libFuzzer target for reading dead-letter lines back (`sluice dead-letter
// list|replay`): any bytes are safe; a line that parses re-encodes to a
// line that parses back to the same fields.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "agent/dead_letter.hpp"
#include "agent/dead_letter_reader.hpp"
#include "agent/json_writer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static sluice::DeadLetterLineParser parser;  // reused, as by the tools
  std::string_view text(reinterpret_cast<const char*>(data), size);
  sluice::Arena arena;
  sluice::DeadLetterLine line;
  if (!parser.parse(text, arena, line).empty()) return 0;
  if (!line.record.is_map()) std::abort();
  // Times sluice writes (1970 to 2200) must read back the same; others
  // (a hand-edited year 0001) need only be safe.
  constexpr int64_t kYear2200 = 7'258'118'400'000'000'000;
  if (line.time_ns < 0 || line.time_ns >= kYear2200 || line.timestamp_ns < 0 || line.timestamp_ns >= kYear2200)
    return 0;
  sluice::Event event{line.timestamp_ns, line.record};
  std::string again = sluice::DeadLetter::encode(line.output, line.reason, line.tag, event, line.time_ns);
  again.pop_back();  // its '\n'
  sluice::DeadLetterLine back;
  if (!parser.parse(again, arena, back).empty()) std::abort();
  if (back.output != line.output || back.tag != line.tag || back.time_ns != line.time_ns ||
      back.timestamp_ns != line.timestamp_ns ||
      sluice::json::to_string(back.record) != sluice::json::to_string(line.record))
    std::abort();
  return 0;
}
