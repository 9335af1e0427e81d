// The http::Signer of IBM Cloud outputs: an IAM access token from an API
// key, cached, fetched again before it expires, sent as
// "Authorization: Bearer <token>".
#pragma once
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "outputs/common/bearer_token_signer.hpp"
#include "outputs/common/http_output_config.hpp"
#include "outputs/common/ibm/iam_token.hpp"

namespace sluice::ibm {

// Runs on the output's worker io_context (see http::BearerTokenSigner,
// which holds the cache, the one shared fetch, the pause after failures,
// invalidate() and stop()).
//
// A token is used for 80% of its lifetime (48 of IAM's 60 minutes), then a
// sign() waits for a fresh one: IBM's SDKs (ibm-cloud-sdk-core's
// JwtTokenManager, the Go and Python cores) refresh at that point too. The
// API key and the tokens are never logged; reasons quote IAM's error code
// and message only.
class IamTokenSigner final : public http::BearerTokenSigner {
 public:
  // settings checked by iam_settings_error() (a signer made from bad ones
  // fails each sign() with the reason). now: the clock for token expiry
  // (tests move it).
  explicit IamTokenSigner(IamTokenSettings settings, Clock now = {});
  ~IamTokenSigner() override;

  // When a token fetched at `fetched` with lifetime expires_in stops being
  // used: at 80% of its lifetime.
  static TimePoint refresh_at(TimePoint fetched, std::chrono::seconds expires_in);

 private:
  std::string start_fetching(boost::asio::io_context& io) override;
  void fetch(TimePoint asked_at, http::TokenAnswerDone done) override;
  void stop_fetching() override;
  TimePoint refresh_time(TimePoint asked_at, std::chrono::seconds expires_in) const override {
    return refresh_at(asked_at, expires_in);
  }

  const IamTokenSettings settings_;
  const std::string url_;  // the token endpoint
  std::optional<http::HttpTarget> target_;
  std::unique_ptr<http::Client> client_;
};

}  // namespace sluice::ibm
