// libFuzzer target for the json parse format: any bytes are safe, and what
// parses re-encodes to JSON that parses back to an equal record.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "agent/json_writer.hpp"
#include "agent/parse/json_format.hpp"
#include "agent/record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto format = sluice::make_json_format();  // reused, as in the pipeline
  sluice::Arena arena;
  sluice::Value record;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (!format->parse(text, arena, record)) return 0;
  if (!record.is_map()) std::abort();
  std::string encoded = sluice::json::to_string(record);
  sluice::Value again;
  if (!format->parse(encoded, arena, again)) std::abort();
  // Structural equality: -0.0 re-encodes as "-0", which reads back as Int 0.
  if (!sluice::record::equal(record, again)) std::abort();
  return 0;
}
