// The http::Signer of AWS outputs: SigV4 over a request's final bytes, with
// credentials from a CredentialsProvider (cloudwatch_logs: service "logs";
// es with Amazon OpenSearch: "es", Serverless: "aoss").
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "outputs/common/aws/aws_credentials.hpp"
#include "outputs/common/aws/sigv4.hpp"
#include "outputs/common/http_signer.hpp"

namespace sluice::aws {

struct SigV4SignerSettings {
  std::string region;   // "eu-west-1"
  std::string service;  // "logs", "es", "aoss"
  // Add and sign X-Amz-Content-Sha256: OpenSearch Serverless (and S3) want it.
  bool content_sha256_header = false;
};

// The settings for a service, content_sha256_header on for aoss and s3.
SigV4SignerSettings sigv4_settings_for(std::string region, std::string service);

// Runs on the output's worker io_context (see http::Signer). sign() drops
// the request's earlier signing headers (Authorization, X-Amz-Date,
// X-Amz-Security-Token, X-Amz-Content-Sha256: a retried request is signed
// again), signs the method, target, the request's headers but those the
// client owns or proxies may change (Content-Length, Content-Encoding,
// Transfer-Encoding, Connection, User-Agent, Expect), Host (the request's,
// else `host`) and the SHA-256 of exactly request.body, then appends the new
// signing headers. request.gzip must be false: the body is final.
class SigV4Signer final : public http::Signer {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  SigV4Signer(SigV4SignerSettings settings, std::unique_ptr<CredentialsProvider> credentials, Clock now = {});
  ~SigV4Signer() override;

  void start(boost::asio::io_context& io) override;
  void sign(http::Request& request, std::string_view host, http::SignDone done) override;
  void invalidate() override;
  void stop() override;

 private:
  void sign_with(const Credentials& credentials, http::Request& request, std::string_view host);

  const SigV4SignerSettings settings_;
  std::unique_ptr<CredentialsProvider> credentials_;
  Clock now_;
  SigningKeyCache key_cache_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace sluice::aws
