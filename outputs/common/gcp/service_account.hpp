// Google service-account credentials: the JSON key file the Cloud console
// downloads, or Fluent Bit's service_account_email + service_account_secret.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "outputs/common/crypto/rsa_key.hpp"

namespace sluice::gcp {

// Where Google's token endpoint is when a key file names none.
inline constexpr std::string_view kDefaultTokenUri = "https://oauth2.googleapis.com/token";

struct ServiceAccount {
  std::string project_id;      // "" when the key file has none
  std::string private_key_id;  // the JWT's kid; may be ""
  std::string client_email;    // the JWT's iss
  // Where assertions are posted and their aud, as Google's own Python and Go
  // libraries use it; kDefaultTokenUri when the file has none.
  std::string token_uri;
  crypto::RsaPrivateKey key;
};

// Reads a key file ({"type":"service_account","project_id",…}). Errors are
// one line that names the file and what is wrong with it: unreadable, not
// JSON, a type other than service_account (authorized_user from gcloud auth
// application-default login, external_account, …), private_key or
// client_email missing, a key OpenSSL can't read, a token_uri that isn't an
// http(s) URL. They never quote the private key.
std::optional<ServiceAccount> read_service_account_file(const std::string& path, std::string& error);

// The same for a key file's text; `what` names it in errors ("Google
// credentials file /etc/sa.json").
std::optional<ServiceAccount> parse_service_account_json(std::string_view json, const std::string& what,
                                                         std::string& error);

// Fluent Bit's service_account_email + service_account_secret: the PEM key
// given directly. A key pasted from a key file with its "\n" escapes still
// in it is accepted. No project id, token_uri kDefaultTokenUri.
std::optional<ServiceAccount> service_account_from_key(std::string email, std::string_view pem,
                                                       std::string& error);

}  // namespace sluice::gcp
