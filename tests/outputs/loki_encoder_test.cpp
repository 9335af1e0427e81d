// The loki output's encoders: varints, the protobuf PushRequest byte for
// byte for a tiny request, timestamps before 1970, snappy's block format, and
// the JSON push body.
#include <snappy.h>

#include "outputs/loki/loki_json_encoder.hpp"
#include "outputs/loki/loki_push_encoder.hpp"
#include "tests/outputs/loki_test_support.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::loki;

namespace {

std::string hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (!out.empty()) out.push_back(' ');
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string varint(uint64_t v) {
  std::string out;
  pb::append_varint(out, v);
  CHECK(out.size() == pb::varint_size(v));
  return hex(out);
}

// One stream {job="a"}, one entry per (time, line), optional metadata on the first.
PushBatch tiny(std::vector<std::pair<int64_t, std::string>> entries,
               std::vector<std::pair<std::string, std::string>> metadata = {}) {
  PushBatch b;
  b.streams.push_back({"{job=\"a\"}", {{"job", "a"}}, 0, static_cast<uint32_t>(entries.size())});
  for (auto& [t, line] : entries) {
    PushEntry e;
    e.time_ns = t;
    e.line = {b.text.size(), line.size()};
    b.text += line;
    b.entries.push_back(e);
  }
  b.entries[0].meta_count = static_cast<uint32_t>(metadata.size());
  for (auto& [n, v] : metadata) {
    MetaPair p;
    p.name = {b.text.size(), n.size()};
    b.text += n;
    p.value = {b.text.size(), v.size()};
    b.text += v;
    b.metadata.push_back(p);
  }
  return b;
}

std::string proto(const PushBatch& b) {
  std::string out;
  encode_push_request(b, out);
  return hex(out);
}

}  // namespace

TEST_CASE("loki protobuf: varints", "[loki]") {
  CHECK(varint(0) == "00");
  CHECK(varint(1) == "01");
  CHECK(varint(127) == "7f");
  CHECK(varint(128) == "80 01");
  CHECK(varint(300) == "ac 02");
  CHECK(varint(16383) == "ff 7f");
  CHECK(varint(16384) == "80 80 01");
  CHECK(varint(0xFFFFFFFFULL) == "ff ff ff ff 0f");
  CHECK(varint(1ULL << 63) == "80 80 80 80 80 80 80 80 80 01");
  CHECK(varint(~0ULL) == "ff ff ff ff ff ff ff ff ff 01");
  // int64 -1, as protobuf encodes a negative int64: ten bytes.
  CHECK(varint(static_cast<uint64_t>(int64_t{-1})) == "ff ff ff ff ff ff ff ff ff 01");
}

TEST_CASE("loki protobuf: a tiny PushRequest byte for byte", "[loki]") {
  // streams { labels: "{job=\"a\"}" entries { timestamp { seconds: 1 nanos: 2 } line: "hi" } }
  CHECK(proto(tiny({{1'000'000'002, "hi"}})) ==
        "0a 17 "                                 // PushRequest.streams, 23 bytes
        "0a 09 7b 6a 6f 62 3d 22 61 22 7d "      // labels "{job=\"a\"}"
        "12 0a "                                 // entries, 10 bytes
        "0a 04 08 01 10 02 "                     // timestamp {seconds 1, nanos 2}
        "12 02 68 69");                          // line "hi"

  SECTION("structured metadata") {
    CHECK(proto(tiny({{1'000'000'002, "hi"}}, {{"trace", "abc"}})) ==
          "0a 25 0a 09 7b 6a 6f 62 3d 22 61 22 7d 12 18 0a 04 08 01 10 02 12 02 68 69 "
          "1a 0c 0a 05 74 72 61 63 65 12 03 61 62 63");  // structuredMetadata {name "trace" value "abc"}
  }
  SECTION("proto3 defaults are left out: time 0, whole seconds, an empty line") {
    CHECK(proto(tiny({{0, ""}})) == "0a 0f 0a 09 7b 6a 6f 62 3d 22 61 22 7d 12 02 0a 00");
    CHECK(proto(tiny({{5'000'000'000, "x"}})) ==
          "0a 14 0a 09 7b 6a 6f 62 3d 22 61 22 7d 12 07 0a 02 08 05 12 01 78");
  }
  SECTION("a time before 1970 has negative seconds and positive nanos") {
    // -1 ns = seconds -1 (ten-byte varint), nanos 999999999 (ff 93 eb dc 03).
    CHECK(proto(tiny({{-1, "x"}})) ==
          "0a 23 0a 09 7b 6a 6f 62 3d 22 61 22 7d 12 16 0a 11 08 ff ff ff ff ff ff ff ff ff 01 "
          "10 ff 93 eb dc 03 12 01 78");
  }
  SECTION("a long line has a multi-byte length") {
    std::string line(200, 'x');
    std::string out;
    encode_push_request(tiny({{1'000'000'002, line}}), out);
    CHECK(out.size() == 3 + 11 + 3 + 6 + 3 + 200);  // stream, entry and line lengths take two bytes
    CHECK(hex(out.substr(0, 3)) == "0a df 01");     // 223
    CHECK(out.substr(out.size() - 200) == line);
  }
  SECTION("streams without entries are skipped") {
    PushBatch b = tiny({{1'000'000'002, "hi"}});
    b.streams.push_back({"{job=\"b\"}", {{"job", "b"}}, 0, 0});
    CHECK(proto(b) == proto(tiny({{1'000'000'002, "hi"}})));
  }
}

TEST_CASE("loki snappy: block format that snappy decodes", "[loki]") {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "{\"level\":\"info\",\"message\":\"request completed\",\"n\":" + std::to_string(i) + "}";
  std::string compressed;
  snappy_compress(text, compressed);
  CHECK(compressed.size() < text.size() / 3);
  // The block format starts with the uncompressed length as a varint (the
  // framed format would start with its ff 06 00 00 "sNaPpY" header).
  std::string length;
  pb::append_varint(length, text.size());
  CHECK(compressed.substr(0, length.size()) == length);
  std::string back;
  REQUIRE(snappy::Uncompress(compressed.data(), compressed.size(), &back));
  CHECK(back == text);
  snappy_compress("", compressed);
  CHECK(hex(compressed) == "00");
}

TEST_CASE("loki json: the push body", "[loki]") {
  std::string out;
  encode_push_json(tiny({{1'000'000'002, "hi \"there\""}, {3'000'000'000, "second"}}, {{"trace", "abc"}}), out);
  CHECK(out ==
        R"({"streams":[{"stream":{"job":"a"},"values":[["1000000002","hi \"there\"",{"trace":"abc"}],)"
        R"(["3000000000","second"]]}]})");

  SECTION("several streams and labels") {
    auto chunk = loki_test::chunk_of({{2, R"({"app":"web","m":"b"})"}, {1, R"({"app":"db","m":"a"})"}, {3, R"({"app":"web","m":"c"})"}});
    loki_test::Built built("labels: job=x, $app", chunk);
    encode_push_json(built.batch, out);
    CHECK(out == R"({"streams":[{"stream":{"app":"web","job":"x"},"values":[["2","{\"m\":\"b\"}"],["3","{\"m\":\"c\"}"]]},)"
                 R"({"stream":{"app":"db","job":"x"},"values":[["1","{\"m\":\"a\"}"]]}]})");
  }
}

}  // namespace SLUICE_UNITY_ID
