// libFuzzer target for the logfmt parse format: any bytes are safe and a
// parsed record is a non-empty map of strings and trues.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "agent/json_writer.hpp"
#include "agent/parse/logfmt_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto format = sluice::make_logfmt_format();
  sluice::Arena arena;
  sluice::Value record;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (!format->parse(text, arena, record)) return 0;
  if (!record.is_map() || record.size() == 0) std::abort();
  for (const auto& m : record.members()) {
    if (m.key.empty()) std::abort();
    if (!m.value.is_string() && !(m.value.is_bool() && m.value.as_bool())) std::abort();
    if (m.value.is_string() && m.value.as_string().size() > size) std::abort();
  }
  std::string encoded = sluice::json::to_string(record);
  return 0;
}
