// Line splitting of the tail input: boundaries, CRLF, partial and long lines.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "inputs/tail/tail_lines.hpp"

namespace SLUICE_UNITY_ID {

using sluice::tail::LineSplitter;
using sluice::tail::SplitOut;

namespace {

struct Fed {
  std::vector<std::string> lines;
  std::vector<uint64_t> offsets;
  uint64_t long_lines = 0;
  uint64_t skipped = 0;
};

// Feeds each piece in turn, collecting the lines it completes.
Fed feed(LineSplitter& s, const std::vector<std::string>& pieces, bool flush = false) {
  Fed f;
  SplitOut out;
  auto collect = [&] {
    for (const auto& r : out.lines) {
      f.lines.emplace_back(out.text(r));
      f.offsets.push_back(r.offset);
    }
    f.long_lines += out.long_lines;
    f.skipped += out.skipped_bytes;
  };
  for (const auto& p : pieces) {
    out.clear();
    s.feed(p, out);
    collect();
  }
  if (flush) {
    out.clear();
    s.flush(out);
    collect();
  }
  return f;
}

}  // namespace

TEST_CASE("lines split across read boundaries", "[tail][tail_lines]") {
  LineSplitter s(8, 1024, false);
  s.reset(0);
  auto f = feed(s, {"one\ntw", "o\nthr", "ee", "\nfour\n"});
  CHECK(f.lines == std::vector<std::string>{"one", "two", "three", "four"});
  CHECK(f.offsets == std::vector<uint64_t>{0, 4, 8, 14});
  CHECK(s.line_start() == 19);
  CHECK(s.pending_bytes() == 0);
}

TEST_CASE("a partial last line waits for its newline, flush emits it", "[tail][tail_lines]") {
  LineSplitter s(8, 1024, false);
  s.reset(100);
  auto f = feed(s, {"a\nb", "c"});
  CHECK(f.lines == std::vector<std::string>{"a"});
  CHECK(s.line_start() == 102);  // the commit point stays before "bc"
  CHECK(s.end() == 104);
  auto g = feed(s, {}, true);
  CHECK(g.lines == std::vector<std::string>{"bc"});
  CHECK(g.offsets == std::vector<uint64_t>{102});
  CHECK(s.line_start() == 104);
}

TEST_CASE("CRLF and LF endings are stripped, empty lines are kept", "[tail][tail_lines]") {
  LineSplitter s(8, 1024, false);
  s.reset(0);
  auto f = feed(s, {"a\r\n\nb\r", "\r\n\r\nc\r\n"});
  CHECK(f.lines == std::vector<std::string>{"a", "", "b\r", "", "c"});
}

TEST_CASE("long lines are emitted in pieces of buffer_max_size, counted once", "[tail][tail_lines]") {
  LineSplitter s(4, 10, false);
  s.reset(0);
  SECTION("within one read") {
    auto f = feed(s, {"short\n" + std::string(25, 'x') + "\nend\n"});
    CHECK(f.lines == std::vector<std::string>{"short", std::string(10, 'x'), std::string(10, 'x'), std::string(5, 'x'),
                                              "end"});
    CHECK(f.offsets == std::vector<uint64_t>{0, 6, 16, 26, 32});
    CHECK(f.long_lines == 1);
  }
  SECTION("across reads, nothing cut silently") {
    auto f = feed(s, {"abcdefg", "hijklmn", "opqrstu", "vw\nnext\n"});
    CHECK(f.lines == std::vector<std::string>{"abcdefghij", "klmnopqrst", "uvw", "next"});
    CHECK(f.long_lines == 1);
    CHECK(s.line_start() == 29);
  }
  SECTION("a long line ending exactly at a piece boundary") {
    auto f = feed(s, {std::string(20, 'y'), "\nz\n"});
    CHECK(f.lines == std::vector<std::string>{std::string(10, 'y'), std::string(10, 'y'), "z"});
  }
  SECTION("the commit point stays at the start of a line still being cut") {
    auto f = feed(s, {"ok\n" + std::string(15, 'q')});
    CHECK(f.lines == std::vector<std::string>{"ok", std::string(10, 'q')});
    CHECK(s.line_start() == 3);
    CHECK(s.in_long_line());
  }
}

TEST_CASE("skip_long_lines drops a long line whole", "[tail][tail_lines]") {
  LineSplitter s(4, 10, true);
  s.reset(0);
  SECTION("within one read") {
    auto f = feed(s, {"a\n" + std::string(11, 'x') + "\nb\n"});
    CHECK(f.lines == std::vector<std::string>{"a", "b"});
    CHECK(f.long_lines == 1);
    CHECK(f.skipped == 11);
  }
  SECTION("across reads") {
    auto f = feed(s, {"a\nxxxxxxxx", "xxxxxxxx", "xxx\nb\n"});
    CHECK(f.lines == std::vector<std::string>{"a", "b"});
    CHECK(f.long_lines == 1);
    CHECK(s.line_start() == 24);
  }
  SECTION("a line of exactly buffer_max_size is kept") {
    auto f = feed(s, {std::string(10, 'k') + "\n"});
    CHECK(f.lines == std::vector<std::string>{std::string(10, 'k')});
    CHECK(f.long_lines == 0);
  }
}

TEST_CASE("reset drops the partial line", "[tail][tail_lines]") {
  LineSplitter s(4, 100, false);
  s.reset(0);
  feed(s, {"half"});
  s.reset(0);
  auto f = feed(s, {"new\n"});
  CHECK(f.lines == std::vector<std::string>{"new"});
}

TEST_CASE("truncate_long_lines keeps a long line's first piece only", "[tail][tail_lines]") {
  LineSplitter s(4, 8, sluice::tail::LongLines::Truncate);
  s.reset(0);
  SECTION("a long line within one read") {
    auto f = feed(s, {"short\n0123456789abcdef\nnext\n"});
    CHECK(f.lines == std::vector<std::string>{"short", "01234567", "next"});
    CHECK(f.offsets == std::vector<uint64_t>{0, 6, 23});
    CHECK(f.long_lines == 1);
    CHECK(f.skipped == 8);
  }
  SECTION("a long line across reads") {
    auto f = feed(s, {"0123", "456789", "abcdef", "\nnext\n"});
    CHECK(f.lines == std::vector<std::string>{"01234567", "next"});
    CHECK(f.long_lines == 1);
    CHECK(s.line_start() == 22);
  }
}

TEST_CASE("UTF-16 lines end at an aligned newline code unit", "[tail][tail_lines]") {
  using sluice::tail::LineUnit;
  auto u16 = [](std::string_view ascii, bool be) {
    std::string out;
    for (char c : ascii) {
      if (be) out += '\0';
      out += c;
      if (!be) out += '\0';
    }
    return out;
  };
  bool be = GENERATE(false, true);
  LineSplitter s(8, 1024, false);
  s.set_unit(be ? LineUnit::Utf16Be : LineUnit::Utf16Le);
  s.reset(0);
  // U+0A0A (a 0x0A byte in both halves) is no newline.
  std::string odd = be ? std::string("\x0A\x0A", 2) : std::string("\x0A\x0A", 2);
  std::string text = u16("ab\r\n", be) + odd + u16("c\n", be) + u16("de", be);
  auto f = feed(s, {text.substr(0, 6), text.substr(6)});
  REQUIRE(f.lines.size() == 2);
  CHECK(f.lines[0] == u16("ab", be));
  CHECK(f.lines[1] == odd + u16("c", be));
  CHECK(f.offsets == std::vector<uint64_t>{0, 8});
  CHECK(s.line_start() == 14);
  auto last = feed(s, {u16("\n", be)});
  CHECK(last.lines == std::vector<std::string>{u16("de", be)});
}

}  // namespace SLUICE_UNITY_ID
