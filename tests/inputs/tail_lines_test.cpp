// Line splitting of the tail input: boundaries, CRLF, partial and long lines.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "inputs/tail/tail_lines.hpp"

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
