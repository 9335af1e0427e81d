// aws::SigV4Signer: the headers it adds and signs, re-signing, errors passed
// through, and requests sent with the HTTP client that the stand-in
// verifies with its own SigV4 implementation (Python's hmac/hashlib).
#include <catch2/catch.hpp>

#include "outputs/common/aws/sigv4_signer.hpp"
#include "tests/outputs/aws_test_support.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

// A provider that answers what it is told and counts invalidations.
struct ScriptedProvider : aws::CredentialsProvider {
  std::shared_ptr<const aws::Credentials> credentials;
  std::string error;
  int invalidated = 0;
  bool stopped = false;
  void start(boost::asio::io_context&) override {}
  void get(aws::CredentialsDone done) override { done({credentials, credentials ? "" : error, "scripted"}); }
  void invalidate() override { ++invalidated; }
  void stop() override { stopped = true; }
};

std::chrono::system_clock::time_point fixed_time() {
  return std::chrono::sys_days(std::chrono::year(2026) / 11 / 21) + 10h;
}

std::string header(const http::Request& r, std::string_view name) {
  std::string out;
  for (const auto& h : r.headers)
    if (strcasecmp(h.name.c_str(), std::string(name).c_str()) == 0) out += (out.empty() ? "" : "|") + h.value;
  return out;
}

std::string sign(http::Signer& signer, http::Request& request, std::string_view host) {
  std::optional<std::string> result;
  signer.sign(request, host, [&](std::string error) { result = std::move(error); });
  REQUIRE(result);  // a scripted provider answers at once
  return *result;
}

http::Request put_log_events() {
  http::Request r;
  r.method = "POST";
  r.target = "/";
  r.headers = {{"Content-Type", "application/x-amz-json-1.1"},
               {"X-Amz-Target", "Logs_20140328.PutLogEvents"},
               {"User-Agent", "sluice/test"}};
  r.body = R"({"logGroupName":"/sluice/app","logStreamName":"n1","logEvents":[]})";
  return r;
}

}  // namespace

TEST_CASE("SigV4Signer adds and signs the right headers", "[aws][sigv4]") {
  auto owned = std::make_unique<ScriptedProvider>();
  ScriptedProvider& provider = *owned;
  provider.credentials = std::make_shared<const aws::Credentials>(aws::Credentials{kTestKeyId, kTestSecret, "", {}});
  aws::SigV4Signer signer(aws::sigv4_settings_for("eu-west-1", "logs"), std::move(owned), fixed_time);
  http::Request r = put_log_events();

  CHECK(sign(signer, r, "logs.eu-west-1.amazonaws.com") == "");
  CHECK(header(r, "X-Amz-Date") == "20261121T100000Z");
  CHECK(header(r, "X-Amz-Security-Token") == "");
  CHECK(header(r, "X-Amz-Content-Sha256") == "");
  std::string authz = header(r, "Authorization");
  CHECK(authz.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261121/eu-west-1/logs/aws4_request, "
                          "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature="));

  // The same signature from the pure function, host from the argument.
  aws::SigningInput in;
  in.method = "POST";
  in.path = "/";
  in.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                {"X-Amz-Target", "Logs_20140328.PutLogEvents"},
                {"host", "logs.eu-west-1.amazonaws.com"}};
  in.body = r.body;
  in.region = "eu-west-1";
  in.service = "logs";
  in.time = fixed_time();
  CHECK(authz == aws::sign(in, *provider.credentials).authorization);

  SECTION("signing again replaces the earlier signing headers") {
    provider.credentials =
        std::make_shared<const aws::Credentials>(aws::Credentials{"ASIATEMP", "other", "session", {}});
    CHECK(sign(signer, r, "logs.eu-west-1.amazonaws.com") == "");
    CHECK(header(r, "Authorization").find("|") == std::string::npos);
    CHECK(header(r, "X-Amz-Date") == "20261121T100000Z");
    CHECK(header(r, "X-Amz-Security-Token") == "session");
    CHECK(header(r, "Authorization").find("Credential=ASIATEMP/") != std::string::npos);
    CHECK(header(r, "Authorization").find("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target,") !=
          std::string::npos);
    CHECK(r.headers.size() == 3 + 3);
  }
  SECTION("a Host header of the request wins over the argument") {
    http::Request with_host = put_log_events();
    with_host.headers.push_back({"Host", "logs.eu-west-1.amazonaws.com"});
    sign(signer, with_host, "elsewhere:8080");
    CHECK(header(with_host, "Authorization") == authz);
  }
  SECTION("invalidate and stop reach the provider") {
    signer.invalidate();
    CHECK(provider.invalidated == 1);
    signer.stop();
    CHECK(provider.stopped);
    http::Request late = put_log_events();
    CHECK(sign(signer, late, "h") == "the SigV4 signer is stopped");
  }
}

