// The AWS credential chain's sources against the stand-in
// (tests/peers/aws_credentials_standin.py): environment, web identity,
// shared files, container endpoint, IMDSv2, their order, a role assumed on
// top, and failures with their reasons.
#include <catch2/catch.hpp>

#include <filesystem>

#include "outputs/common/aws/aws_credentials.hpp"
#include "outputs/common/aws/aws_credentials_profile.hpp"
#include "outputs/common/aws/aws_metadata_credentials.hpp"
#include "tests/outputs/aws_test_support.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::test;

namespace {

struct Chain {
  boost::asio::io_context io;
  std::unique_ptr<aws::CredentialsProvider> provider;
  explicit Chain(aws::CredentialsSettings s = {}) : provider(aws::make_credentials_provider(std::move(s))) {
    provider->start(io);
  }
  ~Chain() { provider->stop(); }
  aws::CredentialsResult get() { return get_credentials(io, *provider); }
};

aws::CredentialsSettings with_sts(const AwsStandin& standin, std::string region = "eu-west-1") {
  aws::CredentialsSettings s;
  s.region = std::move(region);
  s.sts_endpoint = standin.url();
  return s;
}

void use_env_keys(CleanAwsEnv& env, const std::string& id = kTestKeyId, const std::string& secret = kTestSecret) {
  env.set("AWS_ACCESS_KEY_ID", id);
  env.set("AWS_SECRET_ACCESS_KEY", secret);
}

void use_web_identity(CleanAwsEnv& env, const std::string& token) {
  write_file(env.home() + "/token", token + "\n");
  env.set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/irsa");
  env.set("AWS_WEB_IDENTITY_TOKEN_FILE", env.home() + "/token");
}

void use_credentials_file(CleanAwsEnv& env, const std::string& text) {
  std::filesystem::create_directories(env.home() + "/.aws");
  write_file(env.home() + "/.aws/credentials", text);
}

void use_container(CleanAwsEnv& env, const AwsStandin& standin) {
  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", standin.url() + "/container/v2/credentials");
}

void use_imds(CleanAwsEnv& env, const AwsStandin& standin) {
  env.unset("AWS_EC2_METADATA_DISABLED");
  env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", standin.url());
}

// The credentials the stand-in minted in its only request of this kind.
void check_minted(const aws::CredentialsResult& r, const AwsStandin& standin, const std::string& kind) {
  INFO(r.error);
  REQUIRE(r.credentials);
  auto seen = standin.requests(kind);
  REQUIRE(!seen.empty());
  CHECK(r.credentials->access_key_id == seen.back().minted_key);
  CHECK(r.credentials->secret_access_key == seen.back().minted_secret);
  CHECK(r.credentials->session_token == seen.back().minted_token);
  REQUIRE(r.credentials->expiration);
  CHECK(*r.credentials->expiration > std::chrono::system_clock::now());
}

}  // namespace

TEST_CASE("AWS credentials from the environment", "[aws][credentials]") {
  CleanAwsEnv env;
  SECTION("keys and session token") {
    use_env_keys(env);
    env.set("AWS_SESSION_TOKEN", "the-token");
    Chain chain;
    auto r = chain.get();
    REQUIRE(r.credentials);
    CHECK(r.credentials->access_key_id == kTestKeyId);
    CHECK(r.credentials->secret_access_key == kTestSecret);
    CHECK(r.credentials->session_token == "the-token");
    CHECK(!r.credentials->expiration);
    CHECK(r.source == "environment variables");
  }
  SECTION("a key id without its secret is an error") {
    env.set("AWS_ACCESS_KEY_ID", kTestKeyId);
    auto r = Chain().get();
    CHECK(!r.credentials);
    CHECK(r.error == "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together");
  }
  SECTION("nothing configured and instance metadata disabled") {
    auto r = Chain().get();
    CHECK(!r.credentials);
    CHECK(r.error.starts_with("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "));
    CHECK(r.error.ends_with("(EC2 instance metadata is disabled)"));
  }
}

