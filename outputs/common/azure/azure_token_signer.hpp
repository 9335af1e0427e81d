// The http::Signer of Azure outputs: an Entra ID access token for the
// output's scope (client secret, certificate assertion, workload identity or
// managed identity, see azure_credentials.hpp), cached, fetched again before
// it expires, sent as "Authorization: Bearer <token>".
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/log.hpp"
#include "outputs/common/azure/azure_credentials.hpp"
#include "outputs/common/azure/entra_token_fetch.hpp"
#include "outputs/common/gcp/google_token_fetch.hpp"
#include "outputs/common/http_signer.hpp"

namespace sluice::azure {

// Runs on the output's worker io_context (see http::Signer): start(),
// sign(), the token fetches and their answers, invalidate() and stop().
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
// short-lived tokens usable), then a sign() waits for a fresh one. One fetch
// at a time: every sign() that arrives meanwhile waits for it. A failed fetch
// fails the waiting sign()s with its reason (the sink retries their records
// with the core's backoff), and so does every sign() for a short while after
// (1 s, doubling up to 30 s while fetches keep failing). Secrets,
// assertions and tokens are never logged.
class TokenSigner final : public http::Signer {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  // source from resolve_credentials(settings). now: the clock for the
  // assertion's times and token expiry (tests move it).
  TokenSigner(TokenSignerSettings settings, CredentialSource source, Clock now = {});
  ~TokenSigner() override;

  void start(boost::asio::io_context& io) override;
  void sign(http::Request& request, std::string_view host, http::SignDone done) override;
  // Forgets the token: the next sign() fetches one. IMDS hands out the token
  // it caches until that nears its end, so a refused managed-identity token
  // may come back.
  void invalidate() override;
  void stop() override;

  uint64_t tokens_fetched() const { return tokens_fetched_; }

  // When a token fetched at `fetched` with lifetime expires_in stops being used.
  static std::chrono::system_clock::time_point refresh_at(std::chrono::system_clock::time_point fetched,
                                                          std::chrono::seconds expires_in);

 private:
  struct Waiter {
    http::Request* request;
    http::SignDone done;
  };

  void fetch();
  // The token request for the source; nullopt with why in error (an
  // unreadable federated token file, an assertion that can't be signed).
  std::optional<http::Request> token_request(std::chrono::system_clock::time_point now, std::string& error) const;
  void on_answer(const TokenAnswer& answer, std::chrono::system_clock::time_point asked_at);

  const TokenSignerSettings settings_;
  const CredentialSource source_;
  Clock now_;
  std::optional<gcp::HttpTarget> target_;  // the token endpoint or IMDS
  std::string who_;                        // names it in reasons and log lines
  std::unique_ptr<http::Client> client_;

  std::string token_;  // "" = none cached
  std::chrono::system_clock::time_point refresh_at_{};
  uint64_t tokens_fetched_ = 0;
  bool fetching_ = false;
  bool stopped_ = false;
  bool failing_ = false;    // the last fetch failed: log the next success at info
  std::string last_error_;  // of the last fetch, until one succeeds
  std::chrono::system_clock::time_point retry_at_{};  // no fetch before, after a failure
  std::chrono::milliseconds holdoff_{0};
  std::vector<Waiter> waiters_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // fetch answers hold it weakly
  log::RateLimit failure_log_{20};
};

}  // namespace sluice::azure
