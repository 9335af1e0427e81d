// AWS credentials for signing: the AWS SDKs' default chain (environment, web
// identity, shared files, container endpoint, EC2 instance metadata), an
// optional role assumed on top, cached and refreshed before they expire.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "agent/asio.hpp"
#include "outputs/common/aws/sigv4.hpp"

namespace sluice::aws {

// What an output's config reader fills (keys: region, profile, role_arn,
// external_id, sts_endpoint, …).
struct CredentialsSettings {
  // Signs AssumeRole and picks STS's endpoint; "" = AWS_REGION,
  // AWS_DEFAULT_REGION, else us-east-1 with STS's global endpoint.
  std::string region;
  // Shared-file profile; "" = AWS_PROFILE, else "default". A profile named
  // here or in AWS_PROFILE must exist.
  std::string profile;
  // A role to assume with the chain's credentials (STS AssumeRole); "" = none.
  std::string role_arn;
  std::string external_id;        // with role_arn, when the role's trust policy asks for one
  std::string role_session_name;  // "" = "sluice-<unix time>"
  // STS's URL ("http://" allowed, for tests and VPC endpoints); "" =
  // https://sts.<region>.amazonaws.com (.amazonaws.com.cn in China).
  std::string sts_endpoint;
  // Temporary credentials are fetched again this long before they expire
  // (or half-way through their lifetime when that is sooner).
  std::chrono::seconds refresh_before{300};
  // Each credential request's connect and answer timeout.
  std::chrono::milliseconds http_timeout{5000};
  // Assumed roles' session length (DurationSeconds).
  std::chrono::seconds role_duration{3600};
};

struct CredentialsResult {
  std::shared_ptr<const Credentials> credentials;  // null on error
  std::string error;   // one line, never a secret
  std::string source;  // where they came from ("environment variables", …)
};
using CredentialsDone = std::function<void(CredentialsResult)>;

// Runs on the output's worker io_context: start(), get(), the fetches and
// their answers, invalidate() and stop() all run there.
class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // Before the first get(): HTTP clients for credential fetches use io.
  virtual void start(boost::asio::io_context& io) = 0;
  // Calls done exactly once: now with cached credentials, or later on the
  // io_context once fetched (or with why they could not be). Concurrent
  // calls share one fetch.
  virtual void get(CredentialsDone done) = 0;
  // Forget the cached credentials: the next get() fetches.
  virtual void invalidate() = 0;
  // Fetches in flight are abandoned; their done is not called. Later get()
  // calls fail at once.
  virtual void stop() = 0;
};

// The default chain (first configured source wins, looked at on each fetch):
//  1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN)
//  2. AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE (+ AWS_ROLE_SESSION_NAME):
//     STS AssumeRoleWithWebIdentity (EKS IRSA), the token file read each time
//  3. the profile in AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE
//     (~/.aws/credentials, ~/.aws/config): static keys, or role_arn with
//     source_profile
//  4. AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI (ECS, EKS Pod
//     Identity), with AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE)
//  5. EC2 instance metadata (IMDSv2) at AWS_EC2_METADATA_SERVICE_ENDPOINT or
//     169.254.169.254, unless AWS_EC2_METADATA_DISABLED=true
// then settings.role_arn assumed with them when set. Logs the source used
// at info when it changes, never a key.
std::unique_ptr<CredentialsProvider> make_credentials_provider(CredentialsSettings settings);

// Fixed credentials (keys given in the config, tests).
std::unique_ptr<CredentialsProvider> make_static_credentials_provider(Credentials credentials);

}  // namespace sluice::aws