TEST_CASE("AWS credentials from a web identity token (EKS IRSA)", "[aws][credentials]") {
  CleanAwsEnv env;
  AwsStandin standin;
  use_web_identity(env, "token-one");
  env.set("AWS_ROLE_SESSION_NAME", "my-session");
  Chain chain(with_sts(standin));

  auto first = chain.get();
  check_minted(first, standin, "sts");
  CHECK(first.source == "web identity token file " + env.home() + "/token (role arn:aws:iam::123456789012:role/irsa)");
  auto sts = standin.requests("sts");
  REQUIRE(sts.size() == 1);
  CHECK(sts[0].method == "POST");
  CHECK(!sts[0].is_signed);
  CHECK(sts[0].param("Action") == "AssumeRoleWithWebIdentity");
  CHECK(sts[0].param("Version") == "2011-06-15");
  CHECK(sts[0].param("RoleArn") == "arn:aws:iam::123456789012:role/irsa");
  CHECK(sts[0].param("RoleSessionName") == "my-session");
  CHECK(sts[0].param("WebIdentityToken") == "token-one");  // the file's content, trimmed

  SECTION("the token file is read again on each refresh") {
    write_file(env.home() + "/token", "token-two");
    chain.provider->invalidate();
    auto second = chain.get();
    check_minted(second, standin, "sts");
    CHECK(second.credentials->access_key_id != first.credentials->access_key_id);
    REQUIRE(standin.requests("sts").size() == 2);
    CHECK(standin.requests("sts")[1].param("WebIdentityToken") == "token-two");
  }
  SECTION("STS refusing the token: its code and message, no token") {
    write_file(env.home() + "/token", "invalid");
    chain.provider->invalidate();
    auto r = chain.get();
    CHECK(!r.credentials);
    CHECK(r.error == "STS AssumeRoleWithWebIdentity at " + standin.url() +
                         " answered 400: InvalidIdentityToken: Couldn't retrieve verification key from your identity "
                         "provider");
  }
  SECTION("an unreadable token file") {
    std::filesystem::remove(env.home() + "/token");
    chain.provider->invalidate();
    auto r = chain.get();
    CHECK(r.error.starts_with("AWS_WEB_IDENTITY_TOKEN_FILE: cannot read " + env.home() + "/token: "));
  }
}

TEST_CASE("AWS shared credentials and config files", "[aws][credentials]") {
  CleanAwsEnv env;
  use_credentials_file(env,
                       "# comment\n[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s-default\n\n"
                       "[prod]\n; another comment\naws_access_key_id=AKIDPROD\naws_secret_access_key=s-prod\n"
                       "aws_session_token = t-prod\n");
  write_file(env.home() + "/config",
             "[default]\nregion = eu-west-1\n[profile cfg]\naws_access_key_id = AKIDCFG\naws_secret_access_key = "
             "s-cfg\ns3 =\n  max_concurrent_requests = 20\n[profile regiononly]\nregion = eu-west-1\n");
  env.set("AWS_CONFIG_FILE", env.home() + "/config");

  SECTION("~/.aws/credentials, profile default") {
    auto r = Chain().get();
    REQUIRE(r.credentials);
    CHECK(r.credentials->access_key_id == "AKIDDEFAULT");
    CHECK(r.credentials->secret_access_key == "s-default");
    CHECK(r.source == "profile default in " + env.home() + "/.aws/credentials");
  }
  SECTION("the output's profile, with a session token") {
    aws::CredentialsSettings s;
    s.profile = "prod";
    auto r = Chain(s).get();
    REQUIRE(r.credentials);
    CHECK(r.credentials->access_key_id == "AKIDPROD");
    CHECK(r.credentials->session_token == "t-prod");
  }
  SECTION("AWS_PROFILE naming a [profile x] section of the config file") {
    env.set("AWS_PROFILE", "cfg");
    auto r = Chain().get();
    REQUIRE(r.credentials);
    CHECK(r.credentials->access_key_id == "AKIDCFG");
    CHECK(r.source == "profile cfg in " + env.home() + "/config");
  }
  SECTION("AWS_SHARED_CREDENTIALS_FILE") {
    write_file(env.home() + "/other", "[default]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = s\n");
    env.set("AWS_SHARED_CREDENTIALS_FILE", env.home() + "/other");
    auto r = Chain().get();
    REQUIRE(r.credentials);
    CHECK(r.credentials->access_key_id == "AKIDOTHER");
  }
  SECTION("a named profile that isn't there is an error") {
    env.set("AWS_PROFILE", "missing");
    auto r = Chain().get();
    CHECK(r.error == "AWS profile missing is in neither " + env.home() + "/.aws/credentials nor " + env.home() +
                         "/config");
  }
  SECTION("a named profile without keys is an error") {
    aws::CredentialsSettings s;
    s.profile = "regiononly";
    CHECK(Chain(s).get().error == "profile regiononly in " + env.home() + "/config has no aws_access_key_id and aws_secret_access_key");
  }
  SECTION("a default profile with only a region lets the chain go on") {
    std::filesystem::remove(env.home() + "/.aws/credentials");
    CHECK(Chain().get().error.starts_with("no AWS credentials: "));
  }
  SECTION("unsupported credential_process is named") {
    write_file(env.home() + "/.aws/credentials", "[default]\ncredential_process = /bin/creds\n");
    CHECK(Chain().get().error == "profile default in " + env.home() +
                                     "/.aws/credentials uses credential_process, which sluice does not support (static "
                                     "keys, or role_arn with source_profile)");
  }
}

