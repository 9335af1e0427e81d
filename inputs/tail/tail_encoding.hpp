// Text encodings the tail input converts to UTF-8 (unicode.encoding,
// generic.encoding): UTF-16LE/BE and single-byte Latin encodings. Pure
// functions; lines are split before conversion (tail_lines.hpp knows
// UTF-16's two-byte newline), so offsets stay file offsets.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::tail {

enum class TextEncoding : uint8_t {
  Utf8,       // no conversion
  Utf16Auto,  // unicode.encoding: auto, resolved per file by detect_unicode()
  Utf16Le,
  Utf16Be,
  Latin1,     // ISO-8859-1
  Latin9,     // ISO-8859-15
  Win1252,
};

// Fluent Bit's names (case-insensitive): unicode.encoding takes UTF-16LE,
// UTF-16BE (also UTF16-LE, UTF16-BE) and auto; generic.encoding takes
// Win1252 (CP1252, windows-1252), ISO-8859-1 (latin1) and ISO-8859-15
// (latin9). nullopt for any other name.
std::optional<TextEncoding> unicode_encoding(std::string_view name);
std::optional<TextEncoding> generic_encoding(std::string_view name);
inline constexpr std::string_view kUnicodeEncodings = "UTF-16LE, UTF-16BE, auto";
inline constexpr std::string_view kGenericEncodings = "Win1252 (CP1252), ISO-8859-1 (latin1), ISO-8859-15 (latin9)";

// For `auto`: a BOM decides, else the NUL bytes of the first code unit
// ("a\0" is UTF-16LE, "\0a" UTF-16BE); anything else is UTF-8.
TextEncoding detect_unicode(std::string_view head);

// True when lines are made of two-byte code units.
inline bool is_utf16(TextEncoding e) { return e == TextEncoding::Utf16Le || e == TextEncoding::Utf16Be; }

// Appends raw (one line, without its newline) as UTF-8 to out. A byte order
// mark at the start (at_file_start) is dropped; a lone UTF-16 surrogate or an
// odd trailing byte becomes U+FFFD.
void to_utf8(TextEncoding e, std::string_view raw, bool at_file_start, std::string& out);

}  // namespace sluice::tail
