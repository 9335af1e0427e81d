// agent/zlib_codec: what the HTTP outputs, GELF and the http input rely on:
// each wrapper round-trips, the framing bytes are right, gzip members
// concatenate, damaged or truncated data is an error with the byte where it
// went wrong, and no input inflates past the limit the caller sets.
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "agent/zlib_codec.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {

std::string log_lines(int n) {
  std::string text;
  for (int i = 0; i < n; ++i)
    text += R"({"level":"info","message":"request completed","status":)" + std::to_string(200 + i % 7) + "}\n";
  return text;
}

std::string random_bytes(size_t n) {
  std::mt19937 rng(7);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

}  // namespace

TEST_CASE("zlib codec: every wrapper round-trips at every level", "[zlib]") {
  std::string text = log_lines(5000);
  for (auto wrapper : {zlib::Wrapper::Gzip, zlib::Wrapper::Zlib, zlib::Wrapper::Raw}) {
    for (int level : {zlib::kFastest, zlib::kDefaultLevel, 9, 0}) {
      std::string packed = zlib::compress(text, wrapper, level);
      if (level != 0) CHECK(packed.size() < text.size() / 10);
      std::string out;
      REQUIRE_FALSE(zlib::inflate(packed, wrapper, text.size(), out));
      CHECK(out == text);
      if (wrapper != zlib::Wrapper::Raw) {
        REQUIRE_FALSE(zlib::inflate(packed, zlib::Wrapper::Auto, text.size(), out));  // the header tells which
        CHECK(out == text);
      }
    }
  }
  std::string gz = zlib::compress("x", zlib::Wrapper::Gzip, zlib::kFastest);
  CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);  // RFC 1952 magic
  CHECK(static_cast<unsigned char>(gz[1]) == 0x8b);
  std::string zl = zlib::compress("x", zlib::Wrapper::Zlib, zlib::kFastest);
  CHECK((static_cast<unsigned char>(zl[0]) * 256 + static_cast<unsigned char>(zl[1])) % 31 == 0);  // RFC 1950 check

  // Incompressible data still fits: the output buffer grows as needed.
  std::string noise = random_bytes(300000);
  std::string out;
  REQUIRE_FALSE(zlib::inflate(zlib::compress(noise, zlib::Wrapper::Gzip, 9), zlib::Wrapper::Gzip, noise.size(), out));
  CHECK(out == noise);
  REQUIRE_FALSE(zlib::inflate(zlib::compress("", zlib::Wrapper::Gzip, 1), zlib::Wrapper::Gzip, 0, out));
  CHECK(out.empty());
}

TEST_CASE("zlib codec: gzip members one after the other inflate as one", "[zlib]") {
  std::string both = zlib::compress("first\n", zlib::Wrapper::Gzip, 1) + zlib::compress("second\n", zlib::Wrapper::Gzip, 9);
  std::string out;
  REQUIRE_FALSE(zlib::inflate(both, zlib::Wrapper::Gzip, 100, out));
  CHECK(out == "first\nsecond\n");
  // A zlib stream has one member: anything after it is an error, not ignored.
  std::string z = zlib::compress("one", zlib::Wrapper::Zlib, 1);
  auto e = zlib::inflate(z + "junk", zlib::Wrapper::Zlib, 100, out);
  REQUIRE(e);
  CHECK_FALSE(e->too_large);
  CHECK(e->at == z.size());
}

TEST_CASE("zlib codec: damaged, truncated and empty input are errors", "[zlib]") {
  std::string text = log_lines(2000);
  std::string gz = zlib::compress(text, zlib::Wrapper::Gzip, 6);
  std::string out;

  auto e = zlib::inflate("not compressed at all", zlib::Wrapper::Auto, 1 << 20, out);
  REQUIRE(e);
  CHECK_FALSE(e->too_large);
  CHECK(e->why == "incorrect header check");

  e = zlib::inflate(gz.substr(0, gz.size() / 2), zlib::Wrapper::Gzip, 1 << 20, out);
  REQUIRE(e);
  CHECK(e->why == "the compressed data ends early");
  CHECK(e->at == gz.size() / 2);

  std::string damaged = gz;
  damaged[gz.size() - 5] ^= 0x55;  // the CRC-32 trailer
  e = zlib::inflate(damaged, zlib::Wrapper::Gzip, 1 << 20, out);
  REQUIRE(e);
  CHECK(e->why == "incorrect data check");

  e = zlib::inflate("", zlib::Wrapper::Gzip, 1 << 20, out);
  REQUIRE(e);
  CHECK(e->why == "empty body");
}

TEST_CASE("zlib codec: output is capped at the caller's limit (a small body can't expand without bound)", "[zlib]") {
  std::string zeros(8 << 20, '\0');
  std::string bomb = zlib::compress(zeros, zlib::Wrapper::Gzip, 9);
  REQUIRE(bomb.size() < 20000);
  std::string out;
  auto e = zlib::inflate(bomb, zlib::Wrapper::Gzip, 1 << 20, out);
  REQUIRE(e);
  CHECK(e->too_large);
  CHECK(out.capacity() <= (2u << 20));  // it stopped near the limit, not after inflating everything
  // Exactly at the limit is fine; one byte over is not.
  REQUIRE_FALSE(zlib::inflate(bomb, zlib::Wrapper::Gzip, zeros.size(), out));
  CHECK(out.size() == zeros.size());
  e = zlib::inflate(bomb, zlib::Wrapper::Gzip, zeros.size() - 1, out);
  REQUIRE(e);
  CHECK(e->too_large);
}

}  // namespace SLUICE_UNITY_ID
