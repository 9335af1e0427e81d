// What every bearer-token signer shares (Google's OAuth2 tokens, IBM Cloud
// IAM tokens, …): the token cache, one fetch shared by every waiting
// request, refresh before expiry, a pause after failures, invalidate() and
// stop(). A provider's signer derives from it and says only how to fetch a
// token and when to refresh it.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/log.hpp"
#include "outputs/common/http_signer.hpp"

namespace sluice::http {

struct BearerToken {
  std::string value;  // never logged, never in an error
  std::chrono::seconds expires_in{0};
};

// A token, or why there is none as one line ("IBM Cloud IAM https://…
// answered 400: BXNIM0415E: Provided API key could not be found.").
struct TokenAnswer {
  std::optional<BearerToken> token;
  std::string error;
};
using TokenAnswerDone = std::function<void(TokenAnswer)>;

// Runs on the output's worker io_context (see http::Signer): start(),
// sign(), the fetches and their answers, invalidate() and stop().
//
// A token serves every sign() until refresh_time() of it, then the next
// sign() waits for a fresh one. One fetch at a time: every sign() that
// arrives meanwhile waits for it. A failed fetch fails the waiting sign()s
// with its reason (the sink retries their records with the core's backoff),
// and so does every sign() for a short while after (1 s, doubling up to
// 30 s while fetches keep failing); the first sign() after that tries
// again. Tokens and the credentials they come from are never logged.
class BearerTokenSigner : public Signer {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  using TimePoint = std::chrono::system_clock::time_point;

  // How log lines and reasons name things: "<provider> <kind>" is the token
  // ("Google access token", "IBM Cloud IAM token"); who, where it comes from
  // ("Google token endpoint https://…"); source, optionally, the
  // credentials it is made from (in the first "token from" line).
  struct Names {
    std::string provider;
    std::string kind;
    std::string who;
    std::string source;
  };

  ~BearerTokenSigner() override;

  void start(boost::asio::io_context& io) final;
  void sign(Request& request, std::string_view host, SignDone done) final;
  // Forgets the token: the next sign() fetches one.
  void invalidate() final;
  void stop() final;

  // Tokens fetched so far (for tests and a debug line).
  uint64_t tokens_fetched() const { return tokens_fetched_; }

 protected:
  // now: the clock for token expiry (tests move it); empty = the system clock.
  BearerTokenSigner(Names names, Clock now);

  // Makes the HTTP client(s) on io; returns "" or why no fetch can be made
  // (every sign() then fails with it).
  virtual std::string start_fetching(boost::asio::io_context& io) = 0;
  // Starts one fetch and calls done once with its answer, on the io_context
  // (or at once). Never called again before done ran.
  virtual void fetch(TimePoint asked_at, TokenAnswerDone done) = 0;
  // After the last request: close the client(s). Answers still arriving
  // are dropped by this class.
  virtual void stop_fetching() = 0;
  // When a token asked for at asked_at, valid expires_in, stops being used.
  virtual TimePoint refresh_time(TimePoint asked_at, std::chrono::seconds expires_in) const = 0;

  TimePoint now() const { return now_(); }

  // Five minutes before a token's end, or a tenth of its lifetime when that
  // is less (the Google and Azure SDKs refresh 5 minutes early; the tenth
  // keeps short-lived tokens usable).
  static TimePoint refresh_early(TimePoint fetched, std::chrono::seconds expires_in);

 private:
  struct Waiter {
    Request* request;
    SignDone done;
  };

  void begin_fetch();
  void on_answer(const TokenAnswer& answer, TimePoint asked_at);
  std::string token_name() const { return names_.provider + " " + names_.kind; }

  const Names names_;
  Clock now_;
  bool started_ = false;
  std::string start_error_;

  std::string token_;  // "" = none cached
  TimePoint refresh_at_{};
  uint64_t tokens_fetched_ = 0;
  bool fetching_ = false;
  bool stopped_ = false;
  bool failing_ = false;    // the last fetch failed: log the next success at info
  std::string last_error_;  // of the last fetch, until one succeeds
  TimePoint retry_at_{};    // no fetch before, after a failure
  std::chrono::milliseconds holdoff_{0};
  std::vector<Waiter> waiters_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // fetch answers hold it weakly
  log::RateLimit failure_log_{20};
};

}  // namespace sluice::http
