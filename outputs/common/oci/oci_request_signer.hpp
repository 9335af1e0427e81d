// The http::Signer of OCI outputs: each request signed with OCI's HTTP
// signature (oci_signature.hpp) under an API key, a session token, or an
// instance principal's security token fetched and refreshed here.
#pragma once
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/log.hpp"
#include "outputs/common/http_signer.hpp"
#include "outputs/common/oci/oci_credentials.hpp"
#include "outputs/common/oci/oci_instance_principal.hpp"

namespace sluice::oci {

// Runs on the output's worker io_context (see http::Signer): start(),
// sign(), the instance-principal fetches and their answers, invalidate()
// and stop().
//
// sign() drops the request's earlier signing headers (a retry is signed
// again with a fresh date), then signs the method, target, Host (the
// request's, else `host`), Date, and for POST/PUT/PATCH Content-Type, the
// body's size and its SHA-256 — exactly the bytes the client sends.
// request.gzip must be false: the body is final.
//
// API key: signs at once. Session token (security_token_file): the file is
// read again whenever it changes and on invalidate(); an expired token
// fails sign() with a reason until the file is refreshed ("oci session
// refresh"). Instance principal: a token is used until min(5 minutes, a
// tenth of its lifetime) is left, then a sign() waits for a fresh one (every
// sign() arriving meanwhile waits for the same fetch). A failed fetch fails
// the waiting sign()s with its reason, and so does every sign() for a while
// after (1 s, doubling up to 30 s while fetches keep failing). Keys, tokens
// and certificates are never logged.
class RequestSigner final : public http::Signer {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  // credentials from resolve_credentials(). now: the clock for Date and
  // token expiry (tests move it).
  explicit RequestSigner(Credentials credentials, Clock now = {});
  ~RequestSigner() override;

  void start(boost::asio::io_context& io) override;
  void sign(http::Request& request, std::string_view host, http::SignDone done) override;
  // Instance principal: forgets the token (the next sign() fetches one).
  // Session token: reads the file again at the next sign().
  void invalidate() override;
  void stop() override;

  // Security tokens fetched so far (instance principal; for tests).
  uint64_t tokens_fetched() const { return tokens_fetched_; }

  // When a token of `lifetime` expiring at expires_at stops being used.
  static std::chrono::system_clock::time_point refresh_at(std::chrono::system_clock::time_point expires_at,
                                                          std::chrono::seconds lifetime);

 private:
  struct Waiter {
    http::Request* request;
    std::string host;
    http::SignDone done;
  };

  // Signs with key_id and key; "" or why not.
  std::string sign_with(http::Request& request, std::string_view host, const std::string& key_id,
                        const crypto::RsaPrivateKey& key);
  std::string current_security_token(std::string& token);
  void fetch();
  void on_session(std::optional<Session> session, const std::string& error);

  const Credentials credentials_;
  Clock now_;
  std::unique_ptr<SessionFetcher> fetcher_;  // instance principal

  // Session token file: the token read last and the file's mtime then.
  std::string file_token_;
  std::optional<std::filesystem::file_time_type> file_mtime_;

  // Instance principal.
  std::optional<Session> session_;
  std::chrono::system_clock::time_point refresh_at_{};
  uint64_t tokens_fetched_ = 0;
  bool fetching_ = false;
  bool failing_ = false;
  std::string last_error_;
  std::chrono::system_clock::time_point retry_at_{};
  std::chrono::milliseconds holdoff_{0};
  std::vector<Waiter> waiters_;

  bool stopped_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  log::RateLimit failure_log_{20};
};

}  // namespace sluice::oci
