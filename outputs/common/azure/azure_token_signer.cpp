// Entra ID access tokens as Bearer credentials; see azure_token_signer.hpp.
#include "outputs/common/azure/azure_token_signer.hpp"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "outputs/common/azure/client_assertion.hpp"
#include "outputs/common/gcp/jwt.hpp"

namespace sluice::azure {

namespace {

// After a failed fetch, sign() fails at once with its reason for a while
// instead of asking again for every flush: a wrong secret would otherwise
// cost a token request per flush for as long as it stays wrong.
constexpr std::chrono::milliseconds kFirstHoldoff{1000};
constexpr std::chrono::milliseconds kMaxHoldoff{30'000};

void set_bearer(http::Request& request, const std::string& token) {
  // A request signed before (a retry) carries the old token: replace it.
  std::erase_if(request.headers,
                [](const http::Header& h) { return strcasecmp(h.name.c_str(), "Authorization") == 0; });
  request.headers.push_back({"Authorization", "Bearer " + token});
}

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

}  // namespace

TokenSigner::TokenSigner(TokenSignerSettings settings, CredentialSource source, Clock now)
    : settings_(std::move(settings)),
      source_(std::move(source)),
      now_(now ? std::move(now) : Clock([] { return std::chrono::system_clock::now(); })) {
  bool imds = source_.method == AuthMethod::ManagedIdentity;
  // IMDS is link-local to the VM: never through a proxy.
  target_ = gcp::parse_http_target(source_.token_url, settings_.http_timeout, !imds);
  who_ = (imds ? "Azure IMDS " : "Entra ID token endpoint ") + source_.token_url;
}

TokenSigner::~TokenSigner() = default;

std::chrono::system_clock::time_point TokenSigner::refresh_at(std::chrono::system_clock::time_point fetched,
                                                              std::chrono::seconds expires_in) {
  std::chrono::milliseconds lifetime = expires_in;
  std::chrono::milliseconds margin = std::min<std::chrono::milliseconds>(std::chrono::minutes(5), lifetime / 10);
  return fetched + lifetime - margin;
}

void TokenSigner::start(boost::asio::io_context& io) {
  // resolve_credentials checked the URL; a hand-built source without one
  // fails each sign() with the reason instead.
  if (target_) client_ = std::make_unique<http::Client>(io, target_->client);
}

void TokenSigner::sign(http::Request& request, std::string_view /*host*/, http::SignDone done) {
  if (stopped_) return done("the output is stopping");
  if (!client_) return done(target_ ? "the signer was not started" : who_ + " is not an http(s) URL");
  if (!token_.empty() && now_() < refresh_at_) {
    set_bearer(request, token_);
    return done({});
  }
  token_.clear();
  if (!fetching_ && !last_error_.empty() && now_() < retry_at_) return done(last_error_);
  waiters_.push_back({&request, std::move(done)});
  if (!fetching_) fetch();
}

void TokenSigner::invalidate() {
  if (token_.empty()) return;  // already forgotten, or a fetch is under way
  log::info("Azure refused the access token from {}; the next request fetches a new one", who_);
  token_.clear();
}

void TokenSigner::stop() {
  stopped_ = true;
  waiters_.clear();                   // their SignDone is not called (the contract)
  alive_ = std::make_shared<int>(0);  // answers to fetches in flight are dropped
  if (client_) client_->close();
}

std::optional<http::Request> TokenSigner::token_request(std::chrono::system_clock::time_point now,
                                                        std::string& error) const {
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

void TokenSigner::fetch() {
  fetching_ = true;
  auto asked_at = now_();
  std::string error;
  std::optional<http::Request> request = token_request(asked_at, error);
  if (!request) {
    TokenAnswer failed;
    failed.error = error;
    return on_answer(failed, asked_at);
  }
  log::debug("fetching an Azure access token from {}", who_);
  std::weak_ptr<int> alive = alive_;
  client_->send(std::move(*request), [this, alive, asked_at](http::Response response) {
    if (alive.expired()) return;
    on_answer(read_token_answer(response, who_, now_()), asked_at);
  });
}

void TokenSigner::on_answer(const TokenAnswer& answer, std::chrono::system_clock::time_point asked_at) {
  fetching_ = false;
  std::string error;
  if (answer.token) {
    token_ = answer.token->value;
    // From when it was asked for: the token's clock started no later.
    refresh_at_ = refresh_at(asked_at, answer.token->expires_in);
    ++tokens_fetched_;
    if (tokens_fetched_ == 1 || failing_) {
      log::info("Azure access token from {} (credentials: {}), valid {} s", who_, source_.origin,
                answer.token->expires_in.count());
    } else {
      log::debug("Azure access token from {}, valid {} s", who_, answer.token->expires_in.count());
    }
    failing_ = false;
    last_error_.clear();
    holdoff_ = std::chrono::milliseconds(0);
  } else {
    error = answer.error;
    failing_ = true;
    last_error_ = error;
    holdoff_ = holdoff_.count() == 0 ? kFirstHoldoff : std::min(holdoff_ * 2, kMaxHoldoff);
    retry_at_ = now_() + holdoff_;
    if (uint64_t n = failure_log_.hit()) log::warn("cannot get an Azure access token ({} failures so far): {}", n, error);
  }
  // done() may re-enter sign(), invalidate() or stop(), or end the sink:
  // work on copies, and call no one once stop() ran.
  std::vector<Waiter> waiters;
  waiters.swap(waiters_);
  std::string token = token_;
  std::weak_ptr<int> alive = alive_;
  for (auto& w : waiters) {
    if (alive.expired()) return;
    if (error.empty()) set_bearer(*w.request, token);
    w.done(error);
  }
}

}  // namespace sluice::azure
