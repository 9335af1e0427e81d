// Where an OCI output's signing key comes from: an API key (a profile of the
// OCI config file, or user/tenancy/fingerprint/key_file given directly), a
// session token (security_token_file, as "oci session authenticate"
// writes), or the instance's own identity (instance principals). Resolved
// once when the output is built; errors name the file, line or setting and
// never quote key material.
#pragma once
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "outputs/common/crypto/rsa_key.hpp"

namespace sluice::oci {

enum class AuthType { ApiKey, InstancePrincipal };

inline constexpr std::string_view kDefaultMetadataUrl = "http://169.254.169.254/opc/v2";
inline constexpr std::string_view kDefaultRealmDomain = "oraclecloud.com";

// What the output's config reader fills.
struct SignerSettings {
  AuthType auth_type = AuthType::ApiKey;

  // api_key: a profile of the OCI config file…
  std::string config_file;  // "" = OCI_CONFIG_FILE, else ~/.oci/config
  std::string profile;      // "" = OCI_CLI_PROFILE, else DEFAULT
  // …whose values these override. With user, tenancy, fingerprint and
  // key_file all set (or security_token_file and key_file), no file is read.
  std::string user;         // ocid1.user.…
  std::string tenancy;      // ocid1.tenancy.…
  std::string fingerprint;  // of the API key: MD5 of its public key, "aa:bb:…" (16 pairs)
  std::string key_file;     // PEM private key; "~/" expanded
  std::string pass_phrase;  // when key_file is encrypted
  std::string security_token_file;  // a session token: keyId "ST$<token>", key_file its session key
  // Also read for the output's endpoint (ingestion.logging.<region>.oci.<realm domain>).
  std::string region;

  // instance_principal: the instance metadata service (v2) and the
  // federation endpoint (tests point both at a stand-in).
  std::string metadata_url{kDefaultMetadataUrl};
  std::string federation_endpoint;  // "" = https://auth.<region>.<realm domain>
  // Each metadata or federation request: to connect, and again to be answered.
  std::chrono::milliseconds http_timeout{10'000};
};

struct Credentials {
  AuthType auth_type = AuthType::ApiKey;
  std::string region;  // "" when neither the settings nor the profile name one (api_key)
  std::string realm_domain{kDefaultRealmDomain};
  // For log lines: "profile DEFAULT of /root/.oci/config",
  // "user/tenancy/fingerprint/key_file settings", "instance principal
  // (metadata service http://169.254.169.254/opc/v2)".
  std::string origin;

  // api_key: the keyId and key; with a security token, key_id is "" and
  // the token is read from security_token_file (again whenever it changes).
  std::string key_id;
  std::shared_ptr<const crypto::RsaPrivateKey> key;
  std::string security_token_file;

  // instance_principal.
  std::string metadata_url;
  std::string federation_endpoint;  // "https://auth.<region>.<realm domain>" or the setting
  std::chrono::milliseconds http_timeout{10'000};
};

// api_key: the profile (when one is needed) merged with the settings, the
// key read and checked against the fingerprint. instance_principal: the
// region and realm from the metadata service when neither region nor
// federation_endpoint is set — a blocking request of at most http_timeout:
// call it while the output is built, not on the data path. nullopt with a
// one-line reason.
std::optional<Credentials> resolve_credentials(const SignerSettings& settings, std::string& error);

// The MD5 fingerprint OCI shows for an API key ("aa:bb:…"), from its
// private half; "" when OpenSSL can't make MD5 (FIPS).
std::string api_key_fingerprint(const crypto::RsaPrivateKey& key);

// A security token file's token (the file's text, trimmed); nullopt with
// why in error (unreadable, empty).
std::optional<std::string> read_security_token(const std::string& path, std::string& error);

}  // namespace sluice::oci
