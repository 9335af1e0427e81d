// Where a Google output's access tokens come from: its settings, then the
// environment (GOOGLE_APPLICATION_CREDENTIALS), then the GCE/GKE metadata
// server, resolved once when the output is built; and the project id those
// credentials belong to.
#pragma once
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "outputs/common/gcp/service_account.hpp"

namespace sluice::gcp {

inline constexpr std::string_view kLoggingWriteScope = "https://www.googleapis.com/auth/logging.write";
inline constexpr std::string_view kDefaultMetadataServer = "http://metadata.google.internal";

// What the output's config reader fills (Fluent Bit's stackdriver keys in
// brackets).
struct TokenSignerSettings {
  // [google_service_credentials] A service-account key file (JSON).
  std::string credentials_file;
  // [service_account_email, service_account_secret] The account and its PEM
  // private key, instead of a file.
  std::string service_account_email;
  std::string service_account_secret;
  // Space-separated OAuth scopes asked for with a service account's key.
  // Metadata-server tokens carry the VM's scopes.
  std::string scope{kLoggingWriteScope};
  // JWT sub: a Workspace user the account acts as (domain-wide delegation);
  // "" = the account itself.
  std::string subject;
  // [metadata_server] The metadata server's base URL; a bare host[:port]
  // means http://host[:port].
  std::string metadata_server{kDefaultMetadataServer};
  // Fall back to the metadata server when no key is configured or in
  // GOOGLE_APPLICATION_CREDENTIALS.
  bool use_metadata_server = true;
  // Where assertions are posted instead of the key's token_uri (a proxy, a
  // Private Service Connect endpoint, a stand-in); "" = the key's. The
  // assertion's aud stays the key's token_uri.
  std::string token_endpoint;
  // Each token or metadata request: to connect, and again to be answered.
  std::chrono::milliseconds http_timeout{10'000};
};

// The source resolved from the settings and the environment.
struct CredentialSource {
  // A key (settings or GOOGLE_APPLICATION_CREDENTIALS), or null: the
  // metadata server.
  std::shared_ptr<const ServiceAccount> account;
  // Service account: where assertions are posted; metadata: the server's base URL.
  std::string endpoint;
  // For log lines: "google_service_credentials /etc/sa.json",
  // "GOOGLE_APPLICATION_CREDENTIALS /x.json", "service_account_email",
  // "the metadata server http://metadata.google.internal".
  std::string origin;

  bool from_metadata_server() const { return account == nullptr; }
  // The key file's project_id; "" for the metadata server (ask it with
  // fetch_metadata_project_id) or a key without one.
  std::string project_id() const { return account ? account->project_id : std::string(); }
};

// In order: settings.credentials_file, settings.service_account_email +
// secret, the key file GOOGLE_APPLICATION_CREDENTIALS names, the metadata
// server (when use_metadata_server). nullopt with a one-line error (a key
// file that can't be used, half of email + secret, a bad URL, no source at
// all): a configuration error. A key that is configured but broken is an
// error, never a silent fall back to the next source.
std::optional<CredentialSource> resolve_credentials(const TokenSignerSettings& settings, std::string& error);

// The project id to write to when the output names none: the key file's
// project_id, else the metadata server's (a blocking request of at most
// settings.http_timeout: call it while the output starts, not on the data
// path). "" with why in error when neither has one.
std::string resolve_project_id(const CredentialSource& source, const TokenSignerSettings& settings,
                               std::string& error);

}  // namespace sluice::gcp
