// The forward input's decoding: MessagePack objects (whole or not yet,
// every type into record values) and the Forward protocol's four modes, its
// options and its acknowledgement. Bytes are built here from the
// MessagePack specification; the end-to-end test sends them with a real
// client (npm's fluent-logger).
#include <catch2/catch.hpp>

#include <cstring>

#include "agent/json_writer.hpp"
#include "agent/msgpack_reader.hpp"
#include "agent/zlib_codec.hpp"
#include "inputs/forward/forward_protocol.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::forward;
using namespace sluice::msgpack;

namespace {

// A small MessagePack writer for the tests.
struct Pack {
  std::string b;
  Pack& raw(std::initializer_list<int> bytes) {
    for (int x : bytes) b += static_cast<char>(x);
    return *this;
  }
  Pack& be(uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) b += static_cast<char>((v >> (8 * i)) & 0xff);
    return *this;
  }
  Pack& str(std::string_view s) {
    if (s.size() < 32) b += static_cast<char>(0xa0 | s.size());
    else raw({0xd9}).be(s.size(), 1);
    b += s;
    return *this;
  }
  Pack& bin(std::string_view s) {
    raw({0xc6}).be(s.size(), 4);
    b += s;
    return *this;
  }
  Pack& array(uint32_t n) { return n < 16 ? raw({static_cast<int>(0x90 | n)}) : raw({0xdc}).be(n, 2); }
  Pack& map(uint32_t n) { return n < 16 ? raw({static_cast<int>(0x80 | n)}) : raw({0xde}).be(n, 2); }
  Pack& uint(uint64_t v) { return v < 128 ? raw({static_cast<int>(v)}) : raw({0xcf}).be(v, 8); }
  Pack& event_time(uint32_t sec, uint32_t nsec) { return raw({0xd7, 0x00}).be(sec, 4).be(nsec, 4); }
  Pack& append(const Pack& other) {
    b += other.b;
    return *this;
  }
};

std::string json_of(const Value& v) { return json::to_string(v); }

std::string read_value(const std::string& bytes) {
  Arena arena;
  Value v;
  Cursor c(bytes);
  if (!c.value(arena, v)) return "FAIL";
  if (!c.at_end()) return "LEFTOVER";
  return json_of(v);
}

struct Decoded {
  std::string error;
  DecodedMessage message;
  std::vector<std::pair<int64_t, std::string>> events;
};

Decoded decode(const std::string& bytes, size_t max_unpacked = 1 << 20) {
  Decoded d;
  REQUIRE(object_size(bytes, nullptr) == static_cast<int64_t>(bytes.size()));
  Chunk chunk("");
  d.error = decode_message(bytes, chunk, d.message, max_unpacked);
  for (const Event& e : chunk.events) d.events.emplace_back(e.time_ns, json_of(e.record));
  return d;
}

constexpr int64_t kSec = 1'000'000'000;

}  // namespace

TEST_CASE("forward msgpack: a whole object's size, or that more bytes are needed", "[forward]") {
  Pack p;
  p.array(3).str("tag").uint(1700000000).map(1).str("k").bin("value");
  const std::string& b = p.b;
  CHECK(object_size(b, nullptr) == static_cast<int64_t>(b.size()));
  for (size_t cut = 0; cut < b.size(); ++cut) {
    INFO(cut);
    CHECK(object_size(b.substr(0, cut), nullptr) == 0);
  }
  CHECK(object_size(b + "extra", nullptr) == static_cast<int64_t>(b.size()));
  std::string error;
  CHECK(object_size(std::string("\x92\x01\xc1", 3), &error) == -1);
  CHECK(error == "byte 0xc1 at offset 2 is not MessagePack");
  // A header claiming more than has arrived waits (the input bounds it by buffer_max_size).
  CHECK(object_size(Pack().raw({0xdd}).be(1u << 30, 4).b, nullptr) == 0);
}

