// Google access tokens as Bearer credentials; see google_token_signer.hpp.
#include "outputs/common/gcp/google_token_signer.hpp"

#include <algorithm>
#include <strings.h>

#include "outputs/common/gcp/jwt.hpp"

namespace sluice::gcp {

namespace {

// After a failed fetch, sign() fails at once with its reason for a while
// instead of asking again for every flush: 1 s, doubling up to 30 s, until a
// fetch succeeds. A broken key would otherwise cost a token request per
// flush for as long as it stays broken.
constexpr std::chrono::milliseconds kFirstHoldoff{1000};
constexpr std::chrono::milliseconds kMaxHoldoff{30'000};

void set_bearer(http::Request& request, const std::string& token) {
  // A request signed before (a retry) carries the old token: replace it.
  std::erase_if(request.headers,
                [](const http::Header& h) { return strcasecmp(h.name.c_str(), "Authorization") == 0; });
  request.headers.push_back({"Authorization", "Bearer " + token});
}

}  // namespace

TokenSigner::TokenSigner(TokenSignerSettings settings, CredentialSource source, Clock now)
    : settings_(std::move(settings)),
      source_(std::move(source)),
      now_(now ? std::move(now) : Clock([] { return std::chrono::system_clock::now(); })) {
  bool metadata = source_.from_metadata_server();
  // The metadata server is on the VM's link: never through a proxy.
  target_ = parse_http_target(source_.endpoint, settings_.http_timeout, !metadata);
  if (metadata) {
    who_ = "GCE metadata server " + source_.endpoint + std::string(kMetadataTokenPath);
  } else {
    who_ = "Google token endpoint " + source_.endpoint;
  }
}

TokenSigner::~TokenSigner() = default;

std::chrono::system_clock::time_point TokenSigner::refresh_at(std::chrono::system_clock::time_point fetched,
                                                              std::chrono::seconds expires_in) {
  std::chrono::milliseconds lifetime = expires_in;
  std::chrono::milliseconds margin = std::min<std::chrono::milliseconds>(std::chrono::minutes(5), lifetime / 10);
  return fetched + lifetime - margin;
}

void TokenSigner::start(boost::asio::io_context& io) {
  // resolve_credentials checked the URL; a signer made from a hand-built
  // source without one fails each sign() with the reason instead.
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
  log::info("Google refused the access token from {}; the next request fetches a new one", who_);
  token_.clear();
}

void TokenSigner::stop() {
  stopped_ = true;
  waiters_.clear();          // their SignDone is not called (the contract)
  alive_ = std::make_shared<int>(0);  // answers to fetches in flight are dropped
  if (client_) client_->close();
}

void TokenSigner::fetch() {
  fetching_ = true;
  auto asked_at = now_();
  http::Request request;
  if (source_.from_metadata_server()) {
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
      return on_answer(failed, asked_at);
    }
    request = jwt_grant_request(target_->path, assertion);
  }
  log::debug("fetching a Google access token from {}", who_);
  std::weak_ptr<int> alive = alive_;
  bool metadata = source_.from_metadata_server();
  client_->send(std::move(request), [this, alive, asked_at, metadata](http::Response response) {
    if (alive.expired()) return;
    on_answer(read_token_answer(response, who_, metadata), asked_at);
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
      log::info("Google access token from {} (credentials: {}), valid {} s", who_, source_.origin,
                answer.token->expires_in.count());
    } else {
      log::debug("Google access token from {}, valid {} s", who_, answer.token->expires_in.count());
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
    if (uint64_t n = failure_log_.hit())
      log::warn("cannot get a Google access token ({} failures so far): {}", n, error);
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

}  // namespace sluice::gcp
