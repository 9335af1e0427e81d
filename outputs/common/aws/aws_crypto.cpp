// OpenSSL's one-shot SHA-256 and HMAC; see aws_crypto.hpp.
#include "outputs/common/aws/aws_crypto.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>
#include <cstdlib>

namespace sluice::aws {

namespace {

[[noreturn]] void openssl_broken(const char* what) {
  // SHA-256 is always in OpenSSL's default provider: failing here means a
  // broken installation, not bad input.
  std::fprintf(stderr, "sluice: OpenSSL: %s failed\n", what);
  std::abort();
}

}  // namespace

Digest sha256(std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 || len != out.size())
    openssl_broken("SHA-256");
  return out;
}

Digest hmac_sha256(std::string_view key, std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
           data.size(), out.data(), &len) == nullptr ||
      len != out.size())
    openssl_broken("HMAC-SHA256");
  return out;
}

std::string hex(const Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(digest.size() * 2, '0');
  for (size_t i = 0; i < digest.size(); ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 15];
  }
  return out;
}

}  // namespace sluice::aws
