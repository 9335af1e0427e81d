// Line splitting of the tail input; see tail_lines.hpp.
#include "inputs/tail/tail_lines.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace sluice::tail {

void LineSplitter::reset(uint64_t pos) {
  carry_.clear();
  carry_offset_ = end_ = line_start_ = pos;
  pieces_ = skipping_ = false;
}

void LineSplitter::feed(std::string_view data, SplitOut& out) {
  const uint64_t base = end_;
  end_ += data.size();
  const char* p = data.data();
  const size_t n = data.size();
  size_t i = 0;

  if (!carry_.empty() || pieces_ || skipping_) {
    const void* nl = std::memchr(p, '\n', n);
    if (nl == nullptr) {
      add_partial(data, base, out);
      return;
    }
    size_t k = static_cast<size_t>(static_cast<const char*>(nl) - p);
    finish_line(data.substr(0, k), base, out);
    i = k + 1;
    line_start_ = base + i;
  }

  if (i < n) {
    const void* last = memrchr(p + i, '\n', n - i);
    if (last != nullptr) {
      size_t stop = static_cast<size_t>(static_cast<const char*>(last) - p) + 1;
      out.bulk = data.substr(i, stop - i);
      const char* b = out.bulk.data();
      size_t s = 0;
      while (s < out.bulk.size()) {
        size_t e = static_cast<size_t>(static_cast<const char*>(std::memchr(b + s, '\n', out.bulk.size() - s)) - b);
        size_t len = e - s;
        if (len > 0 && b[e - 1] == '\r') --len;
        emit(static_cast<uint32_t>(s), len, false, base + i + s, out, false);
        s = e + 1;
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
    if (skip_long_) {
      ++out.long_lines;
      out.skipped_bytes += carry_.size() + part.size();
      carry_.clear();
      skipping_ = true;
      return;
    }
    if (!pieces_) {
      ++out.long_lines;
      pieces_ = true;
    }
    size_t take = max_ - carry_.size();
    auto begin = static_cast<uint32_t>(out.extra.size());
    out.extra.append(carry_);
    out.extra.append(part.substr(0, take));
    out.lines.push_back({begin, static_cast<uint32_t>(max_), true, carry_offset_});
    carry_offset_ += max_;
    part.remove_prefix(take);
    carry_.clear();
  }
  if (carry_.capacity() < initial_size_) carry_.reserve(initial_size_);
  carry_.append(part);
}

void LineSplitter::finish_line(std::string_view part, uint64_t part_offset, SplitOut& out) {
  if (skipping_) {
    out.skipped_bytes += part.size() + 1;
    skipping_ = false;
    return;
  }
  uint64_t offset = carry_.empty() ? part_offset : carry_offset_;
  auto begin = static_cast<uint32_t>(out.extra.size());
  out.extra.append(carry_);
  out.extra.append(part);
  size_t len = out.extra.size() - begin;
  if (len > 0 && out.extra.back() == '\r') --len;
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
  if (skip_long_) {
    out.skipped_bytes += len;
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
