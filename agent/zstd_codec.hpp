// Zstandard (RFC 8878) for OTLP: bodies and gRPC messages a Collector or
// SDK sends with zstd (the opentelemetry and http inputs), and the
// opentelemetry output's `compress: zstd`. libzstd, linked from its .a.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "agent/zlib_codec.hpp"

namespace sluice::zstd {

// Level 1 (libzstd's fastest positive level): sluice compresses on the hot
// path, as with gzip's kFastest.
constexpr int kFastest = 1;

std::string compress(std::string_view data, int level = kFastest);

// Decompresses in (one or more frames) into out (replaced), at most
// max_size bytes: a small body must not expand without bound. Empty input is
// corrupt. Errors as zlib's (too_large, or where and why it is corrupt).
std::optional<zlib::InflateError> decompress(std::string_view in, size_t max_size, std::string& out);

}  // namespace sluice::zstd
