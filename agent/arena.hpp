// Bump allocator that owns the memory of one chunk: records, strings and
// read buffers live here and are freed together when the chunk is destroyed.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string_view>

#include "agent/block_pool.hpp"

namespace sluice {

// Not thread-safe: a chunk (and so its arena) is written by one stage at a time.
class Arena {
 public:
  explicit Arena(size_t first_block = 4096) : id_(new_id()), next_block_size_(first_block) {}
  ~Arena() { release(); }
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  Arena(Arena&& other) noexcept : id_(new_id()) { *this = std::move(other); }
  Arena& operator=(Arena&& other) noexcept {
    if (this != &other) {
      release();
      head_ = other.head_; cur_ = other.cur_; end_ = other.end_;
      reserved_ = other.reserved_; abandoned_ = other.abandoned_; next_block_size_ = other.next_block_size_;
      id_ = other.id_;  // the memory moved here, and with it what points into it
      other.head_ = nullptr; other.cur_ = other.end_ = nullptr; other.reserved_ = other.abandoned_ = 0;
      other.id_ = new_id();
    }
    return *this;
  }

  void* allocate(size_t n, size_t align = alignof(std::max_align_t)) {
    auto p = reinterpret_cast<uintptr_t>(cur_);
    uintptr_t aligned = (p + align - 1) & ~(uintptr_t(align) - 1);
    if (cur_ == nullptr || aligned + n > reinterpret_cast<uintptr_t>(end_)) {
      grow(n + align);
      p = reinterpret_cast<uintptr_t>(cur_);
      aligned = (p + align - 1) & ~(uintptr_t(align) - 1);
    }
    cur_ = reinterpret_cast<char*>(aligned + n);
    return reinterpret_cast<void*>(aligned);
  }

  template <class T>
  T* allocate_array(size_t n) {
    return static_cast<T*>(allocate(n * sizeof(T) + (n == 0), alignof(T)));
  }

  // Copies s into the arena; the view stays valid for the arena's lifetime.
  std::string_view copy(std::string_view s) {
    if (s.empty()) return {};
    char* p = static_cast<char*>(allocate(s.size(), 1));
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }

  // Growth stops at this block size (a first block may be larger), so the
  // room left unused in a chunk's last block (charged, never used) stays
  // small beside what a busy chunk holds: a few hundred KiB.
  static constexpr size_t kMaxBlock = 16 * 1024;

  // Bytes reserved from the heap (what memory accounting charges).
  size_t reserved() const { return reserved_; }
  // Bytes handed out so far (with alignment padding), live or not: reserved()
  // less block headers, the ends of full blocks and the room left in the last.
  size_t used() const { return reserved_ - abandoned_ - static_cast<size_t>(end_ - cur_); }
  // Room left in the current block.
  size_t available() const { return static_cast<size_t>(end_ - cur_); }

  // Starts a new block with room for exactly `bytes` (rounded up to 16), for
  // a caller that knows what it will allocate next (compacting a chunk):
  // below a page it comes from the heap as it is, else from the block pool,
  // rounded up to a power of two there.
  void start_block(size_t bytes) {
    bytes = (bytes + 15) & ~size_t{15};
    size_t size = bytes + sizeof(Block);
    void* p = size < kPage ? ::operator new(size) : block_pool::acquire(size);
    add_block(p, size);
  }

  // Differs between any two arenas alive at the same time, and never comes
  // back: a cache of views into an arena (parsed keys) checks it is still
  // the same arena, not a new one at the same address.
  uint64_t id() const { return id_; }

 private:
  struct Block {
    Block* next;
    size_t size;
  };

  void grow(size_t at_least) {
    size_t size = next_block_size_;
    while (size < at_least + sizeof(Block)) size *= 2;
    if (next_block_size_ < kMaxBlock) next_block_size_ *= 2;
    void* p = block_pool::acquire(size);  // may round size up
    add_block(p, size);
  }

  void add_block(void* p, size_t size) {
    abandoned_ += static_cast<size_t>(end_ - cur_) + sizeof(Block);
    auto* block = static_cast<Block*>(p);
    block->next = head_;
    block->size = size;
    head_ = block;
    cur_ = reinterpret_cast<char*>(block + 1);
    end_ = reinterpret_cast<char*>(block) + size;
    reserved_ += size;
  }

  static uint64_t new_id() {
    static std::atomic<uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
  }

  void release() {
    while (head_ != nullptr) {
      Block* next = head_->next;
      block_pool::release(head_, head_->size);
      head_ = next;
    }
    cur_ = end_ = nullptr;
    reserved_ = abandoned_ = 0;
  }

  static constexpr size_t kPage = 4096;
  Block* head_ = nullptr;
  char* cur_ = nullptr;
  char* end_ = nullptr;
  size_t reserved_ = 0;
  size_t abandoned_ = 0;  // block headers and the unused ends of full blocks
  uint64_t id_;
  size_t next_block_size_;
};

}  // namespace sluice
