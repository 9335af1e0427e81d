// OCI request signing as an http::Signer; see oci_request_signer.hpp.
#include "outputs/common/oci/oci_request_signer.hpp"

#include <strings.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "outputs/common/oci/oci_signature.hpp"

namespace sluice::oci {

namespace {

// After a failed fetch, sign() fails at once with its reason for a while
// instead of asking again for every flush: 1 s, doubling up to 30 s.
constexpr std::chrono::milliseconds kFirstHoldoff{1000};
constexpr std::chrono::milliseconds kMaxHoldoff{30'000};

const std::string* find_header(const http::Request& r, std::string_view name) {
  for (const auto& h : r.headers)
    if (h.name.size() == name.size() && ::strncasecmp(h.name.data(), name.data(), name.size()) == 0) return &h.value;
  return nullptr;
}

}  // namespace

RequestSigner::RequestSigner(Credentials credentials, Clock now)
    : credentials_(std::move(credentials)),
      now_(now ? std::move(now) : Clock([] { return std::chrono::system_clock::now(); })) {
  if (credentials_.auth_type == AuthType::InstancePrincipal)
    fetcher_ = std::make_unique<SessionFetcher>(credentials_, now_);
}

RequestSigner::~RequestSigner() = default;

std::chrono::system_clock::time_point RequestSigner::refresh_at(std::chrono::system_clock::time_point expires_at,
                                                                std::chrono::seconds lifetime) {
  std::chrono::seconds margin = std::min<std::chrono::seconds>(std::chrono::minutes(5), lifetime / 10);
  return expires_at - margin;
}

void RequestSigner::start(boost::asio::io_context& io) {
  if (fetcher_) fetcher_->start(io);
}

std::string RequestSigner::sign_with(http::Request& request, std::string_view host, const std::string& key_id,
                                     const crypto::RsaPrivateKey& key) {
  if (request.gzip) {
    // A broken contract of the sink, not an input error: the client would
    // compress after the body's hash was signed.
    std::fprintf(stderr, "sluice: oci::RequestSigner::sign: request.gzip is set; compress the body before signing\n");
    std::abort();
  }
  std::erase_if(request.headers, [](const http::Header& h) { return is_signing_header(h.name); });
  const std::string* own_host = find_header(request, "Host");
  std::string target = request.target.empty() ? "/" : request.target;
  SigningRequest in{request.method, target, own_host ? std::string_view(*own_host) : host, &request.headers,
                    request.body};
  std::string error;
  std::optional<Signed> out = oci::sign(in, key_id, key, now_(), error);
  if (!out) return "cannot sign the request: " + error;
  for (auto& h : out->headers) {
    // The client sends Content-Length itself, with the body's size: the
    // value signed.
    if (h.name == "Content-Length") continue;
    request.headers.push_back(std::move(h));
  }
  return "";
}

std::string RequestSigner::current_security_token(std::string& token) {
  std::error_code ec;
  auto mtime = std::filesystem::last_write_time(credentials_.security_token_file, ec);
  if (file_token_.empty() || ec || !file_mtime_ || *file_mtime_ != mtime) {
    std::string error;
    std::optional<std::string> read = read_security_token(credentials_.security_token_file, error);
    if (!read) return "the session token: " + error;
    if (*read != file_token_ && !file_token_.empty())
      log::info("OCI session token: read {} again (it changed)", credentials_.security_token_file);
    file_token_ = std::move(*read);
    file_mtime_ = ec ? std::nullopt : std::optional(mtime);
  }
  if (std::optional<SecurityToken> t = parse_security_token(file_token_)) {
    if (t->expires_at <= now_()) {
      return "the session token in " + credentials_.security_token_file + " expired at " + http_date(t->expires_at) +
             " (refresh it: oci session refresh)";
    }
  }
  token = file_token_;
  return "";
}

void RequestSigner::sign(http::Request& request, std::string_view host, http::SignDone done) {
  if (stopped_) return done("the output is stopping");
  switch (credentials_.auth_type) {
    case AuthType::ApiKey: {
      if (credentials_.security_token_file.empty()) {
        return done(sign_with(request, host, credentials_.key_id, *credentials_.key));
      }
      std::string token;
      std::string error = current_security_token(token);
      if (!error.empty()) return done(error);
      return done(sign_with(request, host, security_token_key_id(token), *credentials_.key));
    }
    case AuthType::InstancePrincipal:
      break;
  }
  if (session_ && now_() < refresh_at_) {
    return done(sign_with(request, host, security_token_key_id(session_->token), *session_->key));
  }
  session_.reset();
  if (!fetching_ && !last_error_.empty() && now_() < retry_at_) return done(last_error_);
  waiters_.push_back({&request, std::string(host), std::move(done)});
  if (!fetching_) fetch();
}

void RequestSigner::invalidate() {
  if (credentials_.auth_type == AuthType::ApiKey) {
    file_token_.clear();  // a session token file is read again; an API key has nothing to refresh
    return;
  }
  if (!session_) return;  // already forgotten, or a fetch is under way
  log::info("OCI refused the instance principal's security token; the next request fetches a new one");
  session_.reset();
}

void RequestSigner::stop() {
  stopped_ = true;
  waiters_.clear();  // their SignDone is not called (the contract)
  alive_ = std::make_shared<int>(0);
  if (fetcher_) fetcher_->stop();
}

void RequestSigner::fetch() {
  fetching_ = true;
  std::weak_ptr<int> alive = alive_;
  fetcher_->fetch([this, alive](std::optional<Session> session, std::string error) {
    if (alive.expired()) return;
    on_session(std::move(session), error);
  });
}

void RequestSigner::on_session(std::optional<Session> session, const std::string& error) {
  fetching_ = false;
  if (session) {
    session_ = std::move(session);
    refresh_at_ = refresh_at(session_->expires_at, session_->lifetime);
    ++tokens_fetched_;
    if (tokens_fetched_ == 1 || failing_) {
      log::info("OCI instance principal: security token from {} for tenancy {}, valid {} s",
                fetcher_->federation_who(), session_->tenancy, session_->lifetime.count());
    } else {
      log::debug("OCI instance principal: new security token, valid {} s", session_->lifetime.count());
    }
    failing_ = false;
    last_error_.clear();
    holdoff_ = std::chrono::milliseconds(0);
  } else {
    failing_ = true;
    last_error_ = error;
    holdoff_ = holdoff_.count() == 0 ? kFirstHoldoff : std::min(holdoff_ * 2, kMaxHoldoff);
    retry_at_ = now_() + holdoff_;
    if (uint64_t n = failure_log_.hit())
      log::warn("cannot get an OCI instance-principal security token ({} failures so far): {}", n, error);
  }
  // done() may re-enter sign(), invalidate() or stop(), or end the sink:
  // work on copies, and call no one once stop() ran.
  std::vector<Waiter> waiters;
  waiters.swap(waiters_);
  std::optional<Session> current = session_;
  std::weak_ptr<int> alive = alive_;
  for (auto& w : waiters) {
    if (alive.expired()) return;
    if (!current) {
      w.done(error);
      continue;
    }
    w.done(sign_with(*w.request, w.host, security_token_key_id(current->token), *current->key));
  }
}

}  // namespace sluice::oci