TEST_CASE("AWS profile with role_arn and source_profile assumes the role", "[aws][credentials]") {
  CleanAwsEnv env;
  AwsStandin standin({"--external-id", "ext-1"});
  use_credentials_file(env, std::string("[base]\naws_access_key_id = ") + kTestKeyId + "\naws_secret_access_key = " +
                                kTestSecret + "\n[deploy]\nrole_arn = arn:aws:iam::123456789012:role/deploy\n"
                                "source_profile = base\nexternal_id = ext-1\nrole_session_name = from-profile\n"
                                "[chained]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = deploy\n");
  aws::CredentialsSettings s = with_sts(standin);
  SECTION("assumed with the source profile's keys, signed") {
    s.profile = "deploy";
    Chain chain(s);
    auto r = chain.get();
    check_minted(r, standin, "sts");
    auto sts = standin.requests("sts");
    REQUIRE(sts.size() == 1);
    CHECK(sts[0].verified == true);
    CHECK(sts[0].param("Action") == "AssumeRole");
    CHECK(sts[0].param("RoleArn") == "arn:aws:iam::123456789012:role/deploy");
    CHECK(sts[0].param("RoleSessionName") == "from-profile");
    CHECK(sts[0].param("ExternalId") == "ext-1");
    CHECK(sts[0].header("Authorization").find("Credential=AKIDEXAMPLE/") != std::string::npos);
    CHECK(sts[0].header("Authorization").find("/eu-west-1/sts/aws4_request") != std::string::npos);
  }
  SECTION("a source profile that assumes a role itself is refused") {
    s.profile = "chained";
    CHECK(Chain(s).get().error.ends_with("assumes a role itself: chained roles are not supported"));
  }
}