TEST_CASE("SigV4Signer for aoss adds X-Amz-Content-Sha256", "[aws][sigv4]") {
  auto provider = std::make_unique<ScriptedProvider>();
  provider->credentials = std::make_shared<const aws::Credentials>(aws::Credentials{kTestKeyId, kTestSecret, "", {}});
  aws::SigV4Signer signer(aws::sigv4_settings_for("eu-west-1", "aoss"), std::move(provider), fixed_time);
  http::Request r;
  r.target = "/_bulk?refresh=false";
  r.body = "{\"create\":{}}\n{\"a\":1}\n";
  CHECK(sign(signer, r, "abc.eu-west-1.aoss.amazonaws.com") == "");
  CHECK(header(r, "X-Amz-Content-Sha256") == aws::sha256_hex(r.body));
  CHECK(header(r, "Authorization").find("SignedHeaders=host;x-amz-content-sha256;x-amz-date,") != std::string::npos);
  CHECK(!aws::sigv4_settings_for("eu-west-1", "es").content_sha256_header);
}

TEST_CASE("SigV4Signer passes credential errors through", "[aws][sigv4]") {
  auto provider = std::make_unique<ScriptedProvider>();
  provider->error = "no AWS credentials: …";
  aws::SigV4Signer signer(aws::sigv4_settings_for("eu-west-1", "logs"), std::move(provider));
  http::Request r = put_log_events();
  CHECK(sign(signer, r, "h") == "no AWS credentials: …");
  CHECK(header(r, "Authorization") == "");
}

TEST_CASE("SigV4Signer's requests verify at the stand-in, sent by the HTTP client", "[aws][sigv4]") {
  CleanAwsEnv env;
  AwsStandin standin({"--container-token", "tok"});
  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", standin.url() + "/container/creds");
  env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "tok");
  boost::asio::io_context io;
  auto service = GENERATE(as<std::string>{}, "logs", "es", "aoss");
  aws::SigV4Signer signer(aws::sigv4_settings_for("eu-central-1", service), aws::make_credentials_provider({}));
  signer.start(io);
  http::ClientSettings cs;
  cs.host = "127.0.0.1";
  cs.port = static_cast<uint16_t>(std::stoi(standin.url().substr(standin.url().rfind(':') + 1)));
  http::Client client(io, cs);

  std::vector<http::Request> requests;
  for (const char* target : {"/signed/a", "/signed/my%20index/_bulk?b=2&a=1&a=0&empty=", "/signed//x/./y/../z"}) {
    http::Request r = put_log_events();
    r.target = target;
    r.body += target;  // bodies differ
    requests.push_back(std::move(r));
  }
  requests.back().method = "PUT";
  requests.back().body.clear();
  size_t signed_count = 0;
  for (auto& r : requests) {
    signer.sign(r, "127.0.0.1:" + std::to_string(cs.port), [&](std::string error) {
      CHECK(error == "");
      ++signed_count;
    });
  }
  REQUIRE(run_until(io, [&] { return signed_count == requests.size(); }));
  auto answers = exchange_all(io, client, requests);
  for (const auto& a : answers) {
    INFO(a.body);
    CHECK(a.status == 200);
  }
  auto seen = standin.requests("signed");
  REQUIRE(seen.size() == 3);
  for (const auto& s : seen) {
    CHECK(s.verified == true);
    CHECK(!s.header("X-Amz-Security-Token").empty());
  }
  signer.stop();
}

}  // namespace SLUICE_UNITY_ID
