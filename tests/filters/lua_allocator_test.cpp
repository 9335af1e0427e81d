// The Lua state's allocator (filters/lua/lua_allocator.hpp): blocks keep
// their bytes through resizes across the small/large boundary, empty slabs
// go back to malloc, and a Lua state runs on it through heavy garbage.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <string>
#include <random>
#include <vector>

#include <luajit-2.1/lua.hpp>

#include "filters/lua/lua_allocator.hpp"

namespace SLUICE_UNITY_ID {

using sluice::lua::SlabAllocator;

namespace {

struct Block {
  unsigned char* p;
  size_t size;
  unsigned char fill;
};

void fill(Block& b) { std::memset(b.p, b.fill, b.size); }

bool intact(const Block& b, size_t upto) {
  for (size_t i = 0; i < std::min(upto, b.size); ++i)
    if (b.p[i] != b.fill) return false;
  return true;
}

}  // namespace

TEST_CASE("slab allocator: random allocations, resizes and frees keep every block's bytes", "[lua][allocator]") {
  SlabAllocator a;
  std::mt19937 rng(7);
  std::vector<Block> live;
  for (int step = 0; step < 200000; ++step) {
    int op = static_cast<int>(rng() % 10);
    if (op < 5 || live.empty()) {
      size_t size = rng() % 4 == 0 ? 1 + rng() % 3000 : 1 + rng() % 520;
      Block b{static_cast<unsigned char*>(SlabAllocator::lua_alloc(&a, nullptr, 0, size)), size,
              static_cast<unsigned char>(rng())};
      REQUIRE(b.p != nullptr);
      REQUIRE(reinterpret_cast<uintptr_t>(b.p) % 16 == 0);
      fill(b);
      live.push_back(b);
    } else if (op < 7) {
      Block& b = live[rng() % live.size()];
      size_t size = rng() % 3 == 0 ? 1 + rng() % 3000 : 1 + rng() % 520;
      auto* q = static_cast<unsigned char*>(SlabAllocator::lua_alloc(&a, b.p, b.size, size));
      REQUIRE(q != nullptr);
      size_t old = b.size;
      b.p = q;
      b.size = size;
      REQUIRE(intact(b, old));
      b.fill = static_cast<unsigned char>(b.fill + 1);
      fill(b);
    } else {
      size_t i = rng() % live.size();
      REQUIRE(intact(live[i], live[i].size));
      REQUIRE(SlabAllocator::lua_alloc(&a, live[i].p, live[i].size, 0) == nullptr);
      live[i] = live.back();
      live.pop_back();
    }
  }
  for (const Block& b : live) REQUIRE(intact(b, b.size));
  // Free in a shuffled order: the slab set loses entries out of order.
  std::shuffle(live.begin(), live.end(), rng);
  for (const Block& b : live) SlabAllocator::lua_alloc(&a, b.p, b.size, 0);
  CHECK(a.small_bytes_in_use() == 0);
  // At most one empty slab per size class stays in its class, and at most
  // kSpareSlabs more as spares.
  CHECK(a.slabs() - a.spare_slabs() <= SlabAllocator::kClasses);
  CHECK(a.spare_slabs() <= SlabAllocator::kSpareSlabs);
}

TEST_CASE("slab allocator: a burst's slabs go back when it is freed", "[lua][allocator]") {
  SlabAllocator a;
  std::vector<void*> blocks;
  for (int i = 0; i < 100000; ++i) blocks.push_back(a.allocate(64));  // ~100 slabs: the set grows
  CHECK(a.slabs() > 90);
  for (size_t i = 0; i < blocks.size(); i += 2) a.release(blocks[i]);
  for (size_t i = 1; i < blocks.size(); i += 2) a.release(blocks[i]);
  // One slab stays with its class, kSpareSlabs stay as spares, the rest are gone.
  CHECK(a.slabs() == 1 + SlabAllocator::kSpareSlabs);
  CHECK(a.spare_slabs() == SlabAllocator::kSpareSlabs);
  CHECK(a.small_bytes_in_use() == 0);
  // Released blocks are handed out again.
  void* again = a.allocate(60);
  CHECK(a.slabs() == 1 + SlabAllocator::kSpareSlabs);
  a.release(again);
}

TEST_CASE("slab allocator: spare slabs serve the next burst, of any size class", "[lua][allocator]") {
  SlabAllocator a;
  std::vector<void*> blocks;
  for (int i = 0; i < 20000; ++i) blocks.push_back(a.allocate(64));  // ~20 slabs of one class
  size_t held = a.slabs();
  REQUIRE(held > 15);
  REQUIRE(held < SlabAllocator::kSpareSlabs);
  for (void* p : blocks) a.release(p);
  CHECK(a.spare_slabs() == held - 1);
  CHECK(a.slabs() == held);
  // Another class's burst of the same bytes takes the spares: no new slab.
  blocks.clear();
  for (int i = 0; i < 10000; ++i) blocks.push_back(a.allocate(128));
  CHECK(a.slabs() <= held + 1);
  CHECK(a.spare_slabs() < held / 2);
  // Blocks from a reused slab are its class's size and don't overlap.
  std::vector<char*> sorted;
  for (void* p : blocks) sorted.push_back(static_cast<char*>(p));
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 1; i < sorted.size(); ++i) REQUIRE(sorted[i] - sorted[i - 1] >= 128);
  for (void* p : blocks) a.release(p);
  CHECK(a.small_bytes_in_use() == 0);
}

TEST_CASE("slab allocator: a Lua state runs on it", "[lua][allocator]") {
  SlabAllocator a;
  lua_State* L = lua_newstate(&SlabAllocator::lua_alloc, &a);
  if (L == nullptr) {
    WARN("this LuaJIT refuses custom allocators (built without GC64): LuaState keeps LuaJIT's own");
    return;
  }
  luaL_openlibs(L);
  const char* script = R"(
    local keep = {}
    for i = 1, 200000 do
      local t = {ts = tostring(i), n = i, msg = "line " .. i}
      if i % 1000 == 0 then keep[#keep + 1] = t end
    end
    collectgarbage()
    local sum = 0
    for _, t in ipairs(keep) do sum = sum + t.n + #t.msg end
    return sum
  )";
  REQUIRE(luaL_dostring(L, script) == 0);
  long expected = 0;
  for (int i = 1000; i <= 200000; i += 1000) expected += i + static_cast<long>(std::to_string(i).size()) + 5;
  CHECK(lua_tointeger(L, -1) == expected);
  lua_close(L);
  CHECK(a.small_bytes_in_use() == 0);
}

}  // namespace SLUICE_UNITY_ID
