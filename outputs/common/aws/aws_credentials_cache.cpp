// Credentials cached between fetches; see aws_credentials_cache.hpp.
#include "outputs/common/aws/aws_credentials_cache.hpp"

#include <algorithm>
#include <ctime>

namespace sluice::aws {

namespace {

using std::chrono::system_clock;

// Credentials this close to expiry are not used for a new signature: the
// request could arrive after they expired.
constexpr std::chrono::seconds kExpiryMargin{10};
// After a failed background refresh, the next one waits this long.
constexpr std::chrono::seconds kBackgroundRetry{10};

std::string utc_text(system_clock::time_point t) {
  std::time_t tt = system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[32];
  return std::string(buf, std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm));
}

}  // namespace

CredentialsCache::CredentialsCache(std::string what, Fetch fetch, std::chrono::seconds refresh_before, Clock now)
    : what_(std::move(what)),
      fetch_(std::move(fetch)),
      refresh_before_(refresh_before),
      now_(now ? std::move(now) : Clock([] { return system_clock::now(); })) {}

CredentialsCache::~CredentialsCache() = default;

system_clock::time_point CredentialsCache::refresh_at(const Credentials& c, system_clock::time_point fetched,
                                                      std::chrono::seconds refresh_before) {
  if (!c.expiration) return system_clock::time_point::max();
  auto lifetime = *c.expiration - fetched;
  if (lifetime <= system_clock::duration::zero()) return fetched;
  return *c.expiration - std::min<system_clock::duration>(refresh_before, lifetime / 2);
}

system_clock::time_point CredentialsCache::usable_until(const Credentials& c, system_clock::time_point fetched) {
  if (!c.expiration) return system_clock::time_point::max();
  auto lifetime = *c.expiration - fetched;
  if (lifetime <= system_clock::duration::zero()) return fetched;
  return *c.expiration - std::min<system_clock::duration>(kExpiryMargin, lifetime / 4);
}

void CredentialsCache::get(CredentialsDone done) {
  if (stopped_) {
    done({nullptr, "the AWS credentials provider is stopped", ""});
    return;
  }
  auto now = now_();
  if (cached_ && now < usable_until_) {
    if (now >= refresh_at_ && !fetching_ && now >= next_background_try_) start_fetch();
    done({cached_, "", cached_source_});
    return;
  }
  waiters_.push_back(std::move(done));
  if (!fetching_) start_fetch();
}

void CredentialsCache::invalidate() {
  cached_.reset();
  next_background_try_ = {};
}

void CredentialsCache::stop() {
  stopped_ = true;
  waiters_.clear();
  alive_.reset();  // answers of fetches in flight are ignored
}

void CredentialsCache::start_fetch() {
  fetching_ = true;
  std::weak_ptr<int> alive = alive_;
  fetch_([this, alive](CredentialsResult result) {
    if (alive.expired()) return;
    on_fetched(std::move(result));
  });
}

void CredentialsCache::on_fetched(CredentialsResult result) {
  fetching_ = false;
  auto now = now_();
  if (result.credentials && result.credentials->expiration && *result.credentials->expiration <= now) {
    result.error = result.source + " gave credentials that expired at " + utc_text(*result.credentials->expiration) +
                   " (now " + utc_text(now) + "): is the clock right?";
    result.credentials.reset();
  }
  if (result.credentials) {
    cached_ = result.credentials;
    cached_source_ = result.source;
    refresh_at_ = refresh_at(*cached_, now, refresh_before_);
    usable_until_ = usable_until(*cached_, now);
    if (cached_->expiration) {
      log::debug("aws: fetched {}, valid until {}", what_, utc_text(*cached_->expiration));
    }
  } else if (cached_ && now < usable_until_) {
    // A background refresh failed: the current credentials still work.
    next_background_try_ = now + kBackgroundRetry;
    if (refresh_failed_log_.hit()) {
      log::warn("aws: refreshing {} failed, still using the current ones until {}: {}", what_,
                utc_text(usable_until_), result.error);
    }
  }
  std::vector<CredentialsDone> waiters = std::move(waiters_);
  waiters_.clear();
  std::weak_ptr<int> alive = alive_;
  for (auto& done : waiters) {
    if (alive.expired()) return;  // a caller stopped (or destroyed) the cache
    done(result);
  }
}

}  // namespace sluice::aws
