// Lowercase hexadecimal: the one table every digest, id and escape that
// writes hex uses (SigV4 and the forward handshake's digests, record ids,
// UUIDs, \u escapes).
#pragma once
#include <string>
#include <string_view>

namespace sluice::hex {

inline constexpr char kDigits[] = "0123456789abcdef";

// Two lowercase hex digits per byte, appended to out.
inline void append(std::string& out, std::string_view bytes) {
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
}

inline std::string lower(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  append(out, bytes);
  return out;
}

}  // namespace sluice::hex
