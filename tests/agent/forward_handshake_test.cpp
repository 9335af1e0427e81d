// The Forward protocol's shared-key handshake, both sides: a HELO read by
// the client, its PING checked by the server, the server's PONG checked by
// the client; digests against values computed with Python's hashlib
// (sha512(salt + hostname + nonce + key), sha512(auth + user + password)).
// The end-to-end tests run it against npm fluent-logger's mock server and
// client.
#include <catch2/catch.hpp>

#include "agent/forward_handshake.hpp"
#include "agent/json_writer.hpp"
#include "agent/msgpack_reader.hpp"
#include "agent/msgpack_writer.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::forward_handshake;

namespace {

const std::string kNonce = "NONCE-0123456789";
const std::string kAuth = "AUTHSALT-0123456";
const std::string kSalt = "0123456789abcdef";
// python3: hashlib.sha512(b'0123456789abcdef' + b'sluice-host' + b'NONCE-0123456789' + b's3cret').hexdigest()
const std::string kPingDigest =
    "dd4f44ee1c6114af5d0f2b44a9dac2388b80577d76c5fdfa0c58928acd79b6c2217d99751a343f261ae1486e320c4d9f6a33681d3bd5c335"
    "1df6756d49d6a9d9";
// hashlib.sha512(b'AUTHSALT-0123456' + b'bob' + b'pw')
const std::string kPasswordDigest =
    "64f832c0476e2181c7492aaf621bbea4b00543abcca25ea47ea9d1b6b65efe4afe44074ece7bd20ad5bc1771425cc73998364efe6f06675c"
    "ce1127b8091e58ba";
// hashlib.sha512(b'0123456789abcdef' + b'fluentd-server' + b'NONCE-0123456789' + b's3cret')
const std::string kPongDigest =
    "0790deee8e6acec9c7046143cae4f0e1b0f9a1d0487fd0caba6d69bab2fc3af2b16434211e9849822e6d3d78042369e50ca79e9c6cad3ec2"
    "6d31aabff88d903f";

std::string json_of(const std::string& msgpack_bytes) {
  Arena arena;
  Value v;
  msgpack::Cursor c(msgpack_bytes);
  REQUIRE(c.value(arena, v));
  CHECK(c.at_end());
  return json::to_string(v);
}

}  // namespace

TEST_CASE("forward handshake: HELO, PING and PONG with the specification's digests", "[forward_handshake]") {
  Helo server_side{kNonce, kAuth, false};
  Helo got;
  REQUIRE(read_helo(forward_handshake::helo(server_side), got) == "");
  CHECK(got.nonce == kNonce);
  CHECK(got.auth == kAuth);
  CHECK_FALSE(got.keepalive);

  std::string ping_bytes = ping(got, "sluice-host", kSalt, "s3cret", "bob", "pw");
  CHECK(json_of(ping_bytes) == R"(["PING","sluice-host","0123456789abcdef",")" + kPingDigest + R"(","bob",")" +
                                   kPasswordDigest + R"("])");
  Ping p;
  REQUIRE(read_ping(ping_bytes, p) == "");
  CHECK(proves_key(p, kNonce, "s3cret"));
  CHECK_FALSE(proves_key(p, kNonce, "s3cret!"));
  CHECK_FALSE(proves_key(p, "another-nonce---", "s3cret"));
  CHECK(proves_password(p, kAuth, "pw"));
  CHECK_FALSE(proves_password(p, kAuth, "wrong"));

  std::string pong = pong_accepted("fluentd-server", kSalt, kNonce, "s3cret");
  CHECK(json_of(pong) == R"(["PONG",true,"","fluentd-server",")" + kPongDigest + R"("])");
  CHECK(check_pong(pong, kSalt, kNonce, "s3cret") == "");
  CHECK(check_pong(pong, kSalt, kNonce, "other") ==
        "the server's PONG doesn't prove it has the same shared_key (digest mismatch)");
  CHECK(check_pong(pong_refused("shared_key mismatch"), kSalt, kNonce, "s3cret") ==
        "the server refused the handshake: shared_key mismatch");
  CHECK_THAT(check_pong(ping_bytes, kSalt, kNonce, "s3cret"), Catch::Contains("expected the server's PONG"));
}

TEST_CASE("forward handshake: a server without users gets no user in the PING", "[forward_handshake]") {
  Helo helo{kNonce, "", true};
  Ping p;
  REQUIRE(read_ping(ping(helo, "h", kSalt, "k", "bob", "pw"), p) == "");
  CHECK(p.username.empty());
  CHECK(p.password_digest.empty());
  CHECK(proves_key(p, kNonce, "k"));
  CHECK_FALSE(proves_password(p, "", "pw"));
}

TEST_CASE("forward handshake: wrong shapes are refused with a reason", "[forward_handshake]") {
  std::string no_nonce;
  msgpack::Writer w(no_nonce);
  w.array_header(2);
  w.str("HELO");
  w.map_header(0);
  Helo h;
  CHECK(read_helo(no_nonce, h) == "the server's HELO has no nonce");
  CHECK_THAT(read_helo("\x81\xa3" "ack" "\xa1x", h), Catch::Contains("expected the server's HELO"));
  Ping p;
  CHECK_THAT(read_ping(no_nonce, p), Catch::Contains("expected PING"));
  CHECK_THAT(read_ping("", p), Catch::Contains("expected PING"));
  // A random salt as hex text, and nonces of the asked length.
  CHECK(random_hex(16).size() == 32);
  CHECK(random_bytes(16).size() == 16);
  CHECK(random_bytes(16) != random_bytes(16));
}

TEST_CASE("forward handshake: acks", "[forward_handshake]") {
  CHECK(read_ack("\x81\xa3" "ack" "\xa3" "abc") == std::optional<std::string>("abc"));
  CHECK_FALSE(read_ack("\x81\xa2" "ok" "\xc3").has_value());
  CHECK_FALSE(read_ack("\x93").has_value());
  CHECK_FALSE(read_ack("").has_value());
}

}  // namespace SLUICE_UNITY_ID
