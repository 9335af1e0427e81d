// The tail input's text encodings: names Fluent Bit users write, and the
// conversion of each to UTF-8.
#include <catch2/catch.hpp>

#include <string>

#include "inputs/tail/tail_encoding.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::tail;

namespace {
std::string utf8(TextEncoding e, std::string_view raw, bool at_start = false) {
  std::string out;
  to_utf8(e, raw, at_start, out);
  return out;
}
}  // namespace

TEST_CASE("encoding names as Fluent Bit takes them", "[tail][tail_encoding]") {
  CHECK(unicode_encoding("UTF-16LE") == TextEncoding::Utf16Le);
  CHECK(unicode_encoding("utf16-le") == TextEncoding::Utf16Le);
  CHECK(unicode_encoding("UTF-16BE") == TextEncoding::Utf16Be);
  CHECK(unicode_encoding("Auto") == TextEncoding::Utf16Auto);
  CHECK_FALSE(unicode_encoding("UTF-32"));
  CHECK(generic_encoding("Win1252") == TextEncoding::Win1252);
  CHECK(generic_encoding("cp1252") == TextEncoding::Win1252);
  CHECK(generic_encoding("latin1") == TextEncoding::Latin1);
  CHECK(generic_encoding("ISO-8859-1") == TextEncoding::Latin1);
  CHECK(generic_encoding("ISO-8859-15") == TextEncoding::Latin9);
  CHECK_FALSE(generic_encoding("ShiftJIS"));
}

TEST_CASE("UTF-16 to UTF-8", "[tail][tail_encoding]") {
  // "é€😀" in UTF-16LE: E9 00, AC 20, 3D D8 00 DE.
  std::string le("\xE9\x00\xAC\x20\x3D\xD8\x00\xDE", 8);
  CHECK(utf8(TextEncoding::Utf16Le, le) == "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  std::string be("\x00\xE9\x20\xAC\xD8\x3D\xDE\x00", 8);
  CHECK(utf8(TextEncoding::Utf16Be, be) == "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  SECTION("the byte order mark goes at the start of the file only") {
    CHECK(utf8(TextEncoding::Utf16Le, std::string("\xFF\xFEh\x00", 4), true) == "h");
    CHECK(utf8(TextEncoding::Utf16Be, std::string("\xFE\xFF\x00h", 4), true) == "h");
    CHECK(utf8(TextEncoding::Utf16Le, std::string("\xFF\xFEh\x00", 4), false) == "\xEF\xBB\xBFh");
  }
  SECTION("a lone surrogate and an odd byte become U+FFFD") {
    CHECK(utf8(TextEncoding::Utf16Le, std::string("\x3D\xD8x\x00", 4)) == "\xEF\xBF\xBDx");
    CHECK(utf8(TextEncoding::Utf16Le, std::string("x\x00y", 3)) == "x\xEF\xBF\xBD");
  }
}

TEST_CASE("single-byte encodings to UTF-8", "[tail][tail_encoding]") {
  CHECK(utf8(TextEncoding::Latin1, "caf\xE9 \x80") == "caf\xC3\xA9 \xC2\x80");
  CHECK(utf8(TextEncoding::Win1252, "\x93quoted\x94 \x80 caf\xE9 \x81") ==
        "\xE2\x80\x9Cquoted\xE2\x80\x9D \xE2\x82\xAC caf\xC3\xA9 \xC2\x81");
  CHECK(utf8(TextEncoding::Latin9, "\xA4 \xBD \xE9") == "\xE2\x82\xAC \xC5\x93 \xC3\xA9");
}

TEST_CASE("unicode.encoding auto looks at the first bytes", "[tail][tail_encoding]") {
  CHECK(detect_unicode(std::string("\xFF\xFE", 2)) == TextEncoding::Utf16Le);
  CHECK(detect_unicode(std::string("\xFE\xFF", 2)) == TextEncoding::Utf16Be);
  CHECK(detect_unicode(std::string("a\x00", 2)) == TextEncoding::Utf16Le);
  CHECK(detect_unicode(std::string("\x00" "a", 2)) == TextEncoding::Utf16Be);
  CHECK(detect_unicode("ab") == TextEncoding::Utf8);
  CHECK(utf8(TextEncoding::Utf8, "\xEF\xBB\xBFhi", true) == "hi");
}

}  // namespace SLUICE_UNITY_ID
