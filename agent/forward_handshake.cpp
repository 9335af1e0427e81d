// The Forward protocol's handshake and acks; see forward_handshake.hpp.
#include "agent/forward_handshake.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <initializer_list>
#include <stdexcept>

#include "agent/hex.hpp"
#include "agent/msgpack_reader.hpp"
#include "agent/msgpack_writer.hpp"

namespace sluice::forward_handshake {

namespace {

std::string sha512_hex(std::initializer_list<std::string_view> parts) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha512(), nullptr) == 1;
  for (std::string_view p : parts) ok = ok && EVP_DigestUpdate(ctx, p.data(), p.size()) == 1;
  ok = ok && EVP_DigestFinal_ex(ctx, digest, &size) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return {};  // never equal to a digest the peer sent
  return hex::lower(std::string_view(reinterpret_cast<const char*>(digest), size));
}

// A str or a bin.
bool text(msgpack::Cursor& c, std::string& out) {
  std::string_view s;
  if (!c.text(s)) return false;
  out.assign(s);
  return true;
}

// Constant-time comparison of two digests: a timing difference must not
// tell a client how much of its guess was right.
bool same_digest(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a.empty()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("OpenSSL's random generator failed");
  return out;
}

std::string random_hex(size_t n) {
  std::string bytes = random_bytes(n);
  return hex::lower(std::string_view(bytes.data(), n));
}

std::string helo(const Helo& h) {
  std::string out;
  msgpack::Writer w(out);
  w.array_header(2);
  w.str("HELO");
  w.map_header(3);
  w.str("nonce");
  w.bin(h.nonce);
  w.str("auth");
  w.bin(h.auth);
  w.str("keepalive");
  w.boolean(h.keepalive);
  return out;
}

std::string read_helo(std::string_view message, Helo& out) {
  msgpack::Cursor c(message);
  uint32_t n = 0;
  std::string word;
  if (!c.array_header(n) || n != 2 || !text(c, word) || word != "HELO")
    return "expected the server's HELO ([\"HELO\", options])";
  uint32_t keys = 0;
  if (!c.map_header(keys)) return "the server's HELO has no option map";
  bool has_nonce = false;
  for (uint32_t i = 0; i < keys; ++i) {
    std::string key;
    if (!text(c, key)) return "the server's HELO has a key that isn't text";
    if (key == "nonce" && text(c, out.nonce)) {
      has_nonce = true;
    } else if (key == "auth" && text(c, out.auth)) {
    } else if (key == "keepalive" && c.boolean(out.keepalive)) {
    } else if (!c.skip()) {
      return "the server's HELO is cut short";
    }
  }
  if (!has_nonce) return "the server's HELO has no nonce";
  return "";
}

std::string ping(const Helo& helo, std::string_view hostname, std::string_view salt, std::string_view shared_key,
                 std::string_view username, std::string_view password) {
  std::string out;
  msgpack::Writer w(out);
  w.array_header(6);
  w.str("PING");
  w.str(hostname);
  w.str(salt);
  w.str(sha512_hex({salt, hostname, helo.nonce, shared_key}));
  if (helo.auth.empty()) {
    w.str("");
    w.str("");
  } else {
    w.str(username);
    w.str(sha512_hex({helo.auth, username, password}));
  }
  return out;
}

std::string read_ping(std::string_view message, Ping& out) {
  msgpack::Cursor c(message);
  uint32_t n = 0;
  std::string word;
  if (!c.array_header(n) || n != 6 || !text(c, word) || word != "PING")
    return "expected PING ([\"PING\", hostname, salt, digest, username, password digest]) after HELO";
  if (!text(c, out.hostname) || !text(c, out.salt) || !text(c, out.digest) || !text(c, out.username) ||
      !text(c, out.password_digest))
    return "a PING field is not text";
  return "";
}

bool proves_key(const Ping& p, std::string_view nonce, std::string_view shared_key) {
  return same_digest(p.digest, sha512_hex({p.salt, p.hostname, nonce, shared_key}));
}

bool proves_password(const Ping& p, std::string_view auth, std::string_view password) {
  return same_digest(p.password_digest, sha512_hex({auth, p.username, password}));
}

std::string pong_accepted(std::string_view hostname, std::string_view client_salt, std::string_view nonce,
                          std::string_view shared_key) {
  std::string out;
  msgpack::Writer w(out);
  w.array_header(5);
  w.str("PONG");
  w.boolean(true);
  w.str("");
  w.str(hostname);
  w.str(sha512_hex({client_salt, hostname, nonce, shared_key}));
  return out;
}

std::string pong_refused(std::string_view reason) {
  std::string out;
  msgpack::Writer w(out);
  w.array_header(5);
  w.str("PONG");
  w.boolean(false);
  w.str(reason);
  w.str("");
  w.str("");
  return out;
}

std::string check_pong(std::string_view message, std::string_view salt, std::string_view nonce,
                       std::string_view shared_key) {
  msgpack::Cursor c(message);
  uint32_t n = 0;
  std::string word, reason, server_hostname, digest;
  bool ok = false;
  if (!c.array_header(n) || n != 5 || !text(c, word) || word != "PONG" || !c.boolean(ok))
    return "expected the server's PONG ([\"PONG\", ok, reason, hostname, digest])";
  if (!text(c, reason) || !text(c, server_hostname) || !text(c, digest)) return "the server's PONG is malformed";
  if (!ok) return "the server refused the handshake: " + (reason.empty() ? std::string("no reason given") : reason);
  if (!same_digest(digest, sha512_hex({salt, server_hostname, nonce, shared_key})))
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

}  // namespace sluice::forward_handshake
