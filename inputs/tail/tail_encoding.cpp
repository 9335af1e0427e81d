// Conversion of the tail input's text encodings to UTF-8; see tail_encoding.hpp.
#include "inputs/tail/tail_encoding.hpp"

#include "agent/ascii_case.hpp"
#include "agent/utf8.hpp"

namespace sluice::tail {

namespace {

constexpr uint32_t kReplacement = 0xFFFD;

// Windows-1252's 0x80-0x9F; the five bytes it leaves undefined map to the
// C1 control of the same value, as the WHATWG encoding standard does.
constexpr uint16_t kWin1252High[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

// ISO-8859-15 is ISO-8859-1 with eight code points replaced.
uint32_t latin9(unsigned char b) {
  switch (b) {
    case 0xA4: return 0x20AC;
    case 0xA6: return 0x0160;
    case 0xA8: return 0x0161;
    case 0xB4: return 0x017D;
    case 0xB8: return 0x017E;
    case 0xBC: return 0x0152;
    case 0xBD: return 0x0153;
    case 0xBE: return 0x0178;
    default: return b;
  }
}

void utf16_to_utf8(std::string_view raw, bool big_endian, std::string& out) {
  auto unit = [&](size_t i) -> uint32_t {
    auto a = static_cast<unsigned char>(raw[i]);
    auto b = static_cast<unsigned char>(raw[i + 1]);
    return big_endian ? (uint32_t{a} << 8 | b) : (uint32_t{b} << 8 | a);
  };
  size_t i = 0;
  for (; i + 1 < raw.size(); i += 2) {
    uint32_t u = unit(i);
    if (u >= 0xD800 && u <= 0xDBFF && i + 3 < raw.size()) {
      uint32_t lo = unit(i + 2);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        append_utf8(out, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
        i += 2;
        continue;
      }
    }
    append_utf8(out, u >= 0xD800 && u <= 0xDFFF ? kReplacement : u);
  }
  if (i < raw.size()) append_utf8(out, kReplacement);
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

std::optional<TextEncoding> unicode_encoding(std::string_view name) {
  std::string n = ascii_lower(name);
  if (n == "utf-16le" || n == "utf16-le") return TextEncoding::Utf16Le;
  if (n == "utf-16be" || n == "utf16-be") return TextEncoding::Utf16Be;
  if (n == "auto") return TextEncoding::Utf16Auto;
  return std::nullopt;
}

std::optional<TextEncoding> generic_encoding(std::string_view name) {
  std::string n = ascii_lower(name);
  if (n == "win1252" || n == "cp1252" || n == "windows-1252") return TextEncoding::Win1252;
  if (n == "iso-8859-1" || n == "iso8859-1" || n == "latin1") return TextEncoding::Latin1;
  if (n == "iso-8859-15" || n == "iso8859-15" || n == "latin9") return TextEncoding::Latin9;
  return std::nullopt;
}

TextEncoding detect_unicode(std::string_view head) {
  if (starts_with(head, "\xFF\xFE")) return TextEncoding::Utf16Le;
  if (starts_with(head, "\xFE\xFF")) return TextEncoding::Utf16Be;
  if (head.size() >= 2 && head[0] != '\0' && head[1] == '\0') return TextEncoding::Utf16Le;
  if (head.size() >= 2 && head[0] == '\0' && head[1] != '\0') return TextEncoding::Utf16Be;
  return TextEncoding::Utf8;
}

void to_utf8(TextEncoding e, std::string_view raw, bool at_file_start, std::string& out) {
  switch (e) {
    case TextEncoding::Utf8:
    case TextEncoding::Utf16Auto:  // unresolved: taken as it is
      if (at_file_start && starts_with(raw, "\xEF\xBB\xBF")) raw.remove_prefix(3);
      out.append(raw);
      return;
    case TextEncoding::Utf16Le:
      if (at_file_start && starts_with(raw, "\xFF\xFE")) raw.remove_prefix(2);
      utf16_to_utf8(raw, false, out);
      return;
    case TextEncoding::Utf16Be:
      if (at_file_start && starts_with(raw, "\xFE\xFF")) raw.remove_prefix(2);
      utf16_to_utf8(raw, true, out);
      return;
    case TextEncoding::Latin1:
    case TextEncoding::Latin9:
    case TextEncoding::Win1252:
      for (char c : raw) {
        auto b = static_cast<unsigned char>(c);
        uint32_t cp = b;
        if (e == TextEncoding::Win1252 && b >= 0x80 && b <= 0x9F) cp = kWin1252High[b - 0x80];
        if (e == TextEncoding::Latin9) cp = latin9(b);
        append_utf8(out, cp);
      }
      return;
  }
}

}  // namespace sluice::tail
