// OpenSSL behind RsaPrivateKey; see rs256.hpp.
#include "outputs/common/gcp/rs256.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace sluice::gcp {

namespace {

// The reason of OpenSSL's most recent error ("no start line", "bad base64
// decode"), then the thread's error queue emptied: the TLS code on this
// thread reads that queue, and a stale entry would be blamed on a connection.
std::string take_openssl_error() {
  unsigned long code = ERR_peek_last_error();
  std::string out;
  if (code != 0) {
    const char* reason = ERR_reason_error_string(code);
    out = reason ? reason : "error " + std::to_string(code);
  }
  ERR_clear_error();
  return out.empty() ? "unknown OpenSSL error" : out;
}

// PEM_read_bio_PrivateKey asks for a passphrase on the terminal when a key
// is encrypted and no callback is given; a daemon must fail instead.
int no_passphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) { return -1; }

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

}  // namespace

std::optional<RsaPrivateKey> RsaPrivateKey::from_pem(std::string_view pem, std::string& error) {
  if (pem.find("-----BEGIN") == std::string_view::npos) {
    error = "not a PEM key (no -----BEGIN line)";
    return std::nullopt;
  }
  if (pem.find("-----BEGIN ENCRYPTED") != std::string_view::npos ||
      pem.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos) {
    error = "the key is encrypted; sluice needs it without a passphrase";
    return std::nullopt;
  }
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) {
    error = take_openssl_error();
    return std::nullopt;
  }
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr);
  if (!raw) {
    error = "not a readable PEM private key (" + take_openssl_error() + ")";
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

}  // namespace sluice::gcp
