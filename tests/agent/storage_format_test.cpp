// The filesystem buffer's encodings: chunk codec round trips and refuses
// damaged input; frames and segment headers are recognised, torn and
// damaged ones sorted apart.
#include <catch2/catch.hpp>

#include "agent/json_writer.hpp"
#include "agent/parse/json_format.hpp"
#include "agent/record.hpp"
#include "agent/storage/chunk_codec.hpp"
#include "agent/storage/crc32c.hpp"
#include "agent/storage/segment_format.hpp"
#include "tests/agent/storage_test_support.hpp"

namespace sluice::SLUICE_UNITY_ID {
namespace {

using storage::FrameRead;

std::string frame_of(const std::string& payload, uint64_t id) {
  std::string f(storage::kFrameHeaderSize, '\0');
  storage::encode_frame_header({storage::FrameType::Chunk, static_cast<uint32_t>(payload.size()), 1, id}, f.data());
  f += payload;
  f.resize(f.size() + storage::kFrameTrailerSize);
  storage::encode_frame_trailer(payload, f.data() + storage::kFrameHeaderSize + payload.size());
  return f;
}

TEST_CASE("crc32c matches the standard check value") {
  // RFC 3720 B.4 and every CRC catalogue: CRC-32C("123456789") = 0xE3069283.
  CHECK(storage::crc32c("123456789", 9) == 0xE3069283u);
  std::string zeros(32, '\0');
  CHECK(storage::crc32c(zeros.data(), zeros.size()) == 0x8A9136AAu);
  // In pieces as at once.
  CHECK(storage::crc32c("6789", 4, storage::crc32c("12345", 5)) == 0xE3069283u);
}

TEST_CASE("a chunk survives encoding and decoding unchanged") {
  auto chunk = test::chunk_of(
      "app.web", {R"({"s":"text with \"quotes\" and é","i":-42,"big":9007199254740993,"d":3.25,"t":true,"f":false,"z":null})",
                  R"({"nested":{"a":[1,"two",{"three":3.5}],"empty":{},"list":[]},"":""})"},
      -5);
  std::string buf;
  size_t n = storage::encode_chunk(*chunk, buf);
  REQUIRE(n == buf.size());
  std::string error;
  auto back = storage::decode_chunk(buf, &error);
  INFO(error);
  REQUIRE(back);
  CHECK(test::dump(*back) == test::dump(*chunk));
  for (size_t i = 0; i < chunk->events.size(); ++i) CHECK(record::equal(back->events[i].record, chunk->events[i].record));

  SECTION("appends after what the buffer holds") {
    std::string prefixed = "HEAD";
    CHECK(storage::encode_chunk(*chunk, prefixed) == n);
    CHECK(prefixed.substr(4) == buf);
  }
}

TEST_CASE("a chunk's metadata (Lua's, OTLP's) survives encoding, and a chunk without any stays without") {
  auto chunk = test::chunk_of("otlp", {R"({"log":"a"})", R"({"log":"b"})", R"({"log":"c"})"});
  Value meta;
  REQUIRE(make_json_format()->parse(R"({"otlp":{"severity_text":"INFO","attributes":{"k":[1,"v"]}}})", chunk->arena,
                                    meta));
  chunk->metadata = {meta, Value(), meta};
  std::string buf;
  storage::encode_chunk(*chunk, buf);
  std::string error;
  auto back = storage::decode_chunk(buf, &error);
  INFO(error);
  REQUIRE(back);
  REQUIRE(back->metadata.size() == 3);
  CHECK(json::to_string(back->metadata[0]) == R"({"otlp":{"severity_text":"INFO","attributes":{"k":[1,"v"]}}})");
  CHECK(back->metadata[1].is_null());
  CHECK(record::equal(back->metadata[2], meta));
  CHECK(test::dump(*back) == test::dump(*chunk));

  // Cut anywhere inside the metadata: refused, not read as fewer of them.
  size_t without = [&] {
    auto plain = test::chunk_of("otlp", {R"({"log":"a"})", R"({"log":"b"})", R"({"log":"c"})"});
    std::string b;
    return storage::encode_chunk(*plain, b);
  }();
  for (size_t len = without + 1; len < buf.size(); ++len) CHECK_FALSE(storage::decode_chunk(buf.substr(0, len), &error));

  chunk->metadata.clear();
  buf.clear();
  storage::encode_chunk(*chunk, buf);
  CHECK(buf.size() == without);
  back = storage::decode_chunk(buf, &error);
  REQUIRE(back);
  CHECK(back->metadata.empty());
}

