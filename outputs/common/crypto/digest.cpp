// OpenSSL's EVP digests behind digest.hpp.
#include "outputs/common/crypto/digest.hpp"

#include <openssl/evp.h>

#include "agent/hex.hpp"
#include "outputs/common/crypto/openssl_error.hpp"

namespace sluice::crypto {

namespace {

std::string digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (md == nullptr || EVP_Digest(data.data(), data.size(), out, &size, md, nullptr) != 1) {
    take_openssl_error();
    return {};
  }
  return std::string(reinterpret_cast<const char*>(out), size);
}

}  // namespace

std::string sha256(std::string_view data) { return digest(EVP_sha256(), data); }
std::string sha1(std::string_view data) { return digest(EVP_sha1(), data); }
std::string md5(std::string_view data) { return digest(EVP_md5(), data); }

std::string colon_hex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 3);
  for (char c : bytes) {
    if (!out.empty()) out += ':';
    hex::append(out, std::string_view(&c, 1));
  }
  return out;
}

}  // namespace sluice::crypto
