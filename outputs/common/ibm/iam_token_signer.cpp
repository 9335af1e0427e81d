// IBM Cloud IAM tokens as Bearer credentials; see iam_token_signer.hpp.
#include "outputs/common/ibm/iam_token_signer.hpp"

namespace sluice::ibm {

namespace {

http::BearerTokenSigner::Names names(const std::string& url) {
  http::BearerTokenSigner::Names n;
  n.provider = "IBM Cloud";
  n.kind = "IAM token";
  n.who = "IBM Cloud IAM " + url;
  n.source = "an API key";
  return n;
}

}  // namespace

IamTokenSigner::IamTokenSigner(IamTokenSettings settings, Clock now)
    : http::BearerTokenSigner(names(iam_token_url(settings)), std::move(now)),
      settings_(std::move(settings)),
      url_(iam_token_url(settings_)),
      // IAM is on the internet (or IBM's private network): proxies apply.
      target_(http::parse_http_target(url_, settings_.http_timeout, true)) {}

IamTokenSigner::~IamTokenSigner() = default;

IamTokenSigner::TimePoint IamTokenSigner::refresh_at(TimePoint fetched, std::chrono::seconds expires_in) {
  return fetched + std::chrono::duration_cast<std::chrono::milliseconds>(expires_in) * 8 / 10;
}

std::string IamTokenSigner::start_fetching(boost::asio::io_context& io) {
  if (std::string error = iam_settings_error(settings_); !error.empty()) return "IBM Cloud IAM: " + error;
  client_ = std::make_unique<http::Client>(io, target_->client);
  return {};
}

void IamTokenSigner::stop_fetching() {
  if (client_) client_->close();
}

void IamTokenSigner::fetch(TimePoint /*asked_at*/, http::TokenAnswerDone done) {
  std::string who = "IBM Cloud IAM " + url_;
  client_->send(iam_token_request(target_->path, settings_.api_key),
                [this, who = std::move(who), done = std::move(done)](http::Response response) {
                  done(read_iam_answer(response, who, now()));
                });
}

}  // namespace sluice::ibm