TEST_CASE("a damaged chunk encoding is refused, never a crash") {
  auto chunk = test::chunk_of("t", {R"({"a":[1,2,{"b":"c"}],"d":1.5})", R"({"x":"y"})"});
  std::string buf;
  storage::encode_chunk(*chunk, buf);
  SECTION("cut at every length") {
    for (size_t len = 0; len < buf.size(); ++len) {
      std::string error;
      CHECK_FALSE(storage::decode_chunk(std::string_view(buf).substr(0, len), &error));
      CHECK_FALSE(error.empty());
    }
  }
  SECTION("every byte changed") {
    for (size_t i = 0; i < buf.size(); ++i) {
      std::string bad = buf;
      bad[i] = static_cast<char>(bad[i] ^ 0xFF);
      std::string error;
      storage::decode_chunk(bad, &error);  // decodes to something else or fails; must not crash
    }
  }
  SECTION("bytes after the last event that aren't its metadata") {
    std::string error;
    CHECK_FALSE(storage::decode_chunk(buf + "x", &error));
    CHECK(error == "metadata for a different number of events");
    error.clear();
    // A count of 2, a map and a null, then a stray byte.
    CHECK_FALSE(storage::decode_chunk(buf + std::string("\x02\x07\x00\x00x", 5), &error));
    CHECK(error == "bytes after the last event's metadata");
  }
  SECTION("a count beyond the bytes") {
    std::string bogus = std::string("\x01t\xff\xff\xff\xff\x0f", 7);
    std::string error;
    CHECK_FALSE(storage::decode_chunk(bogus, &error));
  }
}

TEST_CASE("segment headers name the input and are checked") {
  std::string h = storage::segment_header("http.0");
  std::string name;
  REQUIRE(storage::parse_segment_header(h, &name) == h.size());
  CHECK(name == "http.0");
  for (size_t i = 0; i < h.size(); ++i) {
    std::string bad = h;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    CHECK_FALSE(storage::parse_segment_header(bad, nullptr));
  }
  CHECK_FALSE(storage::parse_segment_header(h.substr(0, h.size() - 1), nullptr));
}

TEST_CASE("frames are read whole, torn or damaged") {
  std::string a = frame_of("first payload", 1), b = frame_of("second", 2);
  std::string data = a + b;
  FrameRead r = storage::read_frame(data, 0);
  REQUIRE(r.kind == FrameRead::Kind::Frame);
  CHECK(r.payload == "first payload");
  CHECK(r.header.id == 1);
  CHECK(r.size == a.size());
  r = storage::read_frame(data, a.size());
  REQUIRE(r.kind == FrameRead::Kind::Frame);
  CHECK(r.payload == "second");
  CHECK(storage::read_frame(data, data.size()).kind == FrameRead::Kind::End);

  SECTION("cut anywhere in the last frame: torn") {
    for (size_t len = a.size() + 1; len < data.size(); ++len)
      CHECK(storage::read_frame(std::string_view(data).substr(0, len), a.size()).kind == FrameRead::Kind::Torn);
  }
  SECTION("a flipped bit in the payload or trailer: bad payload, framing kept") {
    for (size_t i = storage::kFrameHeaderSize; i < a.size(); ++i) {
      std::string bad = data;
      bad[i] = static_cast<char>(bad[i] ^ 0x10);
      FrameRead x = storage::read_frame(bad, 0);
      CHECK(x.kind == FrameRead::Kind::BadPayload);
      CHECK(x.size == a.size());
    }
  }
  SECTION("a flipped bit in the header: framing lost, found again at the next frame") {
    for (size_t i = 0; i < storage::kFrameHeaderSize; ++i) {
      std::string bad = data;
      bad[i] = static_cast<char>(bad[i] ^ 0x04);
      CHECK(storage::read_frame(bad, 0).kind == FrameRead::Kind::BadHeader);
      auto next = storage::resync(bad, 0);
      REQUIRE(next);
      CHECK(*next == a.size());
    }
  }
}

}  // namespace
}  // namespace sluice::SLUICE_UNITY_ID
