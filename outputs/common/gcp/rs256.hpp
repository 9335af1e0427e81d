// RSA private keys and RS256 signatures (RSASSA-PKCS1-v1_5 with SHA-256,
// RFC 7518 3.3) for Google service-account JWTs: the one place the gcp
// helpers call OpenSSL.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, kept out of this header

namespace sluice::gcp {

// Immutable once made; copies share the key. Safe to use from one thread at
// a time (each signature makes its own OpenSSL context).
class RsaPrivateKey {
 public:
  RsaPrivateKey() = default;

  // A PEM private key: "PRIVATE KEY" (PKCS#8, what Google key files hold) or
  // "RSA PRIVATE KEY" (PKCS#1). nullopt with why in error: OpenSSL's reason
  // or what is wrong (not RSA, encrypted), never any of the key's text.
  static std::optional<RsaPrivateKey> from_pem(std::string_view pem, std::string& error);

  bool valid() const { return key_ != nullptr; }
  int bits() const;

  // The RS256 signature of data (raw bytes, as long as the modulus). PKCS#1
  // v1.5 is deterministic: the same key and data give the same bytes. ""
  // with why in error if OpenSSL failed.
  std::string sign_sha256(std::string_view data, std::string& error) const;

  // The public half as PEM (SubjectPublicKeyInfo), for tests and tools that
  // verify what we signed.
  std::string public_key_pem() const;

 private:
  std::shared_ptr<evp_pkey_st> key_;
};

}  // namespace sluice::gcp
