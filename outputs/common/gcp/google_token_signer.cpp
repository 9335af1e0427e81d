// Google access tokens as Bearer credentials; see google_token_signer.hpp.
#include "outputs/common/gcp/google_token_signer.hpp"

#include "outputs/common/gcp/jwt.hpp"

namespace sluice::gcp {

namespace {

http::BearerTokenSigner::Names names(const CredentialSource& source) {
  http::BearerTokenSigner::Names n;
  n.provider = "Google";
  n.kind = "access token";
  n.who = source.from_metadata_server()
              ? "GCE metadata server " + source.endpoint + std::string(kMetadataTokenPath)
              : "Google token endpoint " + source.endpoint;
  n.source = source.origin;
  return n;
}

}  // namespace

TokenSigner::TokenSigner(TokenSignerSettings settings, CredentialSource source, Clock now)
    : http::BearerTokenSigner(names(source), std::move(now)),
      settings_(std::move(settings)),
      source_(std::move(source)) {
  bool metadata = source_.from_metadata_server();
  // The metadata server is on the VM's link: never through a proxy.
  target_ = parse_http_target(source_.endpoint, settings_.http_timeout, !metadata);
  who_ = names(source_).who;
}

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

void TokenSigner::fetch(TimePoint asked_at, http::TokenAnswerDone done) {
  http::Request request;
  bool metadata = source_.from_metadata_server();
  if (metadata) {
    // No ?scopes=: the token carries the scopes the VM or the GKE service
    // account was given, as Fluent Bit and Google's libraries ask by default.
    request = metadata_request(target_->path + std::string(kMetadataTokenPath));
  } else {
    const ServiceAccount& account = *source_.account;
    AssertionFields f;
    f.key_id = account.private_key_id;
    f.issuer = account.client_email;
    f.subject = settings_.subject;
    f.scope = settings_.scope;
    f.audience = account.token_uri;
    f.issued_at = unix_seconds(asked_at);
    std::string error;
    std::string assertion = make_assertion(f, account.key, error);
    if (assertion.empty()) {
      TokenAnswer failed;
      failed.error = "cannot sign the assertion for " + account.client_email + ": " + error;
      return done(failed);
    }
    request = jwt_grant_request(target_->path, assertion);
  }
  client_->send(std::move(request), [this, metadata, done = std::move(done)](http::Response response) {
    done(read_token_answer(response, who_, metadata));
  });
}

}  // namespace sluice::gcp
