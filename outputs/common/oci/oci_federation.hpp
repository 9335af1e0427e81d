// The requests and answers of OCI instance principals, as pure functions:
// the instance metadata service (v2) that hands an instance its identity
// certificate, intermediate and key, and the federation endpoint
// (auth.<region>.<realm domain>/v1/x509) that trades a request signed with
// that key, naming a fresh session public key, for a security token. What
// they mean and look like: Oracle's SDKs (oci-go-sdk common/auth,
// oci-typescript-sdk X509FederationClient) and "Calling Services from an
// Instance" in the OCI documentation. Errors quote no key, certificate or
// token.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "outputs/common/crypto/rsa_key.hpp"
#include "outputs/common/crypto/x509_certificate.hpp"
#include "outputs/common/http_client.hpp"

namespace sluice::oci {

// Paths under the metadata service's base URL (…/opc/v2).
inline constexpr std::string_view kMetadataCertPath = "/identity/cert.pem";
inline constexpr std::string_view kMetadataIntermediatePath = "/identity/intermediate.pem";
inline constexpr std::string_view kMetadataKeyPath = "/identity/key.pem";
inline constexpr std::string_view kMetadataRegionInfoPath = "/instance/regionInfo";
inline constexpr std::string_view kFederationPath = "/v1/x509";

// GET <path> with "Authorization: Bearer Oracle", which metadata service v2
// requires of every request.
http::Request metadata_request(std::string path);

// The body of an answer that must be a 200; "" with why in error
// ("<who> answered 404: …", "<who> did not answer: …"). quote_body: the
// error may quote the start of a failure's body (never for key.pem).
std::string read_metadata_answer(const http::Response& response, const std::string& who, bool quote_body,
                                 std::string& error);

struct RegionInfo {
  std::string region;        // regionIdentifier: "us-ashburn-1"
  std::string realm_domain;  // realmDomainComponent: "oraclecloud.com"
};
// instance/regionInfo's JSON.
std::optional<RegionInfo> parse_region_info(std::string_view body, const std::string& who, std::string& error);

// What the metadata service hands out, checked: the key is the
// certificate's, and the certificate names its tenancy ("opc-tenant:<ocid>"
// in its subject, else "opc-identity:<ocid>").
struct InstanceIdentity {
  crypto::X509Certificate certificate;
  crypto::RsaPrivateKey key;
  std::string intermediate_pem;  // may be "" (no intermediate)
  std::string tenancy;
};
std::optional<InstanceIdentity> make_instance_identity(std::string_view cert_pem, std::string_view intermediate_pem,
                                                       std::string_view key_pem, std::string& error);

// "<tenancy>/fed-x509-sha256/<SHA-256 of the certificate, colon hex>": the
// keyId of a federation request (Oracle's Go SDK since 65.95, with
// "fingerprintAlgorithm":"SHA256" in the body; older SDKs sign
// "<tenancy>/fed-x509/<SHA-1>").
std::string federation_key_id(const InstanceIdentity& identity);

// POST <path> {"certificate","publicKey","intermediateCertificates",
// "fingerprintAlgorithm":"SHA256"} (the Go SDK's body): certificates and
// the session public key as their base64 DER (PEM without its armour and
// line breaks). Unsigned: sign it with sign() under federation_key_id and
// the identity's key.
http::Request federation_request(const std::string& path, const InstanceIdentity& identity,
                                 const crypto::RsaPrivateKey& session_key);

struct SecurityToken {
  std::string value;  // a JWT; never logged, never in an error
  std::chrono::system_clock::time_point expires_at{};
  std::chrono::system_clock::time_point issued_at{};  // == expires_at - lifetime; {} when absent
};
// {"token":"<JWT>"}: the token and its exp/iat claims (the token is not
// verified: it is the federation endpoint's word, for OCI to check).
std::optional<SecurityToken> read_federation_answer(const http::Response& response, const std::string& who,
                                                    std::string& error);
// The exp and iat claims of a JWT; nullopt when it is not one or has no exp.
std::optional<SecurityToken> parse_security_token(std::string_view jwt);

// "<who> answered 401: NotAuthenticated: …" / "<who> did not answer: …":
// OCI's error JSON {"code","message"} or the start of the body on one line.
std::string describe_failure(const http::Response& response, const std::string& who, bool quote_body = true);

}  // namespace sluice::oci
