// Zstandard through libzstd's streaming API; see zstd_codec.hpp.
#include "agent/zstd_codec.hpp"

#include <zstd.h>

#include <algorithm>
#include <memory>

namespace sluice::zstd {

std::string compress(std::string_view data, int level) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), level);
  if (ZSTD_isError(n)) return {};  // only for a level or buffer error, which can't happen here
  out.resize(n);
  return out;
}

std::optional<zlib::InflateError> decompress(std::string_view in, size_t max_size, std::string& out) {
  out.clear();
  if (in.empty()) return zlib::InflateError{false, 0, "empty zstd data"};
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> ctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!ctx) return zlib::InflateError{false, 0, "out of memory"};
  // A frame that says its size lets the output be sized once.
  unsigned long long announced = ZSTD_getFrameContentSize(in.data(), in.size());
  size_t capacity = announced != ZSTD_CONTENTSIZE_UNKNOWN && announced != ZSTD_CONTENTSIZE_ERROR
                        ? static_cast<size_t>(std::min<unsigned long long>(announced, max_size))
                        : std::min(max_size, std::max<size_t>(4 * in.size(), 64 * 1024));
  out.resize(std::max<size_t>(capacity, 1));
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  size_t produced = 0;
  size_t last = 1;  // 0 once a frame is complete and flushed
  while (src.pos < src.size || last != 0) {
    if (produced == out.size()) {
      if (out.size() >= max_size) {
        // Room for one byte more tells a body of exactly max_size from a larger one.
        char probe;
        ZSTD_outBuffer one{&probe, 1, 0};
        size_t before_in = src.pos;
        last = ZSTD_decompressStream(ctx.get(), &one, &src);
        if (ZSTD_isError(last)) return zlib::InflateError{false, src.pos, ZSTD_getErrorName(last)};
        if (one.pos > 0) return zlib::InflateError{true, src.pos, "larger than the limit"};
        if (last == 0 && src.pos == src.size) break;
        if (src.pos == before_in) return zlib::InflateError{false, src.pos, "the compressed data ends early"};
        continue;
      }
      out.resize(std::min(max_size, out.size() * 2));
    }
    ZSTD_outBuffer dst{out.data() + produced, out.size() - produced, 0};
    size_t before_in = src.pos;
    last = ZSTD_decompressStream(ctx.get(), &dst, &src);
    if (ZSTD_isError(last)) return zlib::InflateError{false, src.pos, ZSTD_getErrorName(last)};
    produced += dst.pos;
    // No input left, no output made, and the frame not done: it was cut short.
    if (src.pos == src.size && dst.pos == 0 && before_in == src.pos && last != 0)
      return zlib::InflateError{false, src.pos, "the compressed data ends early"};
  }
  out.resize(produced);
  return std::nullopt;
}

}  // namespace sluice::zstd
