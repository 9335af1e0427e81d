// libFuzzer target for the forward input's decoding: any bytes, read as a
// stream of Forward messages the way a connection reads them (object_size,
// then decode_message on each whole object), must decode or be refused with
// a reason, never crash; a whole object's size never exceeds what was
// given, and every event is a map that encodes to JSON.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "agent/json_writer.hpp"
#include "agent/msgpack_reader.hpp"
#include "inputs/forward/forward_protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  for (int messages = 0; messages < 64 && !rest.empty(); ++messages) {
    int64_t n = msgpack::object_size(rest, nullptr);
    if (n <= 0) break;
    if (static_cast<size_t>(n) > rest.size()) std::abort();
    Chunk chunk("");
    forward::DecodedMessage m;
    std::string why = forward::decode_message(rest.substr(0, static_cast<size_t>(n)), chunk, m, 1 << 20);
    if (why.empty()) {
      if (m.events != chunk.events.size()) std::abort();
      for (const Event& e : chunk.events) {
        if (!e.record.is_map()) std::abort();
        std::string json = json::to_string(e.record);
        if (json.empty() || json.front() != '{') std::abort();
      }
      if (!m.chunk_id.empty() && forward::ack_for(m.chunk_id).empty()) std::abort();
    }
    rest.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}
