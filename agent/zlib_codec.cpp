// libdeflate (compress) and zlib's streaming API (inflate) behind zlib_codec.hpp.
#include "agent/zlib_codec.hpp"

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <climits>
#include <new>
#include <stdexcept>

namespace sluice::zlib {

namespace {

// zlib counts in uInt; feed it at most this much per call.
constexpr size_t kMaxStep = UINT_MAX / 2;

int window_bits(Wrapper w) {
  switch (w) {
    case Wrapper::Gzip: return 15 + 16;
    case Wrapper::Zlib: return 15;
    case Wrapper::Raw: return -15;
    case Wrapper::Auto: break;
  }
  return 15 + 32;
}

struct Inflater {
  z_stream zs{};
  bool live = false;
  ~Inflater() {
    if (live) inflateEnd(&zs);
  }
};

}  // namespace

void compress(std::string_view data, Wrapper wrapper, int level, std::string& out) {
  // A compressor holds a few hundred KiB of tables: keep one per level and
  // thread (outputs compress on their own threads) instead of one per batch.
  struct Compressors {
    std::array<libdeflate_compressor*, 13> by_level{};
    ~Compressors() {
      for (auto* c : by_level)
        if (c != nullptr) libdeflate_free_compressor(c);
    }
  };
  thread_local Compressors cache;
  level = std::clamp(level, 0, 12);
  libdeflate_compressor*& c = cache.by_level[static_cast<size_t>(level)];
  if (c == nullptr && (c = libdeflate_alloc_compressor(level)) == nullptr) throw std::bad_alloc();
  size_t written = 0;
  switch (wrapper) {
    case Wrapper::Zlib:
      out.resize(libdeflate_zlib_compress_bound(c, data.size()));
      written = libdeflate_zlib_compress(c, data.data(), data.size(), out.data(), out.size());
      break;
    case Wrapper::Raw:
      out.resize(libdeflate_deflate_compress_bound(c, data.size()));
      written = libdeflate_deflate_compress(c, data.data(), data.size(), out.data(), out.size());
      break;
    case Wrapper::Gzip:
    case Wrapper::Auto:
      out.resize(libdeflate_gzip_compress_bound(c, data.size()));
      written = libdeflate_gzip_compress(c, data.data(), data.size(), out.data(), out.size());
      break;
  }
  // With a buffer of the bound's size compression always fits.
  if (written == 0) throw std::logic_error("libdeflate: output larger than its own bound");
  out.resize(written);
}

std::string compress(std::string_view data, Wrapper wrapper, int level) {
  std::string out;
  compress(data, wrapper, level, out);
  return out;
}

std::optional<InflateError> inflate(std::string_view in, Wrapper wrapper, size_t max_size, std::string& out) {
  out.clear();
  if (in.empty()) return InflateError{false, 0, "empty body"};
  Inflater z;
  if (inflateInit2(&z.zs, window_bits(wrapper)) != Z_OK) return InflateError{false, 0, "zlib could not start"};
  z.live = true;
  z.zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  size_t in_left = in.size();
  out.resize(std::min(max_size + 1, std::max<size_t>(in.size() * 4, 4096)));
  size_t produced = 0;
  bool members = wrapper == Wrapper::Gzip || wrapper == Wrapper::Auto;
  for (;;) {
    if (z.zs.avail_in == 0 && in_left > 0) {
      z.zs.avail_in = static_cast<uInt>(std::min(in_left, kMaxStep));
      in_left -= z.zs.avail_in;
    }
    if (produced == out.size()) {
      if (out.size() > max_size) return InflateError{true, in.size() - in_left - z.zs.avail_in, "output too large"};
      out.resize(std::min(out.size() * 2, max_size + 1));
    }
    z.zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    z.zs.avail_out = static_cast<uInt>(std::min(out.size() - produced, kMaxStep));
    uInt before = z.zs.avail_out;
    int rc = ::inflate(&z.zs, Z_NO_FLUSH);
    produced += before - z.zs.avail_out;
    size_t consumed = in.size() - in_left - z.zs.avail_in;
    if (rc == Z_STREAM_END) {
      if (consumed == in.size()) break;
      if (!members) return InflateError{false, consumed, "data after the end of the compressed stream"};
      inflateReset(&z.zs);
      continue;
    }
    if (rc == Z_OK || (rc == Z_BUF_ERROR && z.zs.avail_out == 0)) continue;
    if (rc == Z_BUF_ERROR) return InflateError{false, consumed, "the compressed data ends early"};
    return InflateError{false, consumed, z.zs.msg != nullptr ? z.zs.msg : "corrupt data"};
  }
  if (produced > max_size) return InflateError{true, in.size(), "output too large"};
  out.resize(produced);
  return std::nullopt;
}

}  // namespace sluice::zlib
