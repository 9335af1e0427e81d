// Bump allocator that owns the memory of one chunk: records, strings and
// read buffers live here and are freed together when the chunk is destroyed.
#pragma once
#include <cstddef>
#include <cstring>
#include <new>
#include <string_view>

#include "agent/block_pool.hpp"

namespace sluice {

// Not thread-safe: a chunk (and so its arena) is written by one stage at a time.
class Arena {
 public:
  explicit Arena(size_t first_block = 4096) : next_block_size_(first_block) {}
  ~Arena() { release(); }
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  Arena(Arena&& other) noexcept { *this = std::move(other); }
  Arena& operator=(Arena&& other) noexcept {
    if (this != &other) {
      release();
      head_ = other.head_; cur_ = other.cur_; end_ = other.end_;
      reserved_ = other.reserved_; next_block_size_ = other.next_block_size_;
      other.head_ = nullptr; other.cur_ = other.end_ = nullptr; other.reserved_ = 0;
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

  // Bytes reserved from the heap (what memory accounting charges).
  size_t reserved() const { return reserved_; }

 private:
  struct Block {
    Block* next;
    size_t size;
  };

  void grow(size_t at_least) {
    size_t size = next_block_size_;
    while (size < at_least + sizeof(Block)) size *= 2;
    if (next_block_size_ < kMaxBlock) next_block_size_ *= 2;
    auto* block = static_cast<Block*>(block_pool::acquire(size));  // may round size up
    block->next = head_;
    block->size = size;
    head_ = block;
    cur_ = reinterpret_cast<char*>(block + 1);
    end_ = reinterpret_cast<char*>(block) + size;
    reserved_ += size;
  }

  void release() {
    while (head_ != nullptr) {
      Block* next = head_->next;
      block_pool::release(head_, head_->size);
      head_ = next;
    }
    cur_ = end_ = nullptr;
    reserved_ = 0;
  }

  static constexpr size_t kMaxBlock = 256 * 1024;
  Block* head_ = nullptr;
  char* cur_ = nullptr;
  char* end_ = nullptr;
  size_t reserved_ = 0;
  size_t next_block_size_;
};

}  // namespace sluice
