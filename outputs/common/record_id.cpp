// SHA-256 record ids over OpenSSL's EVP interface; see record_id.hpp.
#include "outputs/common/record_id.hpp"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

#include "agent/hex.hpp"

namespace sluice {

struct RecordIdHasher::Impl {
  EVP_MD* md = nullptr;       // fetched once: OpenSSL 3's implicit fetch per call is slow
  EVP_MD_CTX* ctx = nullptr;  // reused for every id
};

namespace {

[[noreturn]] void openssl_broken(const char* what) {
  // SHA-256 is always in OpenSSL's default provider; failing here means a
  // broken installation, not bad input.
  std::fprintf(stderr, "sluice: OpenSSL: %s failed\n", what);
  std::abort();
}

}  // namespace

RecordIdHasher::RecordIdHasher() : impl_(std::make_unique<Impl>()) {
  impl_->md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  impl_->ctx = EVP_MD_CTX_new();
  if (impl_->md == nullptr || impl_->ctx == nullptr) openssl_broken("SHA-256 setup");
}

RecordIdHasher::~RecordIdHasher() {
  EVP_MD_CTX_free(impl_->ctx);
  EVP_MD_free(impl_->md);
}

void RecordIdHasher::id(std::string_view tag, int64_t time_ns, std::string_view source, char* out) {
  unsigned char time_bytes[8];
  auto t = static_cast<uint64_t>(time_ns);
  for (int i = 0; i < 8; ++i) time_bytes[i] = static_cast<unsigned char>(t >> (8 * i));
  // The tag's length first, so that tag/source boundaries can't shift.
  unsigned char tag_len[4];
  auto n = static_cast<uint32_t>(tag.size());
  for (int i = 0; i < 4; ++i) tag_len[i] = static_cast<unsigned char>(n >> (8 * i));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_DigestInit_ex(impl_->ctx, impl_->md, nullptr) != 1 || EVP_DigestUpdate(impl_->ctx, tag_len, 4) != 1 ||
      EVP_DigestUpdate(impl_->ctx, tag.data(), tag.size()) != 1 ||
      EVP_DigestUpdate(impl_->ctx, time_bytes, 8) != 1 ||
      EVP_DigestUpdate(impl_->ctx, source.data(), source.size()) != 1 ||
      EVP_DigestFinal_ex(impl_->ctx, digest, &digest_len) != 1)
    openssl_broken("SHA-256 digest");
  for (size_t i = 0; i < kHexLength / 2; ++i) {
    out[2 * i] = hex::kDigits[digest[i] >> 4];
    out[2 * i + 1] = hex::kDigits[digest[i] & 15];
  }
}

}  // namespace sluice