TEST_CASE("forward msgpack: every type becomes a record value", "[forward]") {
  CHECK(read_value(Pack().raw({0x05}).b) == "5");
  CHECK(read_value(Pack().raw({0xff}).b) == "-1");
  CHECK(read_value(Pack().raw({0xc0}).b) == "null");
  CHECK(read_value(Pack().raw({0xc2}).b) == "false");
  CHECK(read_value(Pack().raw({0xc3}).b) == "true");
  CHECK(read_value(Pack().raw({0xcc, 0xff}).b) == "255");
  CHECK(read_value(Pack().raw({0xcd}).be(65535, 2).b) == "65535");
  CHECK(read_value(Pack().raw({0xce}).be(4000000000u, 4).b) == "4000000000");
  CHECK(read_value(Pack().raw({0xcf}).be(18446744073709551615ull, 8).b) == "18446744073709551616.0");  // past int64: a double
  CHECK(read_value(Pack().raw({0xd0, 0x80}).b) == "-128");
  CHECK(read_value(Pack().raw({0xd1}).be(0x8000, 2).b) == "-32768");
  CHECK(read_value(Pack().raw({0xd2}).be(0xffffff85u, 4).b) == "-123");
  CHECK(read_value(Pack().raw({0xd3}).be(0x8000000000000000ull, 8).b) == "-9223372036854775808");
  uint32_t f32 = 0;
  float f = 1.5f;
  std::memcpy(&f32, &f, 4);
  CHECK(read_value(Pack().raw({0xca}).be(f32, 4).b) == "1.5");
  uint64_t f64 = 0;
  double d = -2.25;
  std::memcpy(&f64, &d, 8);
  CHECK(read_value(Pack().raw({0xcb}).be(f64, 8).b) == "-2.25");
  CHECK(read_value(Pack().str("h\xc3\xa9llo").b) == "\"h\xc3\xa9llo\"");
  CHECK(read_value(Pack().raw({0xda}).be(3, 2).raw({'a', 'b', 'c'}).b) == "\"abc\"");
  CHECK(read_value(Pack().bin("raw").b) == "\"raw\"");
  CHECK(read_value(Pack().array(3).uint(1).str("x").array(0).b) == "[1,\"x\",[]]");
  // Map keys that aren't strings are their JSON text.
  CHECK(read_value(Pack().map(3).str("a").uint(1).uint(7).str("seven").raw({0xc3}).raw({0xc0}).b) ==
        R"({"a":1,"7":"seven","true":null})");
  // EventTime inside a record: seconds as a number; another ext: its bytes.
  CHECK(read_value(Pack().event_time(1700000000, 500000000).b) == "1700000000.5");
  CHECK(read_value(Pack().raw({0xd4, 0x05, 'z'}).b) == "\"z\"");
  SECTION("cut short, or nested past the limit: refused, nothing read") {
    std::string whole = Pack().map(1).str("key").str("value").b;
    for (size_t cut = 0; cut < whole.size(); ++cut) CHECK(read_value(whole.substr(0, cut)) == "FAIL");
    std::string deep;
    for (int i = 0; i <= kMaxDepth + 1; ++i) deep += '\x91';
    deep += '\x01';
    CHECK(read_value(deep) == "FAIL");
    // A count no byte count could hold is refused before anything is allocated.
    CHECK(read_value(Pack().raw({0xdd}).be(0xffffffffu, 4).b) == "FAIL");
  }
}

TEST_CASE("forward protocol: Message mode, times as seconds, floats and EventTime", "[forward]") {
  auto d = decode(Pack().array(3).str("app.web").uint(1700000000).map(1).str("msg").str("hi").b);
  CHECK(d.error.empty());
  CHECK(d.message.tag == "app.web");
  CHECK(d.message.chunk_id.empty());
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0] == std::pair<int64_t, std::string>{1700000000 * kSec, R"({"msg":"hi"})"});

  d = decode(Pack().array(4).str("t").event_time(1700000000, 123456789).map(0).map(1).str("chunk").str("id-1").b);
  CHECK(d.error.empty());
  CHECK(d.message.chunk_id == "id-1");
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].first == 1700000000 * kSec + 123456789);

  uint64_t bits = 0;
  double seconds = 1700000000.25;
  std::memcpy(&bits, &seconds, 8);
  d = decode(Pack().array(3).str("t").raw({0xcb}).be(bits, 8).map(0).b);
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].first == 1700000000 * kSec + 250000000);
}

TEST_CASE("forward protocol: Forward mode, with Fluent Bit's [time, metadata] entries", "[forward]") {
  Pack entries;
  entries.array(3);
  entries.array(2).uint(1700000001).map(1).str("n").uint(1);
  entries.array(2).array(2).event_time(1700000002, 5).map(1).str("otel").str("x").map(1).str("n").uint(2);
  entries.array(2).uint(1700000003).str("not a map");
  auto d = decode(Pack().array(3).str("fb").append(entries).map(1).str("chunk").str("c2").b);
  CHECK(d.error.empty());
  CHECK(d.message.chunk_id == "c2");
  REQUIRE(d.events.size() == 2);
  CHECK(d.events[0] == std::pair<int64_t, std::string>{1700000001 * kSec, R"({"n":1})"});
  CHECK(d.events[1] == std::pair<int64_t, std::string>{1700000002 * kSec + 5, R"({"n":2})"});
  CHECK(d.message.skipped == 1);
}

