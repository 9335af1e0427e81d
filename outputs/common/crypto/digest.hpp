// Message digests for credential helpers (OCI's body hash and key
// fingerprints): raw bytes in, raw bytes out; "" when OpenSSL can't make
// that digest (MD5 and SHA-1 under a FIPS-only provider).
#pragma once
#include <string>
#include <string_view>

namespace sluice::crypto {

std::string sha256(std::string_view data);  // 32 bytes
std::string sha1(std::string_view data);    // 20 bytes: certificate fingerprints only
std::string md5(std::string_view data);     // 16 bytes: OCI API key fingerprints only

// "aa:0b:…": lowercase hex pairs joined by ':' (how OCI writes fingerprints).
std::string colon_hex(std::string_view bytes);

}  // namespace sluice::crypto
