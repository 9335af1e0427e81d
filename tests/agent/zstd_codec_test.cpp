// Zstandard: round trips, several frames, and the errors a body can cause
// (damaged, cut short, empty, larger than the caller's limit), checked
// against what the zstd CLI writes.
#include <catch2/catch.hpp>

#include "agent/zstd_codec.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {

std::string sample(size_t n) {
  std::string s;
  for (size_t i = 0; s.size() < n; ++i) s += R"({"i":)" + std::to_string(i) + R"(,"msg":"GET /api/v1/orders 200"})" "\n";
  s.resize(n);
  return s;
}

}  // namespace

TEST_CASE("zstd codec: round trips, and several frames read as one", "[zstd]") {
  for (size_t n : {size_t{1}, size_t{1000}, size_t{300000}}) {
    std::string data = sample(n);
    std::string z = zstd::compress(data);
    CHECK(z.size() < data.size() + 32);
    std::string out;
    REQUIRE_FALSE(zstd::decompress(z, data.size(), out));
    CHECK(out == data);
  }
  std::string a = sample(5000), b = sample(7000);
  std::string out;
  REQUIRE_FALSE(zstd::decompress(zstd::compress(a) + zstd::compress(b), 1 << 20, out));
  CHECK(out == a + b);
}

TEST_CASE("zstd codec: what the zstd CLI writes (no content size, streamed) reads back", "[zstd]") {
  test::TempDir dir;
  std::string data = sample(200000);
  test::write_file(dir.file("in"), data);
  // --no-content-size: the decoder can't size its output from the frame header.
  test::Process z({"/usr/bin/zstd", "-q", "-f", "--no-content-size", "-o", dir.file("in.zst"), dir.file("in")});
  REQUIRE(z.wait(std::chrono::seconds(30)) == 0);
  std::string out;
  REQUIRE_FALSE(zstd::decompress(test::read_file(dir.file("in.zst")), 1 << 20, out));
  CHECK(out == data);
}

TEST_CASE("zstd codec: damaged, cut short, empty and too large are errors", "[zstd]") {
  std::string data = sample(100000);
  std::string z = zstd::compress(data);
  std::string out;
  auto cut = zstd::decompress(std::string_view(z).substr(0, z.size() / 2), 1 << 20, out);
  REQUIRE(cut);
  CHECK_FALSE(cut->too_large);
  CHECK(cut->why == "the compressed data ends early");
  std::string damaged = z;
  damaged[0] ^= 0x55;  // the magic number
  auto bad = zstd::decompress(damaged, 1 << 20, out);
  REQUIRE(bad);
  CHECK_FALSE(bad->too_large);
  CHECK_FALSE(bad->why.empty());
  CHECK(zstd::decompress("", 1 << 20, out));
  auto large = zstd::decompress(z, data.size() - 1, out);
  REQUIRE(large);
  CHECK(large->too_large);
  CHECK_FALSE(zstd::decompress(z, data.size(), out));  // exactly at the limit fits
  CHECK(out.size() == data.size());
}

}  // namespace SLUICE_UNITY_ID
