// DEFLATE in its three wrappers (gzip, zlib, raw), for everything that
// compresses or decompresses: HTTP request bodies (gzip), GELF datagrams
// (gzip or zlib), compressed answers, and the http input's gzip/deflate
// bodies. Compression goes through libdeflate: it compresses whole buffers,
// which is all sluice has, nearly twice as fast as zlib's level 1 and
// tighter (bench/README.md). Inflation goes through zlib's streaming API,
// which can stop at a size limit and read several gzip members.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::zlib {

// The framing around the deflate data.
enum class Wrapper {
  Gzip,  // RFC 1952 header and CRC trailer
  Zlib,  // RFC 1950 header and Adler-32 trailer
  Raw,   // bare RFC 1951 data, no header
  Auto,  // inflate only: a gzip or zlib header, detected
};

// libdeflate's levels run from 0 (stored) to 12. Level 1 is the fastest; on
// this project's JSON logs it compresses 9.2:1 at 380 MB/s a core, where
// zlib's level 1 gave 7.9:1 at 215 MB/s and its default level 6 9.8:1 at 97.
constexpr int kFastest = 1;
constexpr int kDefaultLevel = 6;

// Compresses data at level 0-12 with wrapper Gzip, Zlib or Raw (Auto means
// Gzip here) into out (replaced).
void compress(std::string_view data, Wrapper wrapper, int level, std::string& out);
std::string compress(std::string_view data, Wrapper wrapper, int level);

struct InflateError {
  bool too_large = false;  // the output passed max_size; otherwise corrupt
  size_t at = 0;           // compressed bytes read when it went wrong
  std::string why;         // "the compressed data ends early", zlib's message, ...
};

// Inflates in into out (replaced), at most max_size bytes of output: a small
// compressed body must not expand without bound. Gzip or Auto also reads
// several gzip members one after the other (RFC 1952 allows it). Empty input
// is corrupt.
std::optional<InflateError> inflate(std::string_view in, Wrapper wrapper, size_t max_size, std::string& out);

}  // namespace sluice::zlib
