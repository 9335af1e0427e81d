// zlib's streaming calls behind the two functions of zlib_codec.hpp.
#include "agent/zlib_codec.hpp"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <new>

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

// Ends the stream on every path.
struct Deflater {
  z_stream zs{};
  Deflater(Wrapper w, int level) {
    if (deflateInit2(&zs, level, Z_DEFLATED, window_bits(w), 8, Z_DEFAULT_STRATEGY) != Z_OK) throw std::bad_alloc();
  }
  ~Deflater() { deflateEnd(&zs); }
};

struct Inflater {
  z_stream zs{};
  bool live = false;
  ~Inflater() {
    if (live) inflateEnd(&zs);
  }
};

}  // namespace

void compress(std::string_view data, Wrapper wrapper, int level, std::string& out) {
  Deflater d(wrapper == Wrapper::Auto ? Wrapper::Gzip : wrapper, level);
  z_stream& zs = d.zs;
  // deflateBound is exact for data below 4 GiB: usually one call finishes.
  out.resize(deflateBound(&zs, static_cast<uLong>(std::min(data.size(), kMaxStep))) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  size_t in_left = data.size();
  size_t produced = 0;
  for (;;) {
    if (zs.avail_in == 0 && in_left > 0) {
      zs.avail_in = static_cast<uInt>(std::min(in_left, kMaxStep));
      in_left -= zs.avail_in;
    }
    if (produced == out.size()) out.resize(out.size() * 2);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(std::min(out.size() - produced, kMaxStep));
    uInt before = zs.avail_out;
    int rc = ::deflate(&zs, in_left == 0 ? Z_FINISH : Z_NO_FLUSH);
    produced += before - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    // Z_BUF_ERROR only means no progress was possible: more room comes next round.
    if (rc != Z_OK && rc != Z_BUF_ERROR) throw std::bad_alloc();
  }
  out.resize(produced);
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
