// SHA-256 and HMAC-SHA256 for AWS request signing: the one place the aws
// helpers call OpenSSL.
#pragma once
#include <array>
#include <string>
#include <string_view>

namespace sluice::aws {

using Digest = std::array<unsigned char, 32>;

Digest sha256(std::string_view data);
Digest hmac_sha256(std::string_view key, std::string_view data);

// Lowercase hex, as SigV4 writes hashes and signatures.
std::string hex(const Digest& digest);
inline std::string sha256_hex(std::string_view data) { return hex(sha256(data)); }

inline std::string_view as_view(const Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

}  // namespace sluice::aws
