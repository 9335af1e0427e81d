// libFuzzer target for timestamps: "format\ntext" through the strptime-style
// parser (and its config-time validation), and the text alone through RFC 3339.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/parse/time_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto rfc = sluice::timefmt::parse_rfc3339(input);
  // Every RFC 3339 stamp reads the same through the equivalent format.
  if (rfc && input.size() >= 20 && input[10] == 'T' && input[19] == 'Z' && input.size() == 20) {
    if (sluice::timefmt::parse(input, "%Y-%m-%dT%H:%M:%SZ") != rfc) std::abort();
  }
  size_t nl = input.find('\n');
  if (nl == std::string_view::npos) return 0;
  std::string_view format = input.substr(0, nl), text = input.substr(nl + 1);
  (void)sluice::timefmt::validate(format);
  int64_t offset = size > 2 ? (static_cast<int64_t>(data[size - 1]) - 128) * 900'000'000'000 : 0;
  (void)sluice::timefmt::parse(text, format, offset);
  return 0;
}
