// The http::Signer of Google outputs: an OAuth2 access token from a service
// account's key (JWT-bearer grant) or the metadata server, cached, fetched
// again before it expires, sent as "Authorization: Bearer <token>".
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/log.hpp"
#include "outputs/common/gcp/google_credentials.hpp"
#include "outputs/common/gcp/google_token_fetch.hpp"
#include "outputs/common/http_signer.hpp"

namespace sluice::gcp {

// Runs on the output's worker io_context (see http::Signer): start(),
// sign(), the token fetches and their answers, invalidate() and stop().
//
// A token is used until it has less than min(5 minutes, a tenth of its
// lifetime) left, then a sign() waits for a fresh one, as
// google-auth-library does (its eager refresh threshold is 5 minutes); the
// tenth keeps short-lived tokens (tests, a metadata token near its end)
// usable for most of their life. One fetch at a time: every sign() that
// arrives meanwhile waits for it. A failed fetch fails the waiting sign()s
// with its reason (the sink retries their records with the core's backoff),
// and so does every sign() for a short while after (1 s, doubling up to
// 30 s while fetches keep failing); the first sign() after that tries again.
// Tokens and keys are never logged.
class TokenSigner final : public http::Signer {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  // source from resolve_credentials(settings). now: the clock for JWT times
  // and token expiry (tests move it).
  TokenSigner(TokenSignerSettings settings, CredentialSource source, Clock now = {});
  ~TokenSigner() override;

  void start(boost::asio::io_context& io) override;
  void sign(http::Request& request, std::string_view host, http::SignDone done) override;
  // Forgets the token: the next sign() fetches one. The metadata server
  // hands out the token it caches until that nears its end, so a refused
  // metadata token may come back (nothing better can be had from it).
  void invalidate() override;
  void stop() override;

  // Tokens fetched so far (for tests and a debug line).
  uint64_t tokens_fetched() const { return tokens_fetched_; }

  // When a token fetched at `fetched` with lifetime expires_in stops being
  // used (exposed for tests).
  static std::chrono::system_clock::time_point refresh_at(std::chrono::system_clock::time_point fetched,
                                                          std::chrono::seconds expires_in);

 private:
  struct Waiter {
    http::Request* request;
    http::SignDone done;
  };

  void fetch();
  void on_answer(const TokenAnswer& answer, std::chrono::system_clock::time_point asked_at);

  const TokenSignerSettings settings_;
  const CredentialSource source_;
  Clock now_;
  std::optional<HttpTarget> target_;  // the token endpoint or the metadata server
  std::string who_;                   // names it in reasons and log lines
  std::unique_ptr<http::Client> client_;

  std::string token_;  // "" = none cached
  std::chrono::system_clock::time_point refresh_at_{};
  uint64_t tokens_fetched_ = 0;
  bool fetching_ = false;
  bool stopped_ = false;
  bool failing_ = false;  // the last fetch failed: log the next success at info
  std::string last_error_;  // of the last fetch, until one succeeds
  std::chrono::system_clock::time_point retry_at_{};  // no fetch before, after a failure
  std::chrono::milliseconds holdoff_{0};
  std::vector<Waiter> waiters_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // fetch answers hold it weakly
  log::RateLimit failure_log_{20};
};

}  // namespace sluice::gcp
