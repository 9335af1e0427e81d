// The Forward protocol's client side beyond the messages themselves: the
// shared-key handshake (the server's HELO, our PING, its PONG) and the
// server's acks. Pure: bytes in, bytes or a verdict out.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "outputs/forward/forward_settings.hpp"

namespace sluice::forward_out {

struct Helo {
  std::string nonce;
  std::string auth;        // the salt for the user's password digest; "" when the server has no users
  bool keepalive = true;   // false: the server closes the connection after one message
};

// Reads ["HELO", {"nonce", "auth", "keepalive"}]. "" or what is wrong.
std::string read_helo(std::string_view message, Helo& out);

// ["PING", self_hostname, salt, sha512_hex(salt + self_hostname + nonce +
// shared_key), username, sha512_hex(auth + username + password)]; the last
// two are "" when the HELO asked for no user.
std::string make_ping(const Settings& s, const Helo& helo, std::string_view salt);

// Checks ["PONG", authenticated, reason, server_hostname, sha512_hex(salt +
// server_hostname + nonce + shared_key)]: "" when the server accepted us
// and proved it knows the key, else why not.
std::string check_pong(std::string_view message, const Settings& s, const Helo& helo, std::string_view salt);

// The chunk id of an ack, {"ack": id}; nullopt for anything else.
std::optional<std::string> read_ack(std::string_view message);

}  // namespace sluice::forward_out
