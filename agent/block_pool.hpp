// Where arena blocks come from: blocks of 4 KiB to 1 MiB, rounded up to a
// power of two, are mapped straight from the kernel and recycled through
// per-size free lists,
// so chunk memory never interleaves with the small, long-lived allocations
// of the glibc heap (held acknowledgements, index entries). Without this, a
// pipeline that holds acks for long (the Lua aggregator's ack_hold) pinned
// freed chunk blocks behind them and tripled its resident memory.
#pragma once
#include <cstddef>

namespace sluice::block_pool {

// Any thread. Rounds size up to the block's real size (a power of two up to
// 1 MiB; larger sizes are not pooled and use operator new as they are).
// Pages of a fresh block the caller never touches cost no memory.
void* acquire(size_t& size);
// Any thread; size must be the size acquire() returned.
void release(void* block, size_t size);

// Bytes of free blocks kept for reuse (metrics, tests).
size_t cached_bytes();

// False in AddressSanitizer builds (g++ or clang): there every block is a
// plain allocation, so ASan sees each one.
bool pooling();

}  // namespace sluice::block_pool
