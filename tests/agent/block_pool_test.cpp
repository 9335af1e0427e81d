// Arena block recycling: sizes round up to their class, freed blocks are
// reused, and odd or huge sizes bypass the pool.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "agent/arena.hpp"
#include "agent/block_pool.hpp"

namespace sluice::SLUICE_UNITY_ID {

TEST_CASE("block pool rounds sizes up to a power of two and reuses freed blocks", "[block_pool]") {
  size_t size = 5000;
  void* a = block_pool::acquire(size);
  if (!block_pool::pooling()) {
    CHECK(size == 5000);  // under ASan every block is a plain allocation
    block_pool::release(a, size);
    return;
  }
  CHECK(size == 8192);
  std::memset(a, 0xab, size);  // the whole rounded block is usable
  size_t before = block_pool::cached_bytes();
  block_pool::release(a, size);
  CHECK(block_pool::cached_bytes() == before + 8192);
  size_t again = 6000;
  void* b = block_pool::acquire(again);
  CHECK(again == 8192);
  CHECK(b == a);  // the freed block came back
  CHECK(block_pool::cached_bytes() == before);
  block_pool::release(b, again);
}

TEST_CASE("block pool leaves blocks above 1 MiB to the heap", "[block_pool]") {
  size_t size = (1u << 20) + 1;
  void* p = block_pool::acquire(size);
  CHECK(size == (1u << 20) + 1);
  std::memset(p, 0, size);
  size_t before = block_pool::cached_bytes();
  block_pool::release(p, size);
  CHECK(block_pool::cached_bytes() == before);
}

TEST_CASE("an arena built on pooled blocks keeps every allocation intact", "[block_pool]") {
  Arena arena(3000);
  std::vector<std::string_view> copies;
  for (int i = 0; i < 2000; ++i) copies.push_back(arena.copy(std::string(100 + i % 50, static_cast<char>('a' + i % 26))));
  for (int i = 0; i < 2000; ++i) {
    REQUIRE(copies[i].size() == static_cast<size_t>(100 + i % 50));
    REQUIRE(copies[i].find_first_not_of(static_cast<char>('a' + i % 26)) == std::string_view::npos);
  }
  CHECK(arena.reserved() >= 2000 * 100);
}

}  // namespace sluice::SLUICE_UNITY_ID