TEST_CASE("AWS credentials from the container endpoint (ECS, EKS Pod Identity)", "[aws][credentials]") {
  CleanAwsEnv env;
  AwsStandin standin({"--container-token", "pod-identity-token"});
  use_container(env, standin);

  SECTION("AWS_CONTAINER_AUTHORIZATION_TOKEN") {
    env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "pod-identity-token");
    Chain chain;
    auto r = chain.get();
    check_minted(r, standin, "container");
    CHECK(r.source == "the container endpoint " + standin.url());
    auto seen = standin.requests("container");
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].method == "GET");
    CHECK(seen[0].path == "/container/v2/credentials");
    CHECK(seen[0].header("Authorization") == "pod-identity-token");
  }
  SECTION("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, read on each fetch, wins over the variable") {
    env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "stale");
    write_file(env.home() + "/eks-token", "pod-identity-token\n");
    env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", env.home() + "/eks-token");
    Chain chain;
    check_minted(chain.get(), standin, "container");
    write_file(env.home() + "/eks-token", "rotated");
    chain.provider->invalidate();
    auto r = chain.get();
    CHECK(r.error == "the container credentials endpoint " + standin.url() +
                         "/container/v2/credentials: answered 401: {\"code\": \"AccessDeniedException\", \"message\": "
                         "\"invalid authorization token\"}");
    CHECK(standin.requests("container").back().header("Authorization") == "rotated");
  }
  SECTION("plain http only to loopback and the ECS / EKS agents") {
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://metadata.example.com/creds");
    CHECK(Chain().get().error ==
          "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http is only allowed to a loopback address, 169.254.170.2 or "
          "169.254.170.23, not to metadata.example.com");
  }
  SECTION("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI goes to 169.254.170.2") {
    env.set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc");
    std::string error;
    auto e = aws::container_endpoint(error);
    REQUIRE(e);
    CHECK(error.empty());
    CHECK(e->origin() + e->path == "http://169.254.170.2/v2/credentials/abc");
  }
  SECTION("a scripted 500") {
    env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "pod-identity-token");
    standin.control(R"({"fail": {"container": {"status": 500, "code": "InternalError", "message": "agent down"}}})");
    CHECK(Chain().get().error == "the container credentials endpoint " + standin.url() +
                                     "/container/v2/credentials: answered 500: {\"code\": \"InternalError\", "
                                     "\"message\": \"agent down\"}");
  }
}

TEST_CASE("AWS credentials from EC2 instance metadata (IMDSv2)", "[aws][credentials]") {
  CleanAwsEnv env;
  AwsStandin standin;
  use_imds(env, standin);

  SECTION("token, role list, role credentials") {
    auto r = Chain().get();
    check_minted(r, standin, "imds_role");
    CHECK(r.source == "EC2 instance metadata (role sluice-test-role)");
    auto seen = standin.requests();
    REQUIRE(seen.size() == 3);
    CHECK(seen[0].kind == "imds_token");
    CHECK(seen[0].method == "PUT");
    CHECK(seen[0].header("X-aws-ec2-metadata-token-ttl-seconds") == "21600");
    CHECK(seen[1].kind == "imds_list");
    CHECK(seen[2].kind == "imds_role");
    CHECK(seen[2].path == "/latest/meta-data/iam/security-credentials/sluice-test-role");
    for (size_t i = 1; i < 3; ++i) {
      CHECK(seen[i].status == 200);
      CHECK(seen[i].header("X-aws-ec2-metadata-token").starts_with("imds-session-"));
    }
  }
  SECTION("no role attached") {
    standin.control(R"({"imds_role": ""})");
    auto r = Chain().get();
    CHECK(r.error.starts_with("no AWS credentials: "));
    CHECK(r.error.ends_with("; EC2 instance metadata at " + standin.url() +
                            ": no IAM role is attached to this instance (GET "
                            "/latest/meta-data/iam/security-credentials/ answered 404)"));
  }
  SECTION("token refused") {
    standin.control(R"({"fail": {"imds_token": 403}})");
    CHECK(Chain().get().error.ends_with(": PUT /latest/api/token answered 403"));
  }
  SECTION("unreachable") {
    std::string closed = "http://127.0.0.1:" + std::to_string(free_tcp_port());
    env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", closed);
    auto r = Chain().get();
    CHECK(r.error.starts_with("no AWS credentials: "));
    CHECK(r.error.find("; EC2 instance metadata at " + closed + ": no answer: ") != std::string::npos);
  }
}

TEST_CASE("AWS credential chain order: env, web identity, files, container, IMDS", "[aws][credentials]") {
  CleanAwsEnv env;
  AwsStandin standin({"--container-token", "tok"});
  use_env_keys(env);
  use_web_identity(env, "token-one");
  use_credentials_file(env, "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n");
  use_container(env, standin);
  env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "tok");
  use_imds(env, standin);
  auto source = [&] {
    auto r = Chain(with_sts(standin)).get();
    INFO(r.error);
    return r.source;
  };
  CHECK(source() == "environment variables");
  env.unset("AWS_ACCESS_KEY_ID");
  env.unset("AWS_SECRET_ACCESS_KEY");
  CHECK(source().starts_with("web identity token file "));
  env.unset("AWS_ROLE_ARN");
  CHECK(source() == "profile default in " + env.home() + "/.aws/credentials");
  std::filesystem::remove(env.home() + "/.aws/credentials");
  CHECK(source() == "the container endpoint " + standin.url());
  env.unset("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  CHECK(source() == "EC2 instance metadata (role sluice-test-role)");
}

