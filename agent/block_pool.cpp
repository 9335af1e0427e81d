// Arena block recycling; see block_pool.hpp.
#include "agent/block_pool.hpp"

#include <sys/mman.h>

#include <array>
#include <atomic>
#include <mutex>
#include <new>
#include <vector>

namespace sluice::block_pool {

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kPooling = false;  // let AddressSanitizer see every block
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kPooling = false;
#else
constexpr bool kPooling = true;
#endif
#else
constexpr bool kPooling = true;
#endif

constexpr size_t kMinShift = 12;  // 4 KiB
constexpr size_t kMaxShift = 20;  // 1 MiB
constexpr size_t kClasses = kMaxShift - kMinShift + 1;
// Free blocks kept beyond this go back to the kernel. Enough for the steady
// state of a busy pipeline (a few chunks in every stage) without holding on
// to a burst's worth of memory forever.
constexpr size_t kMaxCachedBytes = 8u << 20;

struct FreeList {
  std::mutex mu;
  std::vector<void*> blocks;
};

std::array<FreeList, kClasses>& lists() {
  static std::array<FreeList, kClasses> l;
  return l;
}
std::atomic<size_t> g_cached{0};

// The class a size rounds up to, or -1 when it is not pooled.
int class_of(size_t size) {
  if (!kPooling) return -1;
  for (size_t s = kMinShift; s <= kMaxShift; ++s)
    if (size <= (size_t{1} << s)) return static_cast<int>(s - kMinShift);
  return -1;
}

}  // namespace

void* acquire(size_t& size) {
  int c = class_of(size);
  if (c < 0) return ::operator new(size);
  size = size_t{1} << (c + kMinShift);
  FreeList& fl = lists()[c];
  {
    std::lock_guard lock(fl.mu);
    if (!fl.blocks.empty()) {
      void* b = fl.blocks.back();
      fl.blocks.pop_back();
      g_cached.fetch_sub(size, std::memory_order_relaxed);
      return b;
    }
  }
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return p;
}

void release(void* block, size_t size) {
  int c = class_of(size);
  if (c < 0 || size != (size_t{1} << (c + kMinShift))) {
    ::operator delete(block);
    return;
  }
  if (g_cached.load(std::memory_order_relaxed) + size <= kMaxCachedBytes) {
    FreeList& fl = lists()[c];
    std::lock_guard lock(fl.mu);
    fl.blocks.push_back(block);
    g_cached.fetch_add(size, std::memory_order_relaxed);
    return;
  }
  ::munmap(block, size);
}

bool pooling() { return kPooling; }

size_t cached_bytes() { return g_cached.load(std::memory_order_relaxed); }

}  // namespace sluice::block_pool
