// The default credential chain and the role assumed on top of it; see
// aws_credentials.hpp. The sources themselves are in aws_sts.cpp,
// aws_metadata_credentials.cpp and aws_credentials_profile.cpp.
#include "outputs/common/aws/aws_credentials.hpp"

#include <set>

#include "agent/log.hpp"
#include "outputs/common/aws/aws_credentials_cache.hpp"
#include "outputs/common/aws/aws_credentials_profile.hpp"
#include "outputs/common/aws/aws_fetch.hpp"
#include "outputs/common/aws/aws_metadata_credentials.hpp"
#include "outputs/common/aws/aws_sts.hpp"

namespace sluice::aws {

namespace {

constexpr std::string_view kNoCredentials =
    "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_ROLE_ARN and "
    "AWS_WEB_IDENTITY_TOKEN_FILE, or a profile in ~/.aws/credentials, or AWS_CONTAINER_CREDENTIALS_FULL_URI, or run "
    "on EC2 with an instance role";

CredentialsResult failure(std::string error) { return {nullptr, std::move(error), ""}; }

CredentialsResult found(Credentials c, std::string source) {
  return {std::make_shared<const Credentials>(std::move(c)), "", std::move(source)};
}

// Runs on the io_context of start(); see CredentialsProvider.
class DefaultProvider final : public CredentialsProvider {
 public:
  explicit DefaultProvider(CredentialsSettings s)
      : settings_(std::move(s)),
        clients_(settings_.http_timeout),
        base_("credentials", [this](CredentialsDone done) { fetch_chain(std::move(done)); }, settings_.refresh_before) {
    if (!settings_.role_arn.empty()) {
      role_ = std::make_unique<CredentialsCache>(
          "credentials of role " + settings_.role_arn, [this](CredentialsDone done) { fetch_role(std::move(done)); },
          settings_.refresh_before);
    }
  }

  void start(boost::asio::io_context& io) override { clients_.start(io); }

  void get(CredentialsDone done) override {
    if (!clients_.started()) {
      done(failure("the AWS credentials provider was not started"));
      return;
    }
    (role_ ? *role_ : base_).get(std::move(done));
  }

  void invalidate() override {
    base_.invalidate();
    if (role_) role_->invalidate();
  }

  void stop() override {
    if (role_) role_->stop();
    base_.stop();
    clients_.stop();
  }

 private:
  // Wraps done: names the source and logs it when it is a new one.
  CredentialsDone noting(std::string source, CredentialsDone done) {
    return [this, source = std::move(source), done = std::move(done)](CredentialsResult r) {
      if (r.credentials) {
        r.source = source;
        if (logged_sources_.insert(source).second) log::info("aws: credentials from {}", source);
      }
      done(std::move(r));
    };
  }

  StsTarget sts(std::string& error) const { return resolve_sts(settings_, error); }

  void fetch_chain(CredentialsDone done) {
    // 1. Environment.
    std::string id = env("AWS_ACCESS_KEY_ID");
    std::string secret = env("AWS_SECRET_ACCESS_KEY");
    if (!id.empty() || !secret.empty()) {
      if (id.empty() || secret.empty()) {
        return done(failure("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together"));
      }
      return noting("environment variables", std::move(done))(
          found({id, secret, env("AWS_SESSION_TOKEN"), std::nullopt}, ""));
    }
    // 2. Web identity (EKS IRSA).
    std::string role = env("AWS_ROLE_ARN");
    std::string token_file = env("AWS_WEB_IDENTITY_TOKEN_FILE");
    if (!role.empty() && !token_file.empty()) return fetch_web_identity(role, token_file, std::move(done));
    // 3. Shared files.
    ProfileLookup profile = lookup_profile(settings_.profile);
    if (!profile.error.empty()) return done(failure(profile.error));
    if (profile.configured) return fetch_profile(profile.profile, std::move(done));
    // 4. Container endpoint (ECS, EKS Pod Identity).
    std::string error;
    std::optional<Endpoint> container = container_endpoint(error);
    if (!error.empty()) return done(failure(error));
    if (container) {
      return fetch_container_credentials(clients_, *container,
                                         noting("the container endpoint " + container->origin(), std::move(done)));
    }
    // 5. EC2 instance metadata.
    std::optional<Endpoint> imds = imds_endpoint(error);
    if (!error.empty()) return done(failure(error));
    if (!imds) return done(failure(std::string(kNoCredentials) + " (EC2 instance metadata is disabled)"));
    fetch_imds_credentials(clients_, *imds, [this, done = std::move(done)](CredentialsResult r) {
      if (!r.credentials) r.error = std::string(kNoCredentials) + "; " + r.error;
      std::string source = r.source;
      noting(source, done)(std::move(r));
    });
  }

