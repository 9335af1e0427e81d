// The forward output's pure parts: its messages (read back by sluice's own
// forward input decoder and by a MessagePack cursor; the end-to-end tests
// read them with npm's msgpack-lite), the shared-key handshake (digests
// checked against values computed with Python's hashlib), and its
// configuration errors.
#include <catch2/catch.hpp>

#include <set>

#include "agent/config/yaml_loader.hpp"
#include "agent/json_writer.hpp"
#include "agent/msgpack_reader.hpp"
#include "agent/msgpack_writer.hpp"
#include "agent/parse/json_format.hpp"
#include "inputs/forward/forward_protocol.hpp"
#include "outputs/forward/forward_encoder.hpp"
#include "outputs/forward/forward_handshake.hpp"
#include "outputs/forward/forward_output.hpp"

using namespace sluice;
using namespace sluice::forward_out;

namespace {

constexpr int64_t kTime = 1700000000123456789;

forward_out::Settings settings_of(const std::string& yaml) {
  return read_settings(config::load_component(forward_output_schema(), "output", yaml), BuildContext{});
}

std::string error_of(const std::string& yaml) {
  try {
    make_forward_output(config::load_component(forward_output_schema(), "output", yaml), BuildContext{});
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

// Records (JSON) with their tags, as one batch part per run of a tag.
Batch batch_of(const std::vector<std::pair<std::string, std::string>>& tagged) {
  Batch b;
  auto json = make_json_format();
  for (const auto& [tag, text] : tagged) {
    if (b.parts.empty() || b.parts.back().chunk->tag != tag) b.parts.push_back({std::make_shared<Chunk>(tag), {}});
    auto& c = const_cast<Chunk&>(*b.parts.back().chunk);
    Value v;
    REQUIRE(json->parse(text, c.arena, v));
    c.events.push_back({kTime + static_cast<int64_t>(c.events.size()), v});
  }
  return b;
}

struct Read {
  forward::DecodedMessage message;
  std::vector<std::pair<int64_t, std::string>> events;
};

// A message read by the forward input's decoder.
Read read_back(const Message& m) {
  REQUIRE(msgpack::object_size(m.bytes, nullptr) == static_cast<int64_t>(m.bytes.size()));
  Chunk chunk("");
  Read r;
  REQUIRE(forward::decode_message(m.bytes, chunk, r.message, 64 << 20) == "");
  for (const Event& e : chunk.events) r.events.emplace_back(e.time_ns, json::to_string(e.record));
  return r;
}

// The option map of a message (its last item), as JSON.
std::string options_of(const Message& m) {
  msgpack::Cursor c(m.bytes);
  uint32_t n = 0;
  REQUIRE(c.array_header(n));
  for (uint32_t i = 0; i + 1 < n; ++i) REQUIRE(c.skip());
  Arena arena;
  Value v;
  REQUIRE(c.value(arena, v));
  return json::to_string(v);
}

}  // namespace

TEST_CASE("forward output: Forward mode, EventTime, one message per tag run", "[forward_out]") {
  Settings s = settings_of("port: 24224\n");
  Encoder enc(s);
  Batch b = batch_of({{"app.a", R"({"log":"one","n":1})"}, {"app.a", R"({"log":"two","x":{"y":[1,null]}})"},
                      {"app.b", R"({"log":"three"})"}});
  std::vector<Message> msgs = enc.encode(b);
  REQUIRE(msgs.size() == 2);
  CHECK(msgs[0].first == 0);
  CHECK(msgs[0].count == 2);
  CHECK(msgs[1].first == 2);
  CHECK(msgs[1].count == 1);
  CHECK(msgs[0].chunk.empty());
  // [tag, [entries]] with no option map: the first bytes are fixarray 2, the tag, fixarray 2 (entries).
  CHECK(static_cast<unsigned char>(msgs[0].bytes[0]) == 0x92);
  Read a = read_back(msgs[0]);
  CHECK(a.message.tag == "app.a");
  REQUIRE(a.events.size() == 2);
  CHECK(a.events[0] == std::pair<int64_t, std::string>{kTime, R"({"log":"one","n":1})"});
  CHECK(a.events[1] == std::pair<int64_t, std::string>{kTime + 1, R"({"log":"two","x":{"y":[1,null]}})"});
  Read b2 = read_back(msgs[1]);
  CHECK(b2.message.tag == "app.b");
  CHECK(b2.events[0].second == R"({"log":"three"})");
}

TEST_CASE("forward output: options, acks' chunk ids, gzip, integer times", "[forward_out]") {
  Batch b = batch_of({{"app", R"({"log":"one"})"}, {"app", R"({"log":"two"})"}});

  SECTION("require_ack_response: a fresh 128-bit chunk id per message, in the options") {
    Settings s = settings_of("require_ack_response: on\n");
    Encoder enc(s);
    std::set<std::string> ids;
    for (int i = 0; i < 50; ++i) {
      auto msgs = enc.encode(b);
      REQUIRE(msgs.size() == 1);
      CHECK(msgs[0].chunk.size() == 24);  // base64 of 16 bytes
      ids.insert(msgs[0].chunk);
      CHECK(read_back(msgs[0]).message.chunk_id == msgs[0].chunk);
    }
    CHECK(ids.size() == 50);
    auto msgs = enc.encode(b);
    CHECK(options_of(msgs[0]) == R"({"chunk":")" + msgs[0].chunk + R"(","size":2,"fluent_signal":0})");
  }
  SECTION("compress gzip: CompressedPackedForward, readable by the forward input") {
    Settings s = settings_of("compress: gzip\nadd_option: [\"source sluice\", \"env prod one\"]\n");
    auto msgs = Encoder(s).encode(b);
    REQUIRE(msgs.size() == 1);
    CHECK(options_of(msgs[0]) ==
          R"({"size":2,"compressed":"gzip","fluent_signal":0,"source":"sluice","env":"prod one"})");
    Read r = read_back(msgs[0]);
    REQUIRE(r.events.size() == 2);
    CHECK(r.events[1] == std::pair<int64_t, std::string>{kTime + 1, R"({"log":"two"})"});
    // The entries are a bin (0xc4-0xc6) after the tag.
    msgpack::Cursor c(msgs[0].bytes);
    uint32_t n = 0;
    std::string_view tag;
    REQUIRE(c.array_header(n));
    REQUIRE(c.text(tag));
    CHECK(static_cast<unsigned char>(msgs[0].bytes[c.position()]) >= 0xc4);
    CHECK(static_cast<unsigned char>(msgs[0].bytes[c.position()]) <= 0xc6);
  }
  SECTION("time_as_integer: whole seconds, for Fluentd v0.12") {
    Settings s = settings_of("time_as_integer: on\n");
    Read r = read_back(Encoder(s).encode(b)[0]);
    CHECK(r.events[0].first == 1700000000LL * 1'000'000'000);
  }
  SECTION("send_options alone: size and fluent_signal") {
    Settings s = settings_of("send_options: on\n");
    CHECK(options_of(Encoder(s).encode(b)[0]) == R"({"size":2,"fluent_signal":0})");
  }
}

TEST_CASE("forward output: tag, static or from the record", "[forward_out]") {
  Batch b = batch_of({{"kube.var.log", R"({"ns":"team-a","log":"1"})"}, {"kube.var.log", R"({"ns":"team-a","log":"2"})"},
                      {"kube.var.log", R"({"ns":"team-b","log":"3"})"}, {"kube.var.log", R"({"log":"no ns"})"}});
  SECTION("static") {
    auto msgs = Encoder(settings_of("tag: aggregated\n")).encode(b);
    REQUIRE(msgs.size() == 1);
    CHECK(read_back(msgs[0]).message.tag == "aggregated");
  }
  SECTION("a template: runs of the same rendered tag; a record without the key keeps its own tag") {
    auto msgs = Encoder(settings_of("tag: ns.$ns.$TAG[1]\n")).encode(b);
    REQUIRE(msgs.size() == 3);
    CHECK(read_back(msgs[0]).message.tag == "ns.team-a.var");
    CHECK(msgs[0].count == 2);
    CHECK(read_back(msgs[1]).message.tag == "ns.team-b.var");
    CHECK(read_back(msgs[2]).message.tag == "kube.var.log");
    CHECK(msgs[2].first == 3);
  }
}

TEST_CASE("forward output: a big batch is split into messages of about 1 MiB", "[forward_out]") {
  std::vector<std::pair<std::string, std::string>> records;
  std::string filler(1000, 'x');
  for (int i = 0; i < 3000; ++i) records.push_back({"app", R"({"i":)" + std::to_string(i) + R"(,"f":")" + filler + "\"}"});
  auto msgs = Encoder(settings_of("port: 24224\n")).encode(batch_of(records));
  REQUIRE(msgs.size() == 3);
  uint32_t next = 0;
  for (const Message& m : msgs) {
    CHECK(m.first == next);
    next += m.count;
    CHECK(m.bytes.size() < kMessageBytes + 2000);
    CHECK(read_back(m).events.size() == m.count);
  }
  CHECK(next == 3000);
}

TEST_CASE("forward output: the shared-key handshake", "[forward_out]") {
  Settings s = settings_of("shared_key: s3cret\nself_hostname: sluice-host\nusername: bob\npassword: pw\n");
  const std::string salt = "0123456789abcdef";
  auto helo_bytes = [](bool with_auth, bool keepalive) {
    std::string out;
    msgpack::Writer w(out);
    w.array_header(2);
    w.str("HELO");
    w.map_header(3);
    w.str("nonce");
    w.bin("NONCE-0123456789");
    w.str("auth");
    w.bin(with_auth ? "AUTHSALT-0123456" : "");
    w.str("keepalive");
    w.boolean(keepalive);
    return out;
  };
  Helo helo;
  REQUIRE(read_helo(helo_bytes(true, false), helo) == "");
  CHECK(helo.nonce == "NONCE-0123456789");
  CHECK(helo.auth == "AUTHSALT-0123456");
  CHECK_FALSE(helo.keepalive);

  SECTION("PING carries the digests the specification defines (values from Python's hashlib)") {
    std::string ping = make_ping(s, helo, salt);
    Arena arena;
    Value v;
    REQUIRE(msgpack::Cursor(ping).value(arena, v));
    CHECK(json::to_string(v) ==
          R"(["PING","sluice-host","0123456789abcdef",)"
          R"("dd4f44ee1c6114af5d0f2b44a9dac2388b80577d76c5fdfa0c58928acd79b6c2217d99751a343f261ae1486e320c4d9f6a33681d3bd5c3351df6756d49d6a9d9",)"
          R"("bob","64f832c0476e2181c7492aaf621bbea4b00543abcca25ea47ea9d1b6b65efe4afe44074ece7bd20ad5bc1771425cc73998364efe6f06675cce1127b8091e58ba"])");
    Helo no_users;
    REQUIRE(read_helo(helo_bytes(false, true), no_users) == "");
    CHECK(no_users.keepalive);
    Value v2;
    REQUIRE(msgpack::Cursor(make_ping(s, no_users, salt)).value(arena, v2));
    CHECK(json::to_string(v2.items()[4]) == R"("")");
    CHECK(json::to_string(v2.items()[5]) == R"("")");
  }
  SECTION("PONG: accepted, refused with the server's reason, or not proving the key") {
    auto pong = [](bool ok, const std::string& reason, const std::string& digest) {
      std::string out;
      msgpack::Writer w(out);
      w.array_header(5);
      w.str("PONG");
      w.boolean(ok);
      w.str(reason);
      w.str("fluentd-server");
      w.str(digest);
      return out;
    };
    const std::string good =
        "0790deee8e6acec9c7046143cae4f0e1b0f9a1d0487fd0caba6d69bab2fc3af2b16434211e9849822e6d3d78042369e50ca79e9c6cad3ec26"
        "d31aabff88d903f";
    CHECK(check_pong(pong(true, "", good), s, helo, salt) == "");
    CHECK(check_pong(pong(false, "shared_key mismatch", ""), s, helo, salt) ==
          "the server refused the handshake: shared_key mismatch");
    CHECK(check_pong(pong(true, "", std::string(128, '0')), s, helo, salt) ==
          "the server's PONG doesn't prove it has the same shared_key (digest mismatch)");
    CHECK_THAT(check_pong(helo_bytes(true, true), s, helo, salt), Catch::Contains("expected the server's PONG"));
  }
  SECTION("a HELO without a nonce, or something else, is refused") {
    std::string out;
    msgpack::Writer w(out);
    w.array_header(2);
    w.str("HELO");
    w.map_header(0);
    Helo h;
    CHECK(read_helo(out, h) == "the server's HELO has no nonce");
    CHECK_THAT(read_helo(forward::ack_for("abc"), h), Catch::Contains("expected the server's HELO"));
  }
}

TEST_CASE("forward output: acks", "[forward_out]") {
  CHECK(read_ack(forward::ack_for("IJunj1ZxUOIsJ+rv8CGPfA==")) == std::optional<std::string>("IJunj1ZxUOIsJ+rv8CGPfA=="));
  std::string other;
  msgpack::Writer w(other);
  w.map_header(1);
  w.str("ok");
  w.boolean(true);
  CHECK_FALSE(read_ack(other).has_value());
  CHECK_FALSE(read_ack("\x93").has_value());
}

TEST_CASE("forward output: bad configuration is refused at its key", "[forward_out]") {
  CHECK(error_of("host: fluentd.logging\nport: 24224\nrequire_ack_response: on\ncompress: gzip\n") == "no error");
  CHECK(error_of("compress: GZIP\n") == "no error");
  CHECK_THAT(error_of("compress: gzip\ntime_as_integer: on\n"),
             Catch::Contains("key 'compress': gzip needs EventTime entries (Fluentd v1); it can't be used with "
                             "time_as_integer"));
  CHECK_THAT(error_of("compress: zstd\n"), Catch::Contains("key 'compress'"));
  CHECK_THAT(error_of("port: 0\n"), Catch::Contains("key 'port'"));
  CHECK_THAT(error_of("unix_path: /var/run/fluent.sock\n"), Catch::Contains("key 'unix_path': is not supported"));
  CHECK_THAT(error_of("upstream: nodes.conf\n"), Catch::Contains("key 'upstream': is not supported"));
  CHECK_THAT(error_of("add_option: lonely\n"),
             Catch::Contains("key 'add_option': expects \"name value\" (an option name, a space, its value), got "
                             "\"lonely\""));
  CHECK_THAT(error_of("add_option: chunk abc\n"), Catch::Contains("'chunk' is an option the forward output sets itself"));
  CHECK_THAT(error_of("shared_key: k\nusername: bob\n"), Catch::Contains("key 'username': needs password as well"));
  CHECK_THAT(error_of("username: bob\npassword: pw\n"),
             Catch::Contains("key 'username': is used only in the shared-key handshake"));
  CHECK_THAT(error_of("tag: ns.$\n"), Catch::Contains("key 'tag'"));
  CHECK(error_of("retain_metadata_in_forward_mode: on\nfluentd_compat: off\n") == "no error");
  Settings s = settings_of("empty_shared_key: on\n");
  CHECK(s.secure);
  CHECK(s.shared_key.empty());
  CHECK_FALSE(s.self_hostname.empty());
}
