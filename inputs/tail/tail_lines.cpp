// Line splitting of the tail input; see tail_lines.hpp.
#include "inputs/tail/tail_lines.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace sluice::tail {

void LineSplitter::set_unit(LineUnit unit) {
  unit_ = unit;
  if (unit_ != LineUnit::Byte) max_ = std::max<size_t>(2, max_ & ~size_t{1});
}

void LineSplitter::reset(uint64_t pos) {
  carry_.clear();
  carry_offset_ = end_ = line_start_ = pos;
  pieces_ = skipping_ = false;
}

size_t LineSplitter::find_newline(const char* p, size_t n) const {
  if (unit_ == LineUnit::Byte) {
    const void* nl = std::memchr(p, '\n', n);
    return nl == nullptr ? n : static_cast<size_t>(static_cast<const char*>(nl) - p);
  }
  // A 0x0A byte is a newline only as the low byte of an aligned code unit
  // whose high byte is 0 (U+010A, say, holds one too).
  const bool le = unit_ == LineUnit::Utf16Le;
  size_t i = 0;
  while (i < n) {
    const void* hit = std::memchr(p + i, '\n', n - i);
    if (hit == nullptr) return n;
    auto k = static_cast<size_t>(static_cast<const char*>(hit) - p);
    if (le && k % 2 == 0 && k + 1 < n && p[k + 1] == '\0') return k;
    if (!le && k % 2 == 1 && p[k - 1] == '\0') return k - 1;
    i = k + 1;
  }
  return n;
}

size_t LineSplitter::find_last_newline(const char* p, size_t n) const {
  if (unit_ == LineUnit::Byte) {
    const void* nl = memrchr(p, '\n', n);
    return nl == nullptr ? n : static_cast<size_t>(static_cast<const char*>(nl) - p);
  }
  size_t last = n;
  for (size_t i = 0; i < n;) {
    size_t k = i + find_newline(p + i, n - i);
    if (k == n) break;
    last = k;
    i = k + 2;
  }
  return last;
}

size_t LineSplitter::cr_bytes(const char* line, size_t len) const {
  switch (unit_) {
    case LineUnit::Byte: return len > 0 && line[len - 1] == '\r' ? 1 : 0;
    case LineUnit::Utf16Le: return len >= 2 && line[len - 2] == '\r' && line[len - 1] == '\0' ? 2 : 0;
    case LineUnit::Utf16Be: return len >= 2 && line[len - 2] == '\0' && line[len - 1] == '\r' ? 2 : 0;
  }
  return 0;
}

void LineSplitter::feed(std::string_view data, SplitOut& out) {
  const uint64_t base = end_;
  end_ += data.size();
  const char* p = data.data();
  const size_t n = data.size();
  const size_t nl = newline_bytes();
  size_t i = 0;

  if (!carry_.empty() || pieces_ || skipping_) {
    size_t k = find_newline(p, n);
    if (k == n) {
      add_partial(data, base, out);
      return;
    }
    finish_line(data.substr(0, k), base, out);
    i = k + nl;
    line_start_ = base + i;
  }

  if (i < n) {
    size_t last = find_last_newline(p + i, n - i);
    if (last != n - i) {
      size_t stop = i + last + nl;
      out.bulk = data.substr(i, stop - i);
      const char* b = out.bulk.data();
      size_t s = 0;
      while (s < out.bulk.size()) {
        size_t e = s + find_newline(b + s, out.bulk.size() - s);
        size_t len = e - s;
        len -= cr_bytes(b + s, len);
        emit(static_cast<uint32_t>(s), len, false, base + i + s, out, false);
        s = e + nl;
      }
      i = stop;
      line_start_ = base + stop;
    }
  }

  if (i < n) add_partial(data.substr(i), base + i, out);
}

void LineSplitter::add_partial(std::string_view part, uint64_t part_offset, SplitOut& out) {
  if (skipping_) {
    out.skipped_bytes += part.size();
    return;
  }
  if (carry_.empty()) carry_offset_ = part_offset;
  while (carry_.size() + part.size() > max_) {
    if (mode_ == LongLines::Skip) {
      ++out.long_lines;
      out.skipped_bytes += carry_.size() + part.size();
      carry_.clear();
      skipping_ = true;
      return;
    }
    size_t take = max_ - carry_.size();
    auto begin = static_cast<uint32_t>(out.extra.size());
    out.extra.append(carry_);
    out.extra.append(part.substr(0, take));
    out.lines.push_back({begin, static_cast<uint32_t>(max_), true, carry_offset_});
    if (mode_ == LongLines::Truncate) {
      // The line's first piece went out; the rest of it is dropped.
      ++out.long_lines;
      out.skipped_bytes += part.size() - take;
      carry_.clear();
      skipping_ = true;
      return;
    }
    if (!pieces_) {
      ++out.long_lines;
      pieces_ = true;
    }
    carry_offset_ += max_;
    part.remove_prefix(take);
    carry_.clear();
  }
  if (carry_.capacity() < initial_size_) carry_.reserve(initial_size_);
  carry_.append(part);
}

void LineSplitter::finish_line(std::string_view part, uint64_t part_offset, SplitOut& out) {
  if (skipping_) {
    out.skipped_bytes += part.size() + newline_bytes();
    skipping_ = false;
    return;
  }
  uint64_t offset = carry_.empty() ? part_offset : carry_offset_;
  auto begin = static_cast<uint32_t>(out.extra.size());
  out.extra.append(carry_);
  out.extra.append(part);
  size_t len = out.extra.size() - begin;
  len -= cr_bytes(out.extra.data() + begin, len);
  carry_.clear();
  bool rest_of_long = std::exchange(pieces_, false);
  if (rest_of_long && len == 0) return;  // the long line ended exactly at a piece boundary
  emit(begin, len, true, offset, out, rest_of_long);
}

void LineSplitter::emit(uint32_t begin, size_t len, bool in_extra, uint64_t offset, SplitOut& out, bool counted) {
  if (len <= max_) {
    out.lines.push_back({begin, static_cast<uint32_t>(len), in_extra, offset});
    return;
  }
  if (!counted) ++out.long_lines;
  if (mode_ == LongLines::Skip) {
    out.skipped_bytes += len;
    return;
  }
  if (mode_ == LongLines::Truncate) {
    out.lines.push_back({begin, static_cast<uint32_t>(max_), in_extra, offset});
    out.skipped_bytes += len - max_;
    return;
  }
  while (len > 0) {
    size_t take = std::min(len, max_);
    out.lines.push_back({begin, static_cast<uint32_t>(take), in_extra, offset});
    begin += static_cast<uint32_t>(take);
    offset += take;
    len -= take;
  }
}

void LineSplitter::flush(SplitOut& out) {
  if (!carry_.empty() && !skipping_) {
    auto begin = static_cast<uint32_t>(out.extra.size());
    out.extra.append(carry_);
    emit(begin, carry_.size(), true, carry_offset_, out, pieces_);
  }
  carry_.clear();
  pieces_ = skipping_ = false;
  line_start_ = end_;
}

}  // namespace sluice::tail
