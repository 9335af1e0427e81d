// Splits a file's bytes into lines across read boundaries: keeps the
// partial last line, strips "\n" / "\r\n" (one-byte or UTF-16 code
// units), and cuts, truncates or skips lines longer than buffer_max_size.
// Pure logic (no I/O), one instance per followed file.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::tail {

// Where a line's text is: in the bulk region (a view of the caller's read
// buffer holding whole lines, copied into the chunk once) or in `extra`
// (lines completed from the carried partial line, and pieces of long lines).
struct LineRef {
  uint32_t begin;
  uint32_t len;
  bool in_extra;
  uint64_t offset;  // file offset of the line's first byte
};

// The output of one feed(); reused between calls to avoid allocations.
struct SplitOut {
  std::vector<LineRef> lines;
  std::string_view bulk;
  std::string extra;
  uint64_t long_lines = 0;  // long lines met (each counted once, cut or skipped)
  uint64_t skipped_bytes = 0;

  void clear() {
    lines.clear();
    bulk = {};
    extra.clear();
    long_lines = 0;
    skipped_bytes = 0;
  }
  std::string_view text(const LineRef& r) const {
    return (r.in_extra ? std::string_view(extra) : bulk).substr(r.begin, r.len);
  }
};

// What becomes of a line longer than the limit: emitted in pieces of the
// limit, skipped whole (skip_long_lines), or its first piece only
// (truncate_long_lines).
enum class LongLines : uint8_t { Split, Skip, Truncate };

// The unit lines are made of: bytes (UTF-8 and the single-byte encodings,
// whose newline is the byte 0x0A), or UTF-16 code units (newline 0x000A,
// two bytes at an even file offset).
enum class LineUnit : uint8_t { Byte, Utf16Le, Utf16Be };

class LineSplitter {
 public:
  LineSplitter(size_t initial_size, size_t max_size, LongLines mode)
      : initial_size_(initial_size), max_(max_size), mode_(mode) {}
  LineSplitter(size_t initial_size, size_t max_size, bool skip_long)
      : LineSplitter(initial_size, max_size, skip_long ? LongLines::Skip : LongLines::Split) {}

  // Before the first feed. With UTF-16 units every feed must start at an
  // even file offset and hold an even number of bytes, and the limit is
  // rounded down to an even size, so no code unit is ever cut.
  void set_unit(LineUnit unit);

  // Restarts at file offset pos (start, resume, truncation): drops any partial line.
  void reset(uint64_t pos);
  // Splits data, the bytes at the current end offset, into out (cleared
  // by the caller: out.bulk is a view of data and holds one feed only).
  void feed(std::string_view data, SplitOut& out);
  // Emits the partial last line as a line (no newline will come).
  void flush(SplitOut& out);

  // Offset after the bytes fed so far.
  uint64_t end() const { return end_; }
  // Offset where the incomplete line starts: everything before it was
  // emitted, so it is the position that may be committed.
  uint64_t line_start() const { return line_start_; }
  // True while a line longer than the limit is being cut or skipped.
  bool in_long_line() const { return pieces_ || skipping_; }
  size_t pending_bytes() const { return carry_.size(); }

 private:
  void add_partial(std::string_view part, uint64_t part_offset, SplitOut& out);
  void finish_line(std::string_view part, uint64_t part_offset, SplitOut& out);
  // Emits text at [begin, begin+len) of the bulk or extra region, cut into
  // pieces when it exceeds the limit (or skipped with skip_long_lines).
  // `counted`: the line was already counted as long (its first pieces went out).
  void emit(uint32_t begin, size_t len, bool in_extra, uint64_t offset, SplitOut& out, bool counted);
  // Position of the first newline in [p, p+n) (p at a unit boundary), or n.
  size_t find_newline(const char* p, size_t n) const;
  size_t find_last_newline(const char* p, size_t n) const;
  // Bytes of a carriage return ending line (0 when there is none).
  size_t cr_bytes(const char* line, size_t len) const;
  size_t newline_bytes() const { return unit_ == LineUnit::Byte ? 1 : 2; }

  size_t initial_size_;
  size_t max_;
  LongLines mode_;
  LineUnit unit_ = LineUnit::Byte;
  std::string carry_;         // the incomplete line (or the rest of a long one)
  uint64_t carry_offset_ = 0; // file offset of carry_[0]
  uint64_t end_ = 0;
  uint64_t line_start_ = 0;
  bool pieces_ = false;    // the current line is long and pieces of it were emitted
  bool skipping_ = false;  // the current line is long and being dropped
};

}  // namespace sluice::tail
