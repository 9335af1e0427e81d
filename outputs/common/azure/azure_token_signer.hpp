// The http::Signer of Azure outputs: an Entra ID access token for the
// output's scope (client secret, certificate assertion, workload identity or
// managed identity, see azure_credentials.hpp), cached, fetched again before
// it expires, sent as "Authorization: Bearer <token>".
#pragma once
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "outputs/common/azure/azure_credentials.hpp"
#include "outputs/common/azure/entra_token_fetch.hpp"
#include "outputs/common/bearer_token_signer.hpp"
#include "outputs/common/http_output_config.hpp"

namespace sluice::azure {

// Runs on the output's worker io_context (see http::BearerTokenSigner,
// which holds the cache, the one shared fetch, the pause after failures,
// invalidate() and stop()).
//
// An output builds it with the source resolved while the output is built
// (so a bad configuration is a configuration error with its reason):
//   std::string error;
//   auto source = azure::resolve_credentials(settings, error);
//   if (!source) cfg.fail("auth_method", error);
//   auto signer = std::make_unique<azure::TokenSigner>(settings, *source);
//
// A token is used until it has less than min(5 minutes, a tenth of its
// lifetime) left (the Azure SDKs refresh 5 minutes early; the tenth keeps
// short-lived tokens usable). IMDS hands out the token it caches until that
// nears its end, so a refused managed-identity token may come back. Secrets,
// assertions and tokens are never logged.
class TokenSigner final : public http::BearerTokenSigner {
 public:
  // source from resolve_credentials(settings). now: the clock for the
  // assertion's times and token expiry (tests move it).
  TokenSigner(TokenSignerSettings settings, CredentialSource source, Clock now = {});
  ~TokenSigner() override;

  // When a token fetched at `fetched` with lifetime expires_in stops being used.
  static TimePoint refresh_at(TimePoint fetched, std::chrono::seconds expires_in);

 private:
  std::string start_fetching(boost::asio::io_context& io) override;
  void fetch(TimePoint asked_at, http::TokenAnswerDone done) override;
  void stop_fetching() override;
  TimePoint refresh_time(TimePoint asked_at, std::chrono::seconds expires_in) const override {
    return refresh_at(asked_at, expires_in);
  }

  // The token request for the source; nullopt with why in error (an
  // unreadable federated token file, an assertion that can't be signed).
  std::optional<http::Request> token_request(TimePoint now, std::string& error) const;

  const TokenSignerSettings settings_;
  const CredentialSource source_;
  std::optional<http::HttpTarget> target_;  // the token endpoint or IMDS
  std::string who_;                         // names it in reasons and log lines
  std::unique_ptr<http::Client> client_;
};

}  // namespace sluice::azure
