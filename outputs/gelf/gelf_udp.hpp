// GELF over UDP: compression and chunking (pure, tested byte by byte); the
// sending transport is made by make_udp_transport (gelf_transport.hpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "outputs/gelf/gelf_settings.hpp"

namespace sluice::gelf {

// Chunked GELF: magic 0x1e 0x0f, 8-byte message id, sequence number, count.
constexpr size_t kChunkHeaderSize = 12;
// Graylog discards messages of more chunks than this.
constexpr size_t kMaxChunks = 128;

// Replaces out with data compressed as gzip (RFC 1952) or zlib (RFC 1950),
// or a copy of data for Compression::None. Graylog tells them apart by the
// first bytes (1f 8b, 78).
void compress(std::string_view data, Compression c, std::string& out);

// Datagrams needed for a payload of `size` bytes with datagrams of at most
// packet_size bytes: 1 if it fits whole (no chunk header), else the chunk
// count; 0 if that is more than kMaxChunks.
size_t datagram_count(size_t size, size_t packet_size);

// The largest payload that can be sent at all with this packet_size.
size_t max_payload(size_t packet_size);

// Replaces out with chunk `seq` of `count` of payload: header (message id
// in network byte order) and the seq-th slice of packet_size - 12 bytes.
void make_chunk(std::string_view payload, size_t packet_size, uint64_t message_id, size_t seq, size_t count,
                std::string& out);

}  // namespace sluice::gelf
