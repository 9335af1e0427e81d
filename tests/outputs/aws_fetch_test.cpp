// The pure helpers of the AWS credential fetches: endpoint URLs, ISO 8601
// times, quoted answers without secrets, STS's endpoint and XML answers,
// the metadata endpoints' JSON.
#include <catch2/catch.hpp>

#include "outputs/common/aws/aws_fetch.hpp"
#include "outputs/common/aws/aws_metadata_credentials.hpp"
#include "outputs/common/aws/aws_sts.hpp"
#include "tests/outputs/aws_test_support.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace std::chrono_literals;

TEST_CASE("AWS endpoint URLs", "[aws]") {
  auto e = aws::parse_endpoint("https://sts.eu-west-1.amazonaws.com");
  REQUIRE(e);
  CHECK(e->tls);
  CHECK(e->host == "sts.eu-west-1.amazonaws.com");
  CHECK(e->port == 443);
  CHECK(e->path == "");
  CHECK(e->origin() == "https://sts.eu-west-1.amazonaws.com");

  e = aws::parse_endpoint("http://[fd00:ec2::254]:8080/base?x=1");
  REQUIRE(e);
  CHECK(!e->tls);
  CHECK(e->host == "fd00:ec2::254");
  CHECK(e->port == 8080);
  CHECK(e->path == "/base?x=1");
  CHECK(e->origin() == "http://[fd00:ec2::254]:8080");

  CHECK(aws::parse_endpoint("http://127.0.0.1:80")->origin() == "http://127.0.0.1");
  CHECK(aws::parse_endpoint("http://h?q")->path == "/?q");
  for (const char* bad : {"ftp://h", "h:80", "http://", "http://h:", "http://h:0", "http://h:70000", "http://u@h",
                          "http://[::1", "http://[::1]x"}) {
    INFO(bad);
    CHECK(!aws::parse_endpoint(bad));
  }
}

TEST_CASE("AWS ISO 8601 times", "[aws]") {
  auto at = [](int y, unsigned mo, unsigned d, int h, int mi, int s) {
    return std::chrono::sys_days(std::chrono::year(y) / mo / d) + std::chrono::hours(h) + std::chrono::minutes(mi) +
           std::chrono::seconds(s);
  };
  CHECK(aws::parse_iso8601("2026-11-21T10:00:00Z") == at(2026, 11, 21, 10, 0, 0));
  CHECK(aws::parse_iso8601("2026-11-21T10:00:00.123Z") == at(2026, 11, 21, 10, 0, 0));
  CHECK(aws::parse_iso8601("2026-11-21T12:30:00+02:30") == at(2026, 11, 21, 10, 0, 0));
  CHECK(aws::parse_iso8601("2026-11-21T08:00:00-02:00") == at(2026, 11, 21, 10, 0, 0));
  for (const char* bad : {"", "2026-11-21", "2026-11-21T10:00:00", "2026-02-30T10:00:00Z", "2026-11-21T25:00:00Z",
                          "2026-11-21T10:00:00.Z", "2026-11-21T10:00:00+0200", "1763719200",
                          "4052-12-06T12:00:00Z" /* beyond what system_clock holds: found by fuzzing */}) {
    INFO(bad);
    CHECK(!aws::parse_iso8601(bad));
  }
}

TEST_CASE("AWS answers quoted in reasons: one line, bounded, secrets replaced", "[aws]") {
  CHECK(aws::quote_answer("  a\n\n b\tc  ", {}) == "a b c");
  CHECK(aws::quote_answer("token=SECRET and SECRET again", {"SECRET", ""}) == "token=<redacted> and <redacted> again");
  CHECK(aws::quote_answer(std::string(1000, 'x'), {}, 10) == "xxxxxxxxxx…");
}

