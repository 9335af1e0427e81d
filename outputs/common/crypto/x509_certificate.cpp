// OpenSSL behind X509Certificate; see x509_certificate.hpp.
#include "outputs/common/crypto/x509_certificate.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "outputs/common/crypto/openssl_error.hpp"

namespace sluice::crypto {

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

}  // namespace

std::optional<X509Certificate> X509Certificate::from_pem(std::string_view pem, std::string& error) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509* raw = bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (!raw) {
    error = "not a readable PEM certificate (" + take_openssl_error() + ")";
    return std::nullopt;
  }
  X509Certificate cert;
  cert.cert_ = std::shared_ptr<x509_st>(raw, X509_free);
  int size = i2d_X509(raw, nullptr);
  if (size <= 0) {
    error = "cannot encode the certificate (" + take_openssl_error() + ")";
    return std::nullopt;
  }
  cert.der_.resize(static_cast<size_t>(size));
  auto* out = reinterpret_cast<unsigned char*>(cert.der_.data());
  i2d_X509(raw, &out);
  return cert;
}

std::vector<std::string> X509Certificate::subject_values() const {
  std::vector<std::string> out;
  const X509_NAME* name = X509_get_subject_name(cert_.get());
  for (int i = 0; name && i < X509_NAME_entry_count(name); ++i) {
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    unsigned char* utf8 = nullptr;
    int size = ASN1_STRING_to_UTF8(&utf8, data);
    if (size < 0) {
      ERR_clear_error();
      continue;
    }
    out.emplace_back(reinterpret_cast<const char*>(utf8), static_cast<size_t>(size));
    OPENSSL_free(utf8);
  }
  return out;
}

std::chrono::system_clock::time_point X509Certificate::not_after() const {
  struct tm t {};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert_.get()), &t) != 1) {
    ERR_clear_error();
    return {};
  }
  return std::chrono::system_clock::from_time_t(timegm(&t));
}

bool X509Certificate::matches(const RsaPrivateKey& key) const {
  bool ok = key.valid() && X509_check_private_key(cert_.get(), key.native()) == 1;
  ERR_clear_error();
  return ok;
}

}  // namespace sluice::crypto
