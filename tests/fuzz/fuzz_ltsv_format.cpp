// libFuzzer target for the ltsv parse format and the text decoders: any
// bytes are safe, a parsed record is a non-empty map of non-empty labels to
// strings no longer than the input, and a decoder's text is never longer
// than what it decoded.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "agent/json_writer.hpp"
#include "agent/parse/field_decoders.hpp"
#include "agent/parse/ltsv_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto format = sluice::make_ltsv_format();
  sluice::Arena arena;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (auto decoder : {sluice::decode::escaped, sluice::decode::escaped_utf8, sluice::decode::mysql_quoted})
    if (decoder(text, arena).size() > size) std::abort();
  sluice::Value record;
  if (!format->parse(text, arena, record)) return 0;
  if (!record.is_map() || record.size() == 0) std::abort();
  for (const auto& m : record.members()) {
    if (m.key.empty() || !m.value.is_string() || m.value.as_string().size() > size) std::abort();
    if (m.value.as_string().find_first_of(std::string_view("\t\r\n\0", 4)) != std::string_view::npos) std::abort();
  }
  std::string encoded = sluice::json::to_string(record);
  return 0;
}
