// Entra ID access tokens as Bearer credentials; see azure_token_signer.hpp.
#include "outputs/common/azure/azure_token_signer.hpp"

#include <cctype>
#include <fstream>
#include <sstream>

#include "outputs/common/azure/client_assertion.hpp"
#include "outputs/common/gcp/jwt.hpp"

namespace sluice::azure {

namespace {

// The projected service-account token, trimmed; "" with why in error.
std::string read_federated_token(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read the federated token file " + path;
    return {};
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.front()))) token.erase(0, 1);
  if (token.empty()) error = "the federated token file " + path + " is empty";
  return token;
}

http::BearerTokenSigner::Names names(const CredentialSource& source) {
  http::BearerTokenSigner::Names n;
  n.provider = "Azure";
  n.kind = "access token";
  n.who = (source.method == AuthMethod::ManagedIdentity ? "Azure IMDS " : "Entra ID token endpoint ") + source.token_url;
  n.source = source.origin;
  return n;
}

}  // namespace

TokenSigner::TokenSigner(TokenSignerSettings settings, CredentialSource source, Clock now)
    : http::BearerTokenSigner(names(source), std::move(now)),
      settings_(std::move(settings)),
      source_(std::move(source)),
      // IMDS is link-local to the VM: never through a proxy.
      target_(http::parse_http_target(source_.token_url, settings_.http_timeout,
                                      source_.method != AuthMethod::ManagedIdentity)),
      who_(names(source_).who) {}

TokenSigner::~TokenSigner() = default;

TokenSigner::TimePoint TokenSigner::refresh_at(TimePoint fetched, std::chrono::seconds expires_in) {
  return refresh_early(fetched, expires_in);
}

std::string TokenSigner::start_fetching(boost::asio::io_context& io) {
  // resolve_credentials checked the URL; a signer made from a hand-built
  // source without one fails each sign() with the reason instead.
  if (!target_) return who_ + " is not an http(s) URL";
  client_ = std::make_unique<http::Client>(io, target_->client);
  return {};
}

void TokenSigner::stop_fetching() {
  if (client_) client_->close();
}

std::optional<http::Request> TokenSigner::token_request(TimePoint now, std::string& error) const {
  const std::string& path = target_->path;
  switch (source_.method) {
    case AuthMethod::ManagedIdentity:
      return imds_request(path, source_.imds_query);
    case AuthMethod::ClientSecret:
      return client_credentials_request(path, source_.client_id, source_.scope, secret_fields(source_.client_secret));
    case AuthMethod::ClientCertificate: {
      AssertionFields f;
      f.client_id = source_.client_id;
      f.audience = source_.token_url;
      f.jwt_id = new_jwt_id();
      f.not_before = gcp::unix_seconds(now);
      std::string assertion = make_client_assertion(f, *source_.certificate, error);
      if (assertion.empty()) {
        error = "cannot sign the client assertion: " + error;
        return std::nullopt;
      }
      return client_credentials_request(path, source_.client_id, source_.scope, assertion_fields(assertion));
    }
    case AuthMethod::WorkloadIdentity: {
      std::string token = read_federated_token(source_.federated_token_file, error);
      if (token.empty()) return std::nullopt;
      return client_credentials_request(path, source_.client_id, source_.scope, assertion_fields(token));
    }
    case AuthMethod::Auto:
      break;
  }
  error = "no credential source was resolved";
  return std::nullopt;
}

void TokenSigner::fetch(TimePoint asked_at, http::TokenAnswerDone done) {
  std::string error;
  std::optional<http::Request> request = token_request(asked_at, error);
  if (!request) {
    TokenAnswer failed;
    failed.error = error;
    return done(failed);
  }
  client_->send(std::move(*request), [this, done = std::move(done)](http::Response response) {
    done(read_token_answer(response, who_, now()));
  });
}

}  // namespace sluice::azure
