// libFuzzer target for timestamps: "format\ntext" through the strptime-style
// parser (and its config-time validation), and the text alone through RFC 3339;
// an input starting "TZif" is read as a time zone file (a parser's
// time_zone), any other as a POSIX TZ rule, and times converted with it.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/parse/time_format.hpp"
#include "agent/parse/time_zone.hpp"

namespace {

// Times within +-35,000 years: what a parsed timestamp can be.
void convert(const sluice::timefmt::TimeZone& zone, std::string_view input) {
  for (int64_t t : {int64_t{0}, int64_t{1'795'256'430}, int64_t{-2'000'000'000}, int64_t{4'102'444'800},
                    static_cast<int64_t>(input.size()) * 1'000'003'000 - (int64_t{1} << 40)}) {
    int64_t utc = zone.to_utc(t);
    (void)zone.offset_at(utc);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (input.substr(0, 4) == "TZif") {
    if (auto zone = sluice::timefmt::TimeZone::from_tzif(input, nullptr)) convert(*zone, input);
    return 0;
  }
  if (auto rule = sluice::timefmt::TimeZone::parse_rule(input.substr(0, input.find('\n')))) {
    for (int64_t t : {int64_t{0}, int64_t{1'795'256'430}, -(int64_t{1} << 40), int64_t{1} << 40})
      (void)rule->offset_at(t);
  }
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
