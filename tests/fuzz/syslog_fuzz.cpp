// libFuzzer target for the syslog input's parsing: any bytes, read as one
// message in each format and as a TCP stream (framed, split at every
// position the input itself picks), must parse without crashing, and every
// record must be a map that encodes to JSON.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "agent/json_writer.hpp"
#include "agent/record.hpp"
#include "inputs/syslog/syslog_framing.hpp"
#include "inputs/syslog/syslog_parse.hpp"

namespace {

using namespace sluice;
using namespace sluice::syslog;

// 2026-11-21T12:00:00Z: a fixed receive time keeps runs reproducible.
constexpr int64_t kNow = 1'795'262'400'000'000'000;

void parse_one(std::string_view text, Format format) {
  Arena arena;
  std::vector<Member> scratch;
  std::string_view copy = arena.copy(trim_trailer(text));
  SyslogMessage m;
  MapBuilder b(arena, scratch);
  if (parse_message(copy, format, kNow, m)) {
    add_fields(m, arena, scratch, b);
  } else {
    add_unparsed(copy, b);
  }
  Value record = b.finish();
  if (!record.is_map() || !scratch.empty()) std::abort();
  std::string json = json::to_string(record);
  if (json.empty() || json.front() != '{') std::abort();
}

class ParseFrames : public FrameSink {
 public:
  explicit ParseFrames(size_t max) : max_(max) {}
  void on_frame(std::string_view message, FrameFlags) override {
    if (message.size() > max_) std::abort();
    parse_one(message, Format::Auto);
  }

 private:
  size_t max_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (Format f : {Format::Auto, Format::Rfc5424, Format::Rfc3164}) parse_one(text, f);
  // As a stream: a small bound so truncation paths run; the split point and
  // the framing come from the input's first byte.
  size_t max = 64;
  ParseFrames sink(max);
  for (Framing framing : {Framing::Auto, Framing::Newline, Framing::OctetCounting, Framing::JsonStream}) {
    Framer framer(framing, max);
    size_t cut = size > 0 ? static_cast<uint8_t>(text[0]) % (size + 1) : 0;
    framer.feed(text.substr(0, cut), sink);
    framer.feed(text.substr(cut), sink);
    framer.finish(sink);
    if (framer.buffered() != 0) std::abort();
  }
  return 0;
}
