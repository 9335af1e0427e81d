// libFuzzer target for the regex parse format. A first byte below 0x80 picks
// one of the usual access/syslog patterns and the rest is the text; otherwise
// the input is "pattern\ntext", so compiling hostile patterns is fuzzed too.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "agent/json_writer.hpp"
#include "agent/parse/regex_format.hpp"

namespace {
const char* const kPatterns[] = {
    R"re(^(?<host>[^ ]*) [^ ]* (?<user>[^ ]*) \[(?<time>[^\]]*)\] "(?<method>\S+)(?: +(?<path>[^ ]*) +\S*)?" (?<code>[^ ]*) (?<size>[^ ]*)(?: "(?<referer>[^\"]*)" "(?<agent>.*)")?$)re",
    R"re(^\<(?<pri>[0-9]+)\>(?<time>[^ ]* {1,2}[^ ]* [^ ]*) (?<host>[^ ]*) (?<ident>[a-zA-Z0-9_\/\.\-]*)(?:\[(?<pid>[0-9]+)\])?(?:[^\:]*\:)? *(?<message>.*)$)re",
    R"re(^(?<time>[^ ]+) (?<stream>stdout|stderr) (?<logtag>[^ ]*) (?<message>.*)$)re",
    R"re((?<key>\w+)=(?<value>"(?:[^"\\]|\\.)*"|\S*))re",
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::unique_ptr<sluice::ParseFormat> fixed[std::size(kPatterns)];
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  sluice::Arena arena;
  sluice::Value record;
  if (data[0] < 0x80) {
    size_t i = data[0] % std::size(kPatterns);
    if (!fixed[i]) fixed[i] = sluice::make_regex_format(kPatterns[i]).format;
    if (!fixed[i]) std::abort();
    if (fixed[i]->parse(input.substr(1), arena, record) && !record.is_map()) std::abort();
    return 0;
  }
  size_t nl = input.find('\n');
  if (nl == std::string_view::npos) return 0;
  auto made = sluice::make_regex_format(input.substr(1, nl - 1), (data[0] & 1) != 0);
  if (!made.format) {
    if (made.error.empty()) std::abort();
    return 0;
  }
  if (made.format->parse(input.substr(nl + 1), arena, record)) std::string s = sluice::json::to_string(record);
  return 0;
}
