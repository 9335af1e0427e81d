// An X.509 certificate read from PEM (OCI instance principals: the
// instance's leaf certificate, whose subject names the tenancy).
#pragma once
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outputs/common/crypto/rsa_key.hpp"

struct x509_st;  // OpenSSL's X509, kept out of this header

namespace sluice::crypto {

// Immutable once made; copies share the certificate.
class X509Certificate {
 public:
  // The first "CERTIFICATE" block of pem. nullopt with why in error
  // (OpenSSL's reason).
  static std::optional<X509Certificate> from_pem(std::string_view pem, std::string& error);

  // The certificate's DER bytes (fingerprints hash them; the PEM body is
  // their base64).
  const std::string& der() const { return der_; }
  // The value of every attribute of the subject, in order, as UTF-8
  // ("ocid1.instance.oc1…", "opc-tenant:ocid1.tenancy.oc1…", …).
  std::vector<std::string> subject_values() const;
  std::chrono::system_clock::time_point not_after() const;
  // key is the private half of the certificate's public key.
  bool matches(const RsaPrivateKey& key) const;

 private:
  std::shared_ptr<x509_st> cert_;
  std::string der_;
};

}  // namespace sluice::crypto
