// CRC32C (Castagnoli), the checksum of the filesystem buffer's frames: the
// SSE4.2 instruction where the CPU has it, a table otherwise.
#pragma once
#include <cstddef>
#include <cstdint>

namespace sluice::storage {

// CRC32C of data, continuing from crc (0 to start).
uint32_t crc32c(const void* data, size_t n, uint32_t crc = 0);

}  // namespace sluice::storage
