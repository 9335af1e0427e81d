// The http::Signer of Google outputs: an OAuth2 access token from a service
// account's key (JWT-bearer grant) or the metadata server, cached, fetched
// again before it expires, sent as "Authorization: Bearer <token>".
#pragma once
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "outputs/common/bearer_token_signer.hpp"
#include "outputs/common/gcp/google_credentials.hpp"
#include "outputs/common/gcp/google_token_fetch.hpp"

namespace sluice::gcp {

// Runs on the output's worker io_context (see http::BearerTokenSigner,
// which holds the cache, the shared fetch and the pause after failures).
//
// A token is used until it has less than min(5 minutes, a tenth of its
// lifetime) left, then a sign() waits for a fresh one, as
// google-auth-library does (its eager refresh threshold is 5 minutes); the
// tenth keeps short-lived tokens (tests, a metadata token near its end)
// usable for most of their life. Tokens and keys are never logged. The
// metadata server hands out the token it caches until that nears its end,
// so a metadata token forgotten by invalidate() may come back (nothing
// better can be had from it).
class TokenSigner final : public http::BearerTokenSigner {
 public:
  // source from resolve_credentials(settings). now: the clock for JWT times
  // and token expiry (tests move it).
  TokenSigner(TokenSignerSettings settings, CredentialSource source, Clock now = {});
  ~TokenSigner() override;

  // When a token fetched at `fetched` with lifetime expires_in stops being
  // used (exposed for tests).
  static TimePoint refresh_at(TimePoint fetched, std::chrono::seconds expires_in);

 private:
  std::string start_fetching(boost::asio::io_context& io) override;
  void fetch(TimePoint asked_at, http::TokenAnswerDone done) override;
  void stop_fetching() override;
  TimePoint refresh_time(TimePoint asked_at, std::chrono::seconds expires_in) const override {
    return refresh_at(asked_at, expires_in);
  }

  const TokenSignerSettings settings_;
  const CredentialSource source_;
  std::optional<HttpTarget> target_;  // the token endpoint or the metadata server
  std::string who_;                   // names it in reasons and log lines
  std::unique_ptr<http::Client> client_;
};

}  // namespace sluice::gcp
