// SlabAllocator; see lua_allocator.hpp.
#include "filters/lua/lua_allocator.hpp"

#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace sluice::lua {

// At the start of every slab; its blocks follow.
struct SlabAllocator::Slab {
  Slab* prev;
  Slab* next;
  void* free;      // freed blocks, each holding the next's address
  char* bump;      // blocks never handed out start here
  char* end;
  uint32_t cls;
  uint32_t live;   // blocks handed out and not freed
  bool available;  // on its class's list (it has a free block)
};

namespace {

constexpr size_t kHeader = 64;  // room for the Slab header; a multiple of kGranule, so blocks stay aligned

size_t slot_of(uintptr_t base, size_t mask) {
  return static_cast<size_t>(((base >> 16) * 0x9E3779B97F4A7C15ull) >> 20) & mask;
}

}  // namespace

SlabAllocator::~SlabAllocator() {
  for (uintptr_t base : set_) {
    if (base != 0) std::free(reinterpret_cast<void*>(base));
  }
}

inline void* SlabAllocator::allocate_block(size_t size) {
  if (size > kMaxSmall) return std::malloc(size);
  size_t cls = std::max<size_t>(1, class_of(size));
  size_t block = cls * kGranule;
  Slab* slab = classes_[cls].available;
  if (slab == nullptr) {
    slab = new_slab(cls);
    if (slab == nullptr) return nullptr;
  }
  void* p;
  if (slab->free != nullptr) {
    p = slab->free;
    slab->free = *static_cast<void**>(p);
    // The list's blocks were freed by a sweep long ago and are cold: fetch
    // the next one now so the next allocation doesn't wait for it.
    __builtin_prefetch(slab->free, 1);
  } else {
    p = slab->bump;
    slab->bump += block;
  }
  ++slab->live;
  small_in_use_ += block;
  if (slab->free == nullptr && slab->bump + block > slab->end) unlink_available(slab);
  return p;
}

inline void SlabAllocator::release_block(void* ptr) {
  if (ptr == nullptr) return;
  Slab* slab = slab_of(ptr);
  if (slab == nullptr) {
    std::free(ptr);
    return;
  }
  *static_cast<void**>(ptr) = slab->free;
  slab->free = ptr;
  --slab->live;
  small_in_use_ -= slab->cls * kGranule;
  if (!slab->available) push_available(slab);
  // An empty slab goes back to malloc unless it is its class's last: a
  // class in steady use keeps one, so alloc/free at a slab's edge doesn't
  // map and unmap a slab each time.
  if (slab->live == 0 && classes_[slab->cls].slabs > 1) drop_slab(slab);
}

void* SlabAllocator::resize(void* ptr, size_t old_size, size_t size) {
  Slab* slab = slab_of(ptr);
  size_t held;  // bytes of ptr that may hold data
  if (slab != nullptr) {
    if (size <= kMaxSmall && std::max<size_t>(1, class_of(size)) == slab->cls) return ptr;
    held = slab->cls * kGranule;
  } else {
    if (size > kMaxSmall) return std::realloc(ptr, size);  // null leaves ptr as it was
    held = std::min(old_size, malloc_usable_size(ptr));
  }
  void* q = allocate_block(size);
  if (q == nullptr) return nullptr;
  std::memcpy(q, ptr, std::min(held, size));
  release_block(ptr);
  return q;
}

inline SlabAllocator::Slab* SlabAllocator::slab_of(void* ptr) const {
  uintptr_t base = reinterpret_cast<uintptr_t>(ptr) & ~(uintptr_t{kSlabBytes} - 1);
  return set_contains(base) ? reinterpret_cast<Slab*>(base) : nullptr;
}

