// OpenSSL behind RsaPrivateKey; see rsa_key.hpp.
#include "outputs/common/crypto/rsa_key.hpp"

#include "outputs/common/crypto/openssl_error.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>

namespace sluice::crypto {

namespace {

// PEM_read_bio_PrivateKey asks for a passphrase on the terminal when a key
// is encrypted and no callback is given; a daemon must fail instead, or use
// the passphrase it was configured with (u points to it).
int give_passphrase(char* buf, int size, int /*rwflag*/, void* u) {
  const auto* passphrase = static_cast<const std::string_view*>(u);
  if (passphrase == nullptr || passphrase->empty() || passphrase->size() > static_cast<size_t>(size)) return -1;
  std::memcpy(buf, passphrase->data(), passphrase->size());
  return static_cast<int>(passphrase->size());
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

}  // namespace

std::optional<RsaPrivateKey> RsaPrivateKey::from_pem(std::string_view pem, std::string& error,
                                                    std::string_view passphrase) {
  if (pem.find("-----BEGIN") == std::string_view::npos) {
    error = "not a PEM key (no -----BEGIN line)";
    return std::nullopt;
  }
  bool encrypted = pem.find("-----BEGIN ENCRYPTED") != std::string_view::npos ||
                   pem.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos;
  if (encrypted && passphrase.empty()) {
    error = "the key is encrypted; sluice needs it without a passphrase";
    return std::nullopt;
  }
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) {
    error = take_openssl_error();
    return std::nullopt;
  }
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, give_passphrase, &passphrase);
  if (!raw) {
    std::string why = take_openssl_error();
    error = encrypted ? "cannot decrypt the key with the passphrase given (" + why + ")"
                      : "not a readable PEM private key (" + why + ")";
    return std::nullopt;
  }
  RsaPrivateKey key;
  key.key_ = std::shared_ptr<evp_pkey_st>(raw, EVP_PKEY_free);
  if (EVP_PKEY_base_id(raw) != EVP_PKEY_RSA) {
    error = "the key is not an RSA key (RS256 needs one)";
    return std::nullopt;
  }
  ERR_clear_error();
  return key;
}

std::optional<RsaPrivateKey> RsaPrivateKey::generate(int bits, std::string& error) {
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), bits) != 1 ||
      EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    error = "cannot generate an RSA key: " + take_openssl_error();
    return std::nullopt;
  }
  RsaPrivateKey key;
  key.key_ = std::shared_ptr<evp_pkey_st>(raw, EVP_PKEY_free);
  return key;
}

int RsaPrivateKey::bits() const { return key_ ? EVP_PKEY_get_bits(key_.get()) : 0; }

std::string RsaPrivateKey::sign_sha256(std::string_view data, std::string& error) const {
  if (!key_) {
    error = "no key";
    return {};
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  // An RSA key signs with PKCS#1 v1.5 padding unless told otherwise.
  size_t size = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size, in, data.size()) != 1) {
    error = "cannot sign: " + take_openssl_error();
    return {};
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size, in, data.size()) != 1) {
    error = "cannot sign: " + take_openssl_error();
    return {};
  }
  signature.resize(size);
  return signature;
}

std::string RsaPrivateKey::public_key_pem() const {
  if (!key_) return {};
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) {
    take_openssl_error();
    return {};
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

std::string RsaPrivateKey::public_key_der() const {
  if (!key_) return {};
  int size = i2d_PUBKEY(key_.get(), nullptr);
  if (size <= 0) {
    take_openssl_error();
    return {};
  }
  std::string der(static_cast<size_t>(size), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_PUBKEY(key_.get(), &out);
  return der;
}

}  // namespace sluice::crypto
