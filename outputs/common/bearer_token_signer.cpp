// The token cache of bearer-token signers; see bearer_token_signer.hpp.
#include "outputs/common/bearer_token_signer.hpp"

#include <strings.h>

#include <algorithm>

namespace sluice::http {

namespace {

// The longest token lifetime believed (see on_answer).
constexpr std::chrono::seconds kLongestLifetime{86'400};

// After a failed fetch, sign() fails at once with its reason for a while
// instead of asking again for every flush: 1 s, doubling up to 30 s, until a
// fetch succeeds. Broken credentials would otherwise cost a token request
// per flush for as long as they stay broken.
constexpr std::chrono::milliseconds kFirstHoldoff{1000};
constexpr std::chrono::milliseconds kMaxHoldoff{30'000};

void set_bearer(Request& request, const std::string& token) {
  // A request signed before (a retry) carries the old token: replace it.
  std::erase_if(request.headers, [](const Header& h) { return strcasecmp(h.name.c_str(), "Authorization") == 0; });
  request.headers.push_back({"Authorization", "Bearer " + token});
}

// "a Google access token", "an IBM Cloud IAM token".
std::string with_article(const std::string& name) {
  bool vowel = !name.empty() && std::string_view("AEIOUaeiou").find(name[0]) != std::string_view::npos;
  return (vowel ? "an " : "a ") + name;
}

}  // namespace

BearerTokenSigner::BearerTokenSigner(Names names, Clock now)
    : names_(std::move(names)),
      now_(now ? std::move(now) : Clock([] { return std::chrono::system_clock::now(); })) {}

BearerTokenSigner::~BearerTokenSigner() = default;

void BearerTokenSigner::start(boost::asio::io_context& io) {
  start_error_ = start_fetching(io);
  started_ = true;
}

void BearerTokenSigner::sign(Request& request, std::string_view /*host*/, SignDone done) {
  if (stopped_) return done("the output is stopping");
  if (!started_) return done("the signer was not started");
  if (!start_error_.empty()) return done(start_error_);
  if (!token_.empty() && now_() < refresh_at_) {
    set_bearer(request, token_);
    return done({});
  }
  token_.clear();
  if (!fetching_ && !last_error_.empty() && now_() < retry_at_) return done(last_error_);
  waiters_.push_back({&request, std::move(done)});
  if (!fetching_) begin_fetch();
}

void BearerTokenSigner::invalidate() {
  if (token_.empty()) return;  // already forgotten, or a fetch is under way
  log::info("{} refused the {} from {}; the next request fetches a new one", names_.provider, names_.kind, names_.who);
  token_.clear();
}

void BearerTokenSigner::stop() {
  stopped_ = true;
  waiters_.clear();                   // their SignDone is not called (the contract)
  alive_ = std::make_shared<int>(0);  // answers to fetches in flight are dropped
  if (started_) stop_fetching();
}

void BearerTokenSigner::begin_fetch() {
  fetching_ = true;
  TimePoint asked_at = now_();
  log::debug("fetching {} from {}", with_article(token_name()), names_.who);
  std::weak_ptr<int> alive = alive_;
  fetch(asked_at, [this, alive, asked_at](TokenAnswer answer) {
    if (alive.expired()) return;
    on_answer(answer, asked_at);
  });
}

void BearerTokenSigner::on_answer(const TokenAnswer& answer, TimePoint asked_at) {
  fetching_ = false;
  std::string error;
  if (answer.token) {
    token_ = answer.token->value;
    // From when it was asked for: the token's clock started no later.
    // A lifetime past a day is used as a day: no token lives that long, and
    // a huge one would overflow the clock's arithmetic.
    refresh_at_ = refresh_time(asked_at, std::min(answer.token->expires_in, kLongestLifetime));
    ++tokens_fetched_;
    if (tokens_fetched_ == 1 || failing_) {
      std::string source = names_.source.empty() ? "" : " (credentials: " + names_.source + ")";
      log::info("{} from {}{}, valid {} s", token_name(), names_.who, source, answer.token->expires_in.count());
    } else {
      log::debug("{} from {}, valid {} s", token_name(), names_.who, answer.token->expires_in.count());
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
    if (uint64_t n = failure_log_.hit()) log::warn("cannot get {} ({} failures so far): {}", with_article(token_name()), n, error);
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

BearerTokenSigner::TimePoint BearerTokenSigner::refresh_early(TimePoint fetched, std::chrono::seconds expires_in) {
  std::chrono::milliseconds lifetime = expires_in;
  std::chrono::milliseconds margin = std::min<std::chrono::milliseconds>(std::chrono::minutes(5), lifetime / 10);
  return fetched + lifetime - margin;
}

}  // namespace sluice::http
