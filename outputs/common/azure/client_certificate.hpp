// An Entra ID application's certificate credential: the X.509 certificate
// (its thumbprints name it in the client assertion's header) and the RSA
// private key that signs the assertion. The one place the azure helpers
// call OpenSSL.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "outputs/common/crypto/rsa_key.hpp"

namespace sluice::azure {

struct ClientCertificate {
  // base64url (no padding) of the SHA-1 / SHA-256 of the certificate's DER:
  // the JWT header's x5t and x5t#S256 (RFC 7515 4.1.7, 4.1.8).
  std::string x5t;
  std::string x5t_s256;
  // The SHA-1 thumbprint as the Azure portal shows it (40 uppercase hex
  // digits), for log lines.
  std::string thumbprint_hex;
  crypto::RsaPrivateKey key;
};

// Reads the PEM certificate (the first CERTIFICATE block) from cert_pem and
// its private key from key_pem (the same text when one file holds both, in
// either order). nullopt with a one-line reason: no certificate, no key, an
// encrypted or non-RSA key, a key that does not belong to the certificate.
// The reason never quotes the key.
std::optional<ClientCertificate> parse_client_certificate(std::string_view cert_pem, std::string_view key_pem,
                                                          std::string& error);

// The same from files (key_file "" = the key is in cert_file); errors name
// the file.
std::optional<ClientCertificate> read_client_certificate(const std::string& cert_file, const std::string& key_file,
                                                         std::string& error);

}  // namespace sluice::azure