TEST_CASE("AWS role_arn assumed on top of the chain's credentials", "[aws][credentials]") {
  CleanAwsEnv env;
  AwsStandin standin({"--external-id", "ext-9", "--container-token", "tok"});
  aws::CredentialsSettings s = with_sts(standin, "ap-southeast-2");
  s.role_arn = "arn:aws:iam::123456789012:role/logs-writer";
  s.external_id = "ext-9";
  s.role_session_name = "sluice-test";

  SECTION("with long-term keys from the environment") {
    use_env_keys(env);
    Chain chain(s);
    auto r = chain.get();
    check_minted(r, standin, "sts");
    CHECK(r.source == "role arn:aws:iam::123456789012:role/logs-writer assumed with credentials from environment variables");
    auto sts = standin.requests("sts");
    REQUIRE(sts.size() == 1);
    CHECK(sts[0].verified == true);
    CHECK(sts[0].param("RoleArn") == s.role_arn);
    CHECK(sts[0].param("ExternalId") == "ext-9");
    CHECK(sts[0].param("RoleSessionName") == "sluice-test");
    CHECK(sts[0].param("DurationSeconds") == "3600");
    CHECK(sts[0].header("Content-Type") == "application/x-www-form-urlencoded; charset=utf-8");
    CHECK(sts[0].header("Authorization").find("/ap-southeast-2/sts/aws4_request") != std::string::npos);
  }
  SECTION("with temporary credentials from the container endpoint: the session token is sent and signed") {
    use_container(env, standin);
    env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "tok");
    auto r = Chain(s).get();
    check_minted(r, standin, "sts");
    auto sts = standin.requests("sts");
    REQUIRE(sts.size() == 1);
    CHECK(sts[0].verified == true);
    CHECK(sts[0].header("X-Amz-Security-Token") == standin.requests("container")[0].minted_token);
  }
  SECTION("STS refusing: its code and message") {
    use_env_keys(env);
    standin.control(R"({"fail": {"sts": {"status": 403, "code": "AccessDenied", "message": "not allowed & <no>"}}})");
    CHECK(Chain(s).get().error == "STS AssumeRole at " + standin.url() + " answered 403: AccessDenied: not allowed & <no>");
  }
  SECTION("a wrong secret: SignatureDoesNotMatch, and the secret is not quoted") {
    use_env_keys(env, kTestKeyId, "not-the-secret");
    auto r = Chain(s).get();
    CHECK(r.error.starts_with("STS AssumeRole at " + standin.url() + " answered 403: SignatureDoesNotMatch: "));
    CHECK(r.error.find("not-the-secret") == std::string::npos);
  }
  SECTION("a wrong external id") {
    use_env_keys(env);
    s.external_id = "ext-wrong";
    CHECK(Chain(s).get().error.starts_with("STS AssumeRole at " + standin.url() + " answered 403: AccessDenied: "));
  }
  SECTION("the base credentials missing") {
    CHECK(Chain(s).get().error.starts_with("no AWS credentials: "));
    CHECK(standin.requests("sts").empty());
  }
}

TEST_CASE("AWS shared-file INI parsing", "[aws][credentials]") {
  auto ini = aws::parse_ini(
      "[default]\r\nAWS_Access_Key_Id = a \r\n  nested = skipped\n# c\n; c\nbroken line\n[ profile x ]\nk=v=w\n[");
  CHECK(ini["default"]["aws_access_key_id"] == "a");
  CHECK(ini["default"].count("nested") == 0);
  CHECK(ini["default"].size() == 1);
  CHECK(ini["profile x"]["k"] == "v=w");
}

}  // namespace SLUICE_UNITY_ID
