// libFuzzer target for the Forward protocol's handshake and what the
// forward output writes: any bytes as a HELO, PING, PONG or ack must be
// read or refused with a reason, never crash; and any MessagePack value the
// reader accepts must come back the same after sluice's writer wrote it
// (so the output sends what the input read).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "agent/forward_handshake.hpp"
#include "agent/json_writer.hpp"
#include "agent/msgpack_reader.hpp"
#include "agent/msgpack_writer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  forward_handshake::Helo helo;
  std::string helo_error = forward_handshake::read_helo(bytes, helo);
  if (helo_error.empty() && helo.nonce.size() > bytes.size()) std::abort();
  // No input proves the key without knowing the digest.
  if (forward_handshake::check_pong(bytes, "salt", "nonce", "key").empty()) std::abort();
  forward_handshake::Ping ping;
  if (forward_handshake::read_ping(bytes, ping).empty() && forward_handshake::proves_key(ping, "nonce", "key"))
    std::abort();
  (void)forward_handshake::read_ack(bytes);

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
