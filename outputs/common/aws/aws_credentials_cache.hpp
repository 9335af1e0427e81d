// The caching half of a credentials provider: one fetch at a time shared by
// every caller, credentials kept until shortly before they expire, a
// background refresh while they still work.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/log.hpp"
#include "outputs/common/aws/aws_credentials.hpp"

namespace sluice::aws {

// Runs on one thread (the output's io_context); fetch may complete
// synchronously. Not a CredentialsProvider itself: providers own one or two.
class CredentialsCache {
 public:
  using Fetch = std::function<void(CredentialsDone)>;
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  CredentialsCache(std::string what, Fetch fetch, std::chrono::seconds refresh_before, Clock now = {});
  ~CredentialsCache();
  CredentialsCache(const CredentialsCache&) = delete;
  CredentialsCache& operator=(const CredentialsCache&) = delete;

  // Cached credentials now when they are fresh; when they are due for
  // refresh but still work, those now and a fetch in the background; else
  // done waits for a fetch.
  void get(CredentialsDone done);
  void invalidate();
  void stop();

  // When fresh credentials are fetched again (ahead of expiry) and when
  // credentials are too close to expiry to sign with (exposed for tests).
  static std::chrono::system_clock::time_point refresh_at(const Credentials& c,
                                                          std::chrono::system_clock::time_point fetched,
                                                          std::chrono::seconds refresh_before);
  static std::chrono::system_clock::time_point usable_until(const Credentials& c,
                                                            std::chrono::system_clock::time_point fetched);

 private:
  void start_fetch();
  void on_fetched(CredentialsResult result);

  const std::string what_;  // "credentials", "role arn:…" for log lines
  Fetch fetch_;
  std::chrono::seconds refresh_before_;
  Clock now_;
  std::shared_ptr<const Credentials> cached_;
  std::string cached_source_;
  std::chrono::system_clock::time_point refresh_at_{};
  std::chrono::system_clock::time_point usable_until_{};
  std::chrono::system_clock::time_point next_background_try_{};
  std::vector<CredentialsDone> waiters_;
  bool fetching_ = false;
  bool stopped_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // fetch answers check it
  log::RateLimit refresh_failed_log_{20};
};

}  // namespace sluice::aws
