// OpenSSL's one-shot SHA-256 and HMAC; see aws_crypto.hpp.
#include "outputs/common/aws/aws_crypto.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>
#include <cstdlib>

#include "agent/hex.hpp"

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
  return hex::lower(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

}  // namespace sluice::aws
