// Resolving a Google output's credential source; see google_credentials.hpp.
#include "outputs/common/gcp/google_credentials.hpp"

#include <cstdlib>

#include "outputs/common/gcp/google_token_fetch.hpp"

namespace sluice::gcp {

namespace {

std::optional<CredentialSource> from_account(std::optional<ServiceAccount> account,
                                             const TokenSignerSettings& settings, std::string origin,
                                             std::string& error) {
  if (!account) return std::nullopt;
  CredentialSource source;
  source.endpoint = settings.token_endpoint.empty() ? account->token_uri : settings.token_endpoint;
  if (!parse_http_target(source.endpoint, settings.http_timeout, false)) {
    error = "the Google token endpoint is not an http(s) URL: " + source.endpoint;
    return std::nullopt;
  }
  source.account = std::make_shared<const ServiceAccount>(std::move(*account));
  source.origin = std::move(origin);
  return source;
}

}  // namespace

std::optional<CredentialSource> resolve_credentials(const TokenSignerSettings& settings, std::string& error) {
  if (!settings.credentials_file.empty()) {
    if (!settings.service_account_email.empty() || !settings.service_account_secret.empty()) {
      error = "google_service_credentials and service_account_email/service_account_secret exclude each other";
      return std::nullopt;
    }
    return from_account(read_service_account_file(settings.credentials_file, error), settings,
                        "google_service_credentials " + settings.credentials_file, error);
  }
  if (!settings.service_account_email.empty() || !settings.service_account_secret.empty()) {
    std::optional<ServiceAccount> account =
        service_account_from_key(settings.service_account_email, settings.service_account_secret, error);
    return from_account(std::move(account), settings, "service_account_email " + settings.service_account_email, error);
  }
  const char* env = std::getenv("GOOGLE_APPLICATION_CREDENTIALS");
  if (env && *env) {
    std::string path(env);
    std::optional<ServiceAccount> account = read_service_account_file(path, error);
    if (!account) error += " (named by GOOGLE_APPLICATION_CREDENTIALS)";
    return from_account(std::move(account), settings, "GOOGLE_APPLICATION_CREDENTIALS " + path, error);
  }
  if (!settings.use_metadata_server) {
    error = "no Google credentials: set google_service_credentials (a service account key file), "
            "service_account_email and service_account_secret, or GOOGLE_APPLICATION_CREDENTIALS";
    return std::nullopt;
  }
  // A bare host[:port] (as GCE_METADATA_HOST is written) means http: the
  // metadata server speaks nothing else.
  std::string url = settings.metadata_server;
  if (url.find("://") == std::string::npos) url = "http://" + url;
  if (!parse_http_target(url, settings.http_timeout, false)) {
    error = "metadata_server is not an http URL: " + settings.metadata_server;
    return std::nullopt;
  }
  CredentialSource source;
  source.endpoint = url;
  source.origin = "the metadata server " + url;
  return source;
}

std::string resolve_project_id(const CredentialSource& source, const TokenSignerSettings& settings,
                               std::string& error) {
  if (!source.from_metadata_server()) {
    if (source.account->project_id.empty()) {
      error = "the credentials from " + source.origin + " name no project: set export_to_project_id";
    }
    return source.account->project_id;
  }
  std::string id = fetch_metadata_project_id(source.endpoint, settings.http_timeout, error);
  if (!error.empty()) error = "cannot learn the project id (set export_to_project_id): " + error;
  return id;
}

}  // namespace sluice::gcp
