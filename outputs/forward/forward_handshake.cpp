// The Forward protocol's handshake and acks; see forward_handshake.hpp.
#include "outputs/forward/forward_handshake.hpp"

#include "agent/msgpack_reader.hpp"
#include "agent/msgpack_writer.hpp"
#include "outputs/common/crypto/digest.hpp"

namespace sluice::forward_out {

namespace {

std::string digest_hex(std::initializer_list<std::string_view> parts) {
  std::string all;
  for (std::string_view p : parts) all += p;
  return crypto::hex(crypto::sha512(all));
}

// Reads a str or bin into out.
bool text(msgpack::Cursor& c, std::string& out) {
  std::string_view s;
  if (!c.text(s)) return false;
  out.assign(s);
  return true;
}

bool boolean(msgpack::Cursor& c, bool& out) {
  Arena arena;
  Value v;
  msgpack::Cursor probe = c;
  if (!probe.value(arena, v) || !v.is_bool()) return false;
  out = v.as_bool();
  c = probe;
  return true;
}

}  // namespace

std::string read_helo(std::string_view message, Helo& out) {
  msgpack::Cursor c(message);
  uint32_t n = 0;
  std::string word;
  if (!c.array_header(n) || n != 2 || !text(c, word) || word != "HELO")
    return "expected the server's HELO ([\"HELO\", options]): is shared_key set on a server without one?";
  uint32_t keys = 0;
  if (!c.map_header(keys)) return "the server's HELO has no option map";
  bool has_nonce = false;
  for (uint32_t i = 0; i < keys; ++i) {
    std::string key;
    if (!text(c, key)) return "the server's HELO has a key that isn't text";
    if (key == "nonce" && text(c, out.nonce)) {
      has_nonce = true;
    } else if (key == "auth" && text(c, out.auth)) {
    } else if (key == "keepalive" && boolean(c, out.keepalive)) {
    } else if (!c.skip()) {
      return "the server's HELO is cut short";
    }
  }
  if (!has_nonce) return "the server's HELO has no nonce";
  return "";
}

std::string make_ping(const Settings& s, const Helo& helo, std::string_view salt) {
  std::string out;
  msgpack::Writer w(out);
  w.array_header(6);
  w.str("PING");
  w.str(s.self_hostname);
  w.str(salt);
  w.str(digest_hex({salt, s.self_hostname, helo.nonce, s.shared_key}));
  if (helo.auth.empty()) {
    w.str("");
    w.str("");
  } else {
    w.str(s.username);
    w.str(digest_hex({helo.auth, s.username, s.password}));
  }
  return out;
}

std::string check_pong(std::string_view message, const Settings& s, const Helo& helo, std::string_view salt) {
  msgpack::Cursor c(message);
  uint32_t n = 0;
  std::string word, reason, server_hostname, digest;
  bool ok = false;
  if (!c.array_header(n) || n != 5 || !text(c, word) || word != "PONG" || !boolean(c, ok))
    return "expected the server's PONG ([\"PONG\", ok, reason, hostname, digest])";
  if (!text(c, reason) || !text(c, server_hostname) || !text(c, digest)) return "the server's PONG is malformed";
  if (!ok) return "the server refused the handshake: " + (reason.empty() ? std::string("no reason given") : reason);
  if (digest != digest_hex({salt, server_hostname, helo.nonce, s.shared_key}))
    return "the server's PONG doesn't prove it has the same shared_key (digest mismatch)";
  return "";
}

std::optional<std::string> read_ack(std::string_view message) {
  msgpack::Cursor c(message);
  uint32_t keys = 0;
  if (!c.map_header(keys)) return std::nullopt;
  for (uint32_t i = 0; i < keys; ++i) {
    std::string key, id;
    if (!text(c, key)) return std::nullopt;
    if (key == "ack" && text(c, id)) return id;
    if (!c.skip()) return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace sluice::forward_out