TEST_CASE("forward protocol: PackedForward, plain and gzipped", "[forward]") {
  Pack stream;
  for (int i = 0; i < 3; ++i) stream.array(2).event_time(1700000000 + i, 0).map(1).str("i").uint(i);
  auto d = decode(Pack().array(3).str("packed").bin(stream.b).map(1).str("size").uint(3).b);
  CHECK(d.error.empty());
  REQUIRE(d.events.size() == 3);
  CHECK(d.events[2] == std::pair<int64_t, std::string>{1700000002 * kSec, R"({"i":2})"});

  std::string gz = zlib::compress(stream.b, zlib::Wrapper::Gzip, 6);
  d = decode(Pack().array(3).str("packed").bin(gz).map(2).str("compressed").str("gzip").str("chunk").str("z").b);
  CHECK(d.error.empty());
  CHECK(d.message.chunk_id == "z");
  CHECK(d.events.size() == 3);
  // The entries as a str (Fluentd's older senders) are read the same.
  d = decode(Pack().array(2).str("packed").raw({0xdb}).be(stream.b.size(), 4).append(Pack{stream.b}).b);
  CHECK(d.events.size() == 3);
  SECTION("a gzipped stream that inflates past the bound is refused") {
    std::string big(100000, 'x');
    Pack one;
    one.array(2).uint(1).map(1).str("big").raw({0xdb}).be(big.size(), 4);
    one.b += big;
    std::string bomb = zlib::compress(one.b, zlib::Wrapper::Gzip, 6);
    auto r = decode(Pack().array(3).str("p").bin(bomb).map(1).str("compressed").str("gzip").b, 1000);
    CHECK(r.error == "its gzipped entries inflate past buffer_max_size");
  }
}

TEST_CASE("forward protocol: messages of the wrong shape say what is wrong", "[forward]") {
  CHECK(decode(Pack().map(0).b).error == "a message is not an array [tag, ...] of 2 to 4 items");
  CHECK(decode(Pack().array(5).uint(1).uint(1).uint(1).uint(1).uint(1).b).error ==
        "a message is not an array [tag, ...] of 2 to 4 items");
  CHECK(decode(Pack().array(3).uint(1).uint(1).map(0).b).error == "a message's tag is not a string");
  CHECK(decode(Pack().array(2).str("t").uint(1).b).error == "a message [tag, time, record] has no record");
  CHECK(decode(Pack().array(3).str("t").str("x").raw({0x05}).b).error == "a message's option is not a map");
  CHECK(decode(Pack().array(2).str("t").array(1).uint(5).b).error == "an entry is not an array [time, record]");
  CHECK(decode(Pack().array(3).str("t").raw({0xc3}).map(0).b).error ==
        "a message's time is not seconds or an EventTime");
  CHECK(decode(Pack().array(3).str("t").bin("\x92\x01").map(1).str("compressed").str("gzip").b).error.rfind(
            "its gzipped entries don't inflate", 0) == 0);
}

TEST_CASE("forward protocol: a message's tag is read on its own", "[forward]") {
  CHECK(message_tag(Pack().array(3).str("app.web").uint(1).map(0).b) == std::optional<std::string_view>("app.web"));
  CHECK(message_tag(Pack().array(2).str("t").b) == std::optional<std::string_view>("t"));  // the rest isn't read
  CHECK_FALSE(message_tag(Pack().array(3).uint(1).uint(1).map(0).b).has_value());
  CHECK_FALSE(message_tag(Pack().map(1).str("t").str("x").b).has_value());
  CHECK_FALSE(message_tag(Pack().array(9).str("t").b).has_value());
}

TEST_CASE("forward protocol: the chunk option of a message refused for its shape", "[forward]") {
  // A time that is `true`: refused, but its sender waits for this ack.
  std::string bad = Pack().array(4).str("t").raw({0xc3}).map(0).map(1).str("chunk").str("c9").b;
  CHECK_FALSE(decode(bad).error.empty());
  CHECK(chunk_option(bad) == "c9");
  CHECK(chunk_option(Pack().array(3).str("t").array(0).map(1).str("chunk").str("f1").b) == "f1");
  CHECK(chunk_option(Pack().array(3).str("t").uint(1).map(0).b).empty());
  CHECK(chunk_option(Pack().array(2).str("t").array(0).b).empty());
}

TEST_CASE("forward protocol: the acknowledgement is {\"ack\": chunk}", "[forward]") {
  CHECK(ack_for("abc") == std::string("\x81\xa3" "ack\xa3" "abc"));
  std::string id(40, 'q');
  CHECK(ack_for(id) == std::string("\x81\xa3" "ack\xd9\x28") + id);
  std::string bytes = ack_for(std::string(300, 'r'));
  Arena arena;
  Value v;
  Cursor c(bytes);
  REQUIRE(c.value(arena, v));
  CHECK(v.find("ack")->as_string() == std::string(300, 'r'));
}

}  // namespace SLUICE_UNITY_ID
