// The memory allocator of a filter's Lua state: small blocks from slabs of
// one size each, large ones from malloc.
//
// Why: a Lua filter makes a table and a string or two for every record and
// frees them a few milliseconds later, when the collector sweeps. LuaJIT's
// built-in allocator (a dlmalloc) spends most of that time coalescing freed
// blocks with their neighbours; here a freed block goes onto its slab's list
// and the next block of that size comes back from it, a few instructions
// each. Empty slabs are kept as spares, up to kSpareSlabs, for the next
// class that needs one; past that they go back to malloc, so a burst's
// memory is not kept. (A slab is an aligned 64 KB block, which glibc maps
// and unmaps on its own each time: the collector empties and refills a few
// slabs every cycle, and without spares that was a mmap, page faults and a
// munmap with a TLB shootdown each: 8% of the trace aggregator pipeline's CPU.)
//
// Blocks are found by address, not by the size LuaJIT passes with them: the
// slab a block belongs to (if any) is looked up in a set of slab addresses,
// so a size that differs from the allocation's can never put a block on the
// wrong list. One allocator per lua_State; not thread-safe (neither is the
// state).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace sluice::lua {

class SlabAllocator {
 public:
  static constexpr size_t kSlabBytes = 64 * 1024;  // slabs are aligned to this, so a block finds its slab by masking
  static constexpr size_t kGranule = 16;
  static constexpr size_t kMaxSmall = 512;  // larger blocks come from malloc
  static constexpr size_t kClasses = kMaxSmall / kGranule + 1;  // class c holds blocks of c * kGranule bytes (0 unused)
  static constexpr size_t kSpareSlabs = 32;  // empty slabs kept for reuse (2 MB at most)

  SlabAllocator() = default;
  ~SlabAllocator();
  SlabAllocator(const SlabAllocator&) = delete;
  SlabAllocator& operator=(const SlabAllocator&) = delete;

  // The lua_Alloc contract: nsize 0 frees (returns null); ptr null allocates;
  // otherwise resizes, returning null (ptr untouched) when memory is out.
  static void* lua_alloc(void* self, void* ptr, size_t osize, size_t nsize);

  void* allocate(size_t size);
  void release(void* ptr);
  void* resize(void* ptr, size_t old_size, size_t size);

  // For tests and the benchmark's notes: slabs held (spares included),
  // spares alone, and bytes in use in the slabs.
  size_t slabs() const { return slab_count_; }
  size_t spare_slabs() const { return spare_count_; }
  size_t small_bytes_in_use() const { return small_in_use_; }

 private:
  struct Slab;
  struct SizeClass {
    Slab* available = nullptr;  // slabs with a free block, most recently used first
    size_t slabs = 0;
  };

  static size_t class_of(size_t size) { return (size + kGranule - 1) / kGranule; }
  void* allocate_block(size_t size);  // allocate() and release(), inlined into lua_alloc
  void release_block(void* ptr);
  Slab* slab_of(void* ptr) const;  // null for a block from malloc
  Slab* new_slab(size_t cls);
  void drop_slab(Slab* slab);
  void unlink_available(Slab* slab);
  void push_available(Slab* slab);

  // The slab set: open addressing on the slab's address, linear probing,
  // deletion by backward shift. Capacity a power of two, at most half full.
  void set_insert(uintptr_t base);
  void set_erase(uintptr_t base);
  bool set_contains(uintptr_t base) const;
  void set_grow();

  SizeClass classes_[kClasses];
  std::vector<uintptr_t> set_ = std::vector<uintptr_t>(64, 0);
  size_t slab_count_ = 0;
  Slab* spare_ = nullptr;  // empty slabs, linked through next; still in the set
  size_t spare_count_ = 0;
  size_t small_in_use_ = 0;
};

}  // namespace sluice::lua
