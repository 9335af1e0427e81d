// RSA private keys and RSASSA-PKCS1-v1_5 SHA-256 signatures (JWS "RS256",
// RFC 7518 3.3; OCI's "rsa-sha256"): Google service-account JWTs and OCI
// request signatures. With digest.hpp and x509_certificate.hpp, the one
// place the cloud credential helpers call OpenSSL.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, kept out of this header

namespace sluice::crypto {

// Immutable once made; copies share the key. Safe to use from one thread at
// a time (each signature makes its own OpenSSL context).
class RsaPrivateKey {
 public:
  RsaPrivateKey() = default;

  // A PEM private key: "PRIVATE KEY" (PKCS#8, what Google and OCI key files
  // hold) or "RSA PRIVATE KEY" (PKCS#1). An encrypted key ("ENCRYPTED
  // PRIVATE KEY", or PKCS#1 with "Proc-Type: 4,ENCRYPTED") is decrypted with
  // passphrase, and refused when passphrase is empty. nullopt with why in
  // error: OpenSSL's reason or what is wrong (not RSA, encrypted, wrong
  // passphrase), never any of the key's text.
  static std::optional<RsaPrivateKey> from_pem(std::string_view pem, std::string& error,
                                               std::string_view passphrase = {});

  // A fresh key of `bits` (OCI instance principals' session key: 2048). Costs
  // tens of milliseconds of CPU. nullopt with OpenSSL's reason in error.
  static std::optional<RsaPrivateKey> generate(int bits, std::string& error);

  bool valid() const { return key_ != nullptr; }
  int bits() const;

  // The RS256 signature of data (raw bytes, as long as the modulus). PKCS#1
  // v1.5 is deterministic: the same key and data give the same bytes. ""
  // with why in error if OpenSSL failed.
  std::string sign_sha256(std::string_view data, std::string& error) const;

  // The public half as PEM (SubjectPublicKeyInfo), for tests and tools that
  // verify what we signed.
  std::string public_key_pem() const;
  // The same as DER bytes (OCI's API key fingerprint is their MD5).
  std::string public_key_der() const;

  // For the other wrappers in this folder (x509_certificate.cpp).
  evp_pkey_st* native() const { return key_.get(); }

 private:
  std::shared_ptr<evp_pkey_st> key_;
};

}  // namespace sluice::crypto
