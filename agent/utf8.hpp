// Writing one code point as UTF-8, shared by the decoders of escaped text
// (logfmt, Docker/CRI lines, the parsers' decode_field) and tail's encodings.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace sluice {

// Writes cp to out (room for 4 bytes) and returns the bytes written. What is
// not a character (a lone surrogate, beyond U+10FFFF) becomes U+FFFD, so the
// output is always valid UTF-8.
inline size_t put_utf8(char* out, uint32_t cp) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

// Appends cp to out as put_utf8 writes it.
inline void append_utf8(std::string& out, uint32_t cp) {
  char buf[4];
  out.append(buf, put_utf8(buf, cp));
}

}  // namespace sluice
