// The Forward protocol's shared-key handshake, both sides, and its acks as
// the sender reads them. A server that has a shared key greets each
// connection with HELO; the client answers PING, proving it knows the key
// (and, when the server has users, a user's password); the server answers
// PONG, proving it knows the key too. Digests are SHA-512 in lowercase hex,
// as Fluentd's in_forward and out_forward compute them. Pure apart from the
// random nonces and salts.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace sluice::forward_handshake {

// n bytes from OpenSSL's generator (a server's nonce and auth salt), and
// the same as lowercase hex text (a client's salt: a str, which every
// MessagePack library reads back as the same bytes, where raw bytes in a
// str may not be valid UTF-8).
std::string random_bytes(size_t n);
std::string random_hex(size_t n);

struct Helo {
  std::string nonce;
  std::string auth;       // the salt of the users' password digests; "" when the server has no users
  bool keepalive = true;  // false: the server closes the connection after one message
};

// Server: ["HELO", {"nonce", "auth", "keepalive"}].
std::string helo(const Helo& h);
// Client: reads a HELO. "" or what is wrong.
std::string read_helo(std::string_view message, Helo& out);

// Client: ["PING", hostname, salt, sha512_hex(salt + hostname + nonce +
// shared_key), username, sha512_hex(auth + username + password)]; the last
// two are "" when the HELO's auth is empty (no users).
std::string ping(const Helo& helo, std::string_view hostname, std::string_view salt, std::string_view shared_key,
                 std::string_view username, std::string_view password);

struct Ping {
  std::string hostname, salt, digest, username, password_digest;
};
// Server: reads a PING. "" or what is wrong.
std::string read_ping(std::string_view message, Ping& out);
// Server: whether the PING proves the shared key, and a user's password.
bool proves_key(const Ping& p, std::string_view nonce, std::string_view shared_key);
bool proves_password(const Ping& p, std::string_view auth, std::string_view password);

// Server: ["PONG", true, "", hostname, sha512_hex(salt + hostname + nonce +
// shared_key)], or ["PONG", false, reason, "", ""].
std::string pong_accepted(std::string_view hostname, std::string_view client_salt, std::string_view nonce,
                          std::string_view shared_key);
std::string pong_refused(std::string_view reason);
// Client: "" when the PONG accepts us and proves the server knows the key,
// else why not.
std::string check_pong(std::string_view message, std::string_view salt, std::string_view nonce,
                       std::string_view shared_key);

// Client: the chunk id of an ack, {"ack": id}; nullopt for anything else.
std::optional<std::string> read_ack(std::string_view message);

}  // namespace sluice::forward_handshake