  void fetch_web_identity(const std::string& role, const std::string& token_file, CredentialsDone done) {
    std::string error;
    std::optional<std::string> token = read_small_file(token_file, error);
    if (!token) return done(failure("AWS_WEB_IDENTITY_TOKEN_FILE: " + error));
    StsTarget target = sts(error);
    if (!error.empty()) return done(failure(error));
    AssumeRoleParams params{role, session_name_or_default(env("AWS_ROLE_SESSION_NAME")), "", settings_.role_duration};
    assume_role_with_web_identity(
        clients_, target, params, std::string(trim(*token)),
        noting("web identity token file " + token_file + " (role " + role + ")", std::move(done)));
  }

  void fetch_profile(const ProfileCredentials& profile, CredentialsDone done) {
    if (profile.role_arn.empty()) return noting(profile.source, std::move(done))(found(profile.credentials, ""));
    std::string error;
    StsTarget target = sts(error);
    if (!error.empty()) return done(failure(error));
    AssumeRoleParams params{profile.role_arn, session_name_or_default(profile.role_session_name), profile.external_id,
                            settings_.role_duration};
    assume_role(clients_, target, profile.credentials, params, noting(profile.source, std::move(done)));
  }

  // settings.role_arn, assumed with the chain's credentials.
  void fetch_role(CredentialsDone done) {
    base_.get([this, done = std::move(done)](CredentialsResult base) {
      if (!base.credentials) return done(std::move(base));
      std::string error;
      StsTarget target = sts(error);
      if (!error.empty()) return done(failure(error));
      AssumeRoleParams params{settings_.role_arn, session_name_or_default(settings_.role_session_name),
                              settings_.external_id, settings_.role_duration};
      assume_role(clients_, target, *base.credentials, params,
                  noting("role " + settings_.role_arn + " assumed with credentials from " + base.source, done));
    });
  }

  const CredentialsSettings settings_;
  HttpClients clients_;  // before the caches: destroyed after them
  CredentialsCache base_;
  std::unique_ptr<CredentialsCache> role_;
  std::set<std::string> logged_sources_;
};

class StaticProvider final : public CredentialsProvider {
 public:
  explicit StaticProvider(Credentials c) : credentials_(std::make_shared<const Credentials>(std::move(c))) {}
  void start(boost::asio::io_context&) override {}
  void get(CredentialsDone done) override {
    if (stopped_) return done(failure("the AWS credentials provider is stopped"));
    done({credentials_, "", "static credentials"});
  }
  void invalidate() override {}
  void stop() override { stopped_ = true; }

 private:
  std::shared_ptr<const Credentials> credentials_;
  bool stopped_ = false;
};

}  // namespace

std::unique_ptr<CredentialsProvider> make_credentials_provider(CredentialsSettings settings) {
  return std::make_unique<DefaultProvider>(std::move(settings));
}

std::unique_ptr<CredentialsProvider> make_static_credentials_provider(Credentials credentials) {
  return std::make_unique<StaticProvider>(std::move(credentials));
}

}  // namespace sluice::aws
