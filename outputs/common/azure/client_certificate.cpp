// OpenSSL behind ClientCertificate; see client_certificate.hpp.
#include "outputs/common/azure/client_certificate.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "outputs/common/gcp/jwt.hpp"

namespace sluice::azure {

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};

std::string openssl_reason() {
  unsigned long code = ERR_peek_last_error();
  const char* reason = code ? ERR_reason_error_string(code) : nullptr;
  std::string out = reason ? reason : "unknown OpenSSL error";
  // A stale entry would be blamed on the next TLS connection of this thread.
  ERR_clear_error();
  return out;
}

std::string digest(const std::string& der, const EVP_MD* md) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(der.data(), der.size(), out, &size, md, nullptr) != 1) return {};
  return std::string(reinterpret_cast<const char*>(out), size);
}

std::string public_key_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) return {};
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

std::optional<std::string> read_text(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path;
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::optional<ClientCertificate> parse_client_certificate(std::string_view cert_pem, std::string_view key_pem,
                                                          std::string& error) {
  if (cert_pem.find("-----BEGIN CERTIFICATE-----") == std::string_view::npos) {
    error = "no PEM certificate (-----BEGIN CERTIFICATE-----) in it";
    return std::nullopt;
  }
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  // PEM_read_bio_X509 skips blocks of other types, so a key before the
  // certificate is fine.
  std::unique_ptr<X509, X509Free> cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) {
    error = "not a readable PEM certificate (" + openssl_reason() + ")";
    return std::nullopt;
  }
  unsigned char* der_bytes = nullptr;
  int der_size = i2d_X509(cert.get(), &der_bytes);
  if (der_size <= 0) {
    error = "cannot encode the certificate (" + openssl_reason() + ")";
    return std::nullopt;
  }
  std::string der(reinterpret_cast<const char*>(der_bytes), static_cast<size_t>(der_size));
  OPENSSL_free(der_bytes);

  std::optional<crypto::RsaPrivateKey> key = crypto::RsaPrivateKey::from_pem(key_pem, error);
  if (!key) {
    error = "its private key: " + error;
    return std::nullopt;
  }
  // A key that is not the certificate's signs assertions Entra ID refuses
  // (AADSTS700027) only once the output runs; say so while it starts.
  if (public_key_pem(X509_get0_pubkey(cert.get())) != key->public_key_pem()) {
    ERR_clear_error();
    error = "the private key does not belong to the certificate";
    return std::nullopt;
  }
  ClientCertificate c;
  std::string sha1 = digest(der, EVP_sha1());
  c.x5t = gcp::base64url(sha1);
  c.x5t_s256 = gcp::base64url(digest(der, EVP_sha256()));
  static const char* const kHex = "0123456789ABCDEF";
  for (unsigned char b : sha1) {
    c.thumbprint_hex += kHex[b >> 4];
    c.thumbprint_hex += kHex[b & 15];
  }
  c.key = std::move(*key);
  return c;
}

std::optional<ClientCertificate> read_client_certificate(const std::string& cert_file, const std::string& key_file,
                                                         std::string& error) {
  std::optional<std::string> cert = read_text(cert_file, error);
  if (!cert) return std::nullopt;
  std::optional<std::string> key = key_file.empty() ? cert : read_text(key_file, error);
  if (!key) return std::nullopt;
  std::optional<ClientCertificate> c = parse_client_certificate(*cert, *key, error);
  if (!c) error = "client certificate " + cert_file + (key_file.empty() ? "" : " (key " + key_file + ")") + ": " + error;
  return c;
}

}  // namespace sluice::azure