SlabAllocator::Slab* SlabAllocator::new_slab(size_t cls) {
  static_assert(sizeof(Slab) <= kHeader && kHeader % kGranule == 0);
  Slab* slab = spare_;
  if (slab != nullptr) {
    spare_ = slab->next;
    --spare_count_;
  } else {
    void* mem = std::aligned_alloc(kSlabBytes, kSlabBytes);
    if (mem == nullptr) return nullptr;
    slab = static_cast<Slab*>(mem);
    set_insert(reinterpret_cast<uintptr_t>(mem));
    ++slab_count_;
  }
  char* start = reinterpret_cast<char*>(slab);
  slab->prev = slab->next = nullptr;
  slab->free = nullptr;
  slab->bump = start + kHeader;
  slab->end = start + kSlabBytes;
  slab->cls = static_cast<uint32_t>(cls);
  slab->live = 0;
  slab->available = false;
  ++classes_[cls].slabs;
  push_available(slab);
  return slab;
}

void SlabAllocator::drop_slab(Slab* slab) {
  if (slab->available) unlink_available(slab);
  --classes_[slab->cls].slabs;
  // No block of a spare is handed out, so no pointer LuaJIT passes can
  // point into one: it can stay in the set.
  if (spare_count_ < kSpareSlabs) {
    slab->next = spare_;
    spare_ = slab;
    ++spare_count_;
    return;
  }
  --slab_count_;
  set_erase(reinterpret_cast<uintptr_t>(slab));
  std::free(slab);
}

void SlabAllocator::push_available(Slab* slab) {
  SizeClass& c = classes_[slab->cls];
  slab->prev = nullptr;
  slab->next = c.available;
  if (c.available != nullptr) c.available->prev = slab;
  c.available = slab;
  slab->available = true;
}

void SlabAllocator::unlink_available(Slab* slab) {
  SizeClass& c = classes_[slab->cls];
  if (slab->prev != nullptr) slab->prev->next = slab->next;
  else c.available = slab->next;
  if (slab->next != nullptr) slab->next->prev = slab->prev;
  slab->prev = slab->next = nullptr;
  slab->available = false;
}

inline bool SlabAllocator::set_contains(uintptr_t base) const {
  size_t mask = set_.size() - 1;
  for (size_t i = slot_of(base, mask);; i = (i + 1) & mask) {
    if (set_[i] == base) return true;
    if (set_[i] == 0) return false;
  }
}

void SlabAllocator::set_insert(uintptr_t base) {
  if ((slab_count_ + 1) * 2 > set_.size()) set_grow();
  size_t mask = set_.size() - 1;
  size_t i = slot_of(base, mask);
  while (set_[i] != 0) i = (i + 1) & mask;
  set_[i] = base;
}

void SlabAllocator::set_erase(uintptr_t base) {
  size_t mask = set_.size() - 1;
  size_t i = slot_of(base, mask);
  while (set_[i] != base) i = (i + 1) & mask;
  // Backward shift: move later entries of the probe run into the hole when
  // their home slot is at or before it, so lookups never stop early.
  size_t hole = i;
  for (size_t j = (hole + 1) & mask; set_[j] != 0; j = (j + 1) & mask) {
    size_t home = slot_of(set_[j], mask);
    bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
    if (movable) {
      set_[hole] = set_[j];
      hole = j;
    }
  }
  set_[hole] = 0;
}

void SlabAllocator::set_grow() {
  std::vector<uintptr_t> old(set_.size() * 2, 0);
  old.swap(set_);
  size_t mask = set_.size() - 1;
  for (uintptr_t base : old) {
    if (base == 0) continue;
    size_t i = slot_of(base, mask);
    while (set_[i] != 0) i = (i + 1) & mask;
    set_[i] = base;
  }
}

void* SlabAllocator::lua_alloc(void* self, void* ptr, size_t osize, size_t nsize) {
  auto* a = static_cast<SlabAllocator*>(self);
  if (nsize == 0) {
    a->release_block(ptr);
    return nullptr;
  }
  if (ptr == nullptr) return a->allocate_block(nsize);
  return a->resize(ptr, osize, nsize);
}

void* SlabAllocator::allocate(size_t size) { return allocate_block(size); }
void SlabAllocator::release(void* ptr) { release_block(ptr); }

}  // namespace sluice::lua
