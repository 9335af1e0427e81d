// deflate and inflate through zlib, for everything that compresses or
// decompresses: HTTP request bodies (gzip), GELF datagrams (gzip or zlib),
// compressed answers, and the http input's gzip/deflate bodies.
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

// 1 is zlib's fastest level: on JSON log lines it compresses 10:1 where the
// default level 6 gives 12.4:1, for half the CPU (see bench/README.md).
constexpr int kFastest = 1;
constexpr int kDefaultLevel = -1;  // Z_DEFAULT_COMPRESSION (6)

// Compresses data (any size) at level 0-9 or kDefaultLevel, with wrapper
// Gzip, Zlib or Raw, into out (replaced).
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
