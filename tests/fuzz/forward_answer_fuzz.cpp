// libFuzzer target for what the forward output reads from its server and
// what it writes: any bytes as the server's HELO, PONG or ack must be read
// or refused with a reason, never crash; and any MessagePack value the
// reader accepts must come back the same after sluice's writer wrote it
// (so the output sends what the input read).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "agent/json_writer.hpp"
#include "agent/msgpack_reader.hpp"
#include "agent/msgpack_writer.hpp"
#include "outputs/forward/forward_handshake.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  static const forward_out::Settings settings = [] {
    forward_out::Settings s;
    s.secure = true;
    s.shared_key = "key";
    s.self_hostname = "host";
    return s;
  }();
  forward_out::Helo helo;
  std::string helo_error = forward_out::read_helo(bytes, helo);
  if (helo_error.empty() && helo.nonce.size() > bytes.size()) std::abort();
  std::string pong = forward_out::check_pong(bytes, settings, helo, "salt");
  if (pong.empty()) std::abort();  // no input proves the key without knowing the digest
  (void)forward_out::read_ack(bytes);

  Arena arena;
  Value v;
  msgpack::Cursor c(bytes);
  if (c.value(arena, v)) {
    std::string written;
    msgpack::Writer(written).value(v);
    Arena back_arena;
    Value back;
    msgpack::Cursor again(written);
    if (!again.value(back_arena, back) || !again.at_end()) std::abort();
    if (json::to_string(back) != json::to_string(v)) std::abort();
  }
  return 0;
}
