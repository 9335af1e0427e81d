// The forward output's pure parts: its messages (read back by sluice's own
// forward input decoder and by a MessagePack cursor; the end-to-end tests
// read them with npm's msgpack-lite) and its configuration errors. The
// handshake: tests/agent/forward_handshake_test.cpp.
#include <catch2/catch.hpp>

#include <set>

#include "agent/config/yaml_loader.hpp"
#include "agent/json_writer.hpp"
#include "agent/msgpack_reader.hpp"
#include "agent/parse/json_format.hpp"
#include "inputs/forward/forward_protocol.hpp"
#include "outputs/forward/forward_encoder.hpp"
#include "outputs/forward/forward_output.hpp"

namespace SLUICE_UNITY_ID {

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

TEST_CASE("forward output: bad configuration is refused at its key", "[forward_out]") {
  CHECK(error_of("host: fluentd.logging\nport: 24224\nrequire_ack_response: on\ncompress: gzip\n") == "no error");
  CHECK(error_of("compress: GZIP\n") == "no error");
  CHECK_THAT(error_of("compress: gzip\ntime_as_integer: on\n"),
             Catch::Contains("key 'compress': gzip needs EventTime entries (Fluentd v1); it can't be used with "
                             "time_as_integer"));
  CHECK_THAT(error_of("compress: zstd\n"), Catch::Contains("key 'compress'"));
  CHECK_THAT(error_of("port: 0\n"), Catch::Contains("key 'port'"));
  CHECK(error_of("unix_path: /var/run/fluent.sock\n") == "no error");
  CHECK_THAT(error_of("unix_path: /var/run/fluent.sock\ntls: on\n"),
             Catch::Contains("key 'tls': is for TCP; this output sends to the unix socket unix_path"));
  CHECK_THAT(error_of("unix_path: ''\n"), Catch::Contains("key 'unix_path': expected a socket's path"));
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

}  // namespace SLUICE_UNITY_ID