TEST_CASE("AWS STS endpoint resolution", "[aws]") {
  test::CleanAwsEnv env;
  aws::CredentialsSettings s;
  std::string error;
  SECTION("regional by default, global without a region, China's domain") {
    s.region = "eu-west-1";
    CHECK(aws::resolve_sts(s, error).url() == "https://sts.eu-west-1.amazonaws.com");
    s.region = "cn-north-1";
    CHECK(aws::resolve_sts(s, error).url() == "https://sts.cn-north-1.amazonaws.com.cn");
    s.region = "";
    auto t = aws::resolve_sts(s, error);
    CHECK(t.url() == "https://sts.amazonaws.com");
    CHECK(t.region == "us-east-1");
    env.set("AWS_DEFAULT_REGION", "eu-north-1");
    CHECK(aws::resolve_sts(s, error).url() == "https://sts.eu-north-1.amazonaws.com");
    env.set("AWS_REGION", "eu-south-1");
    CHECK(aws::resolve_sts(s, error).region == "eu-south-1");
    CHECK(error.empty());
  }
  SECTION("sts_endpoint, then AWS_ENDPOINT_URL_STS") {
    env.set("AWS_ENDPOINT_URL_STS", "https://vpce-1.sts.eu-west-1.vpce.amazonaws.com");
    CHECK(aws::resolve_sts(s, error).url() == "https://vpce-1.sts.eu-west-1.vpce.amazonaws.com");
    s.sts_endpoint = "http://127.0.0.1:4566/sts";
    auto t = aws::resolve_sts(s, error);
    CHECK(t.url() == "http://127.0.0.1:4566/sts");
    CHECK(t.region == "us-east-1");
    s.sts_endpoint = "sts.example.com";
    aws::resolve_sts(s, error);
    CHECK(error == "sts_endpoint \"sts.example.com\" is not an http:// or https:// URL");
  }
}

TEST_CASE("AWS STS answers", "[aws]") {
  http::Response ok;
  ok.status = 200;
  ok.body = "<AssumeRoleResponse><AssumeRoleResult><Credentials>\n<AccessKeyId>ASIA1</AccessKeyId>"
            "<SecretAccessKey>s&amp;&#x2F;&#47;&lt;</SecretAccessKey><SessionToken> tok </SessionToken>"
            "<Expiration>2026-11-21T11:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>";
  auto r = aws::parse_sts_answer("AssumeRole", "https://sts", ok, {});
  REQUIRE(r.credentials);
  CHECK(r.credentials->access_key_id == "ASIA1");
  CHECK(r.credentials->secret_access_key == "s&//<");
  CHECK(r.credentials->session_token == "tok");
  CHECK(r.credentials->expiration == aws::parse_iso8601("2026-11-21T11:00:00Z"));
  CHECK(aws::xml_text("<a>&#233;&#x1F600;&bogus;</a>", "a") == "\xC3\xA9\xF0\x9F\x98\x80&bogus;");

  http::Response refused;
  refused.status = 403;
  refused.body = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                 "<Message>not authorized for token T0K3N</Message></Error></ErrorResponse>";
  CHECK(aws::parse_sts_answer("AssumeRole", "https://sts", refused, {"T0K3N"}).error ==
        "STS AssumeRole at https://sts answered 403: AccessDenied: not authorized for token <redacted>");
  refused.status = 502;
  refused.body = "<html>bad gateway</html>";
  CHECK(aws::parse_sts_answer("AssumeRole", "https://sts", refused, {}).error ==
        "STS AssumeRole at https://sts answered 502: <html>bad gateway</html>");
  http::Response none;
  none.error = "connect: Connection refused";
  CHECK(aws::parse_sts_answer("AssumeRoleWithWebIdentity", "https://sts", none, {}).error ==
        "STS AssumeRoleWithWebIdentity at https://sts: no answer: connect: Connection refused");
  ok.body = "<AssumeRoleResponse/>";
  CHECK(aws::parse_sts_answer("AssumeRole", "https://sts", ok, {}).error ==
        "STS AssumeRole at https://sts answered 200 without AccessKeyId, SecretAccessKey and SessionToken");
}

TEST_CASE("AWS metadata JSON credentials", "[aws]") {
  auto r = aws::parse_json_credentials(
      "imds", R"({"Code":"Success","AccessKeyId":"A","SecretAccessKey":"S","Token":"T","Expiration":"2026-11-21T11:00:00Z"})");
  REQUIRE(r.credentials);
  CHECK(r.credentials->session_token == "T");
  CHECK(r.credentials->expiration);
  CHECK(aws::parse_json_credentials("imds", R"({"AccessKeyId":"A","SecretAccessKey":"S"})").credentials);
  CHECK(aws::parse_json_credentials("imds", R"({"Code":"Failed","Message":"no"})").error == "imds answered Code Failed: no");
  CHECK(aws::parse_json_credentials("imds", "not json").error == "imds answered something that is not a JSON object");
  CHECK(aws::parse_json_credentials("imds", R"({"AccessKeyId":"A"})").error ==
        "imds answered without AccessKeyId and SecretAccessKey");
  CHECK(aws::parse_json_credentials("imds", R"({"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"soon"})").error ==
        "imds answered an Expiration that is not an ISO 8601 time: \"soon\"");
}

}  // namespace SLUICE_UNITY_ID
