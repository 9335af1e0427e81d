// Azure credentials without the network: which source the settings and the
// environment pick and why a configuration can't work, the certificate's
// thumbprints against openssl's, and the client assertion checked by
// jsonwebtoken (tests/peers/verify_jwt.js) with the certificate.
#include <catch2/catch.hpp>
#include <simdjson.h>

#include <regex>

#include "agent/base64.hpp"
#include "outputs/common/azure/azure_credentials.hpp"
#include "outputs/common/azure/client_assertion.hpp"
#include "outputs/common/azure/entra_token_fetch.hpp"
#include "outputs/common/gcp/jwt.hpp"
#include "outputs/common/percent_encoding.hpp"
#include "tests/outputs/azure_test_support.hpp"
#include "tests/outputs/gcp_test_support.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::azure;

namespace {

std::optional<CredentialSource> resolve(const TokenSignerSettings& s, std::string& error) {
  error.clear();
  return resolve_credentials(s, error);
}

TokenSignerSettings app_settings() {
  TokenSignerSettings s;
  s.tenant_id = test::kAzureTenant;
  s.client_id = test::kAzureClient;
  return s;
}

// "SHA1 Fingerprint=AB:CD:…" from `openssl x509 -fingerprint` as raw bytes.
std::string openssl_fingerprint(const std::string& crt, const char* digest) {
  std::string out = test::run_tool({"openssl", "x509", "-in", crt, "-noout", "-fingerprint", std::string("-") + digest});
  std::string hex = out.substr(out.find('=') + 1);
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 3) bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return bytes;
}

}  // namespace

TEST_CASE("the Azure SDKs' order picks the source, settings win over the environment", "[azure]") {
  test::CleanAzureEnv clean;
  test::TempDir dir;
  test::TestCertificate cert = test::make_test_certificate(dir, "app");
  std::string error;

  SECTION("a client secret in the settings") {
    TokenSignerSettings s = app_settings();
    s.client_secret = "s";
    auto c = resolve(s, error);
    REQUIRE(c);
    CHECK(c->method == AuthMethod::ClientSecret);
    CHECK(c->token_url == std::string("https://login.microsoftonline.com/") + test::kAzureTenant + "/oauth2/v2.0/token");
    CHECK(c->scope == "https://monitor.azure.com/.default");
    CHECK(c->origin == std::string("client_secret of app ") + test::kAzureClient + " in tenant " + test::kAzureTenant);
  }
  SECTION("a certificate in the settings, its key in the same file or its own") {
    TokenSignerSettings s = app_settings();
    s.client_certificate_file = cert.pem;
    auto c = resolve(s, error);
    REQUIRE(c);
    CHECK(c->method == AuthMethod::ClientCertificate);
    s.client_certificate_file = cert.crt;
    s.client_certificate_key_file = cert.key;
    REQUIRE(resolve(s, error));
    s.client_certificate_key_file = "";
    CHECK_FALSE(resolve(s, error));
    CHECK(error.find("client certificate " + cert.crt + ": its private key: not a readable PEM private key") == 0);
  }
  SECTION("both in the settings: an error") {
    TokenSignerSettings s = app_settings();
    s.client_secret = "s";
    s.client_certificate_file = cert.pem;
    CHECK_FALSE(resolve(s, error));
    CHECK(error == "client_secret and client_certificate_file exclude each other");
  }
  SECTION("AZURE_CLIENT_SECRET, then AZURE_CLIENT_CERTIFICATE_PATH, with the ids from the environment") {
    test::ScopedEnv tenant("AZURE_TENANT_ID", test::kAzureTenant);
    test::ScopedEnv client("AZURE_CLIENT_ID", test::kAzureClient);
    test::ScopedEnv path("AZURE_CLIENT_CERTIFICATE_PATH", cert.pem.c_str());
    {
      test::ScopedEnv secret("AZURE_CLIENT_SECRET", "from-env");
      auto c = resolve(TokenSignerSettings{}, error);
      REQUIRE(c);
      CHECK(c->method == AuthMethod::ClientSecret);
      CHECK(c->client_secret == "from-env");
      CHECK(c->origin.find("client_secret (AZURE_CLIENT_SECRET) of app ") == 0);
    }
    auto c = resolve(TokenSignerSettings{}, error);
    REQUIRE(c);
    CHECK(c->method == AuthMethod::ClientCertificate);
    CHECK(c->origin.find("(AZURE_CLIENT_CERTIFICATE_PATH)") != std::string::npos);
  }
  SECTION("Fluent Bit's auth_url: the token endpoint whole, no tenant needed") {
    TokenSignerSettings s;
    s.client_id = test::kAzureClient;
    s.client_secret = "s3cret";
    s.token_url = "http://127.0.0.1:9/custom/token";
    auto c = resolve(s, error);
    REQUIRE(c);
    CHECK(c->method == AuthMethod::ClientSecret);
    CHECK(c->token_url == "http://127.0.0.1:9/custom/token");
    s.client_id.clear();
    CHECK_FALSE(resolve(s, error));
    CHECK_THAT(error, Catch::Contains("needs client_id"));
  }
  SECTION("workload identity: AKS's variables, AZURE_AUTHORITY_HOST included") {
    test::ScopedEnv tenant("AZURE_TENANT_ID", test::kAzureTenant);
    test::ScopedEnv client("AZURE_CLIENT_ID", test::kAzureClient);
    test::ScopedEnv file("AZURE_FEDERATED_TOKEN_FILE", "/var/run/secrets/azure/tokens/azure-identity-token");
    test::ScopedEnv authority("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us/");
    auto c = resolve(TokenSignerSettings{}, error);
    REQUIRE(c);
    CHECK(c->method == AuthMethod::WorkloadIdentity);
    CHECK(c->federated_token_file == "/var/run/secrets/azure/tokens/azure-identity-token");
    CHECK(c->token_url == std::string("https://login.microsoftonline.us/") + test::kAzureTenant + "/oauth2/v2.0/token");
  }
  SECTION("nothing configured: the system-assigned managed identity") {
    auto c = resolve(TokenSignerSettings{}, error);
    REQUIRE(c);
    CHECK(c->method == AuthMethod::ManagedIdentity);
    CHECK(c->token_url == "http://169.254.169.254/metadata/identity/oauth2/token");
    CHECK(c->imds_query == "api-version=2018-02-01&resource=https%3A%2F%2Fmonitor.azure.com");
    CHECK(c->origin == "managed identity (system-assigned) for https://monitor.azure.com");
  }
  SECTION("a user-assigned identity by AZURE_CLIENT_ID, object_id or mi_res_id; not two of them") {
    TokenSignerSettings s;
    s.imds_endpoint = "127.0.0.1:8080";
    {
      test::ScopedEnv client("AZURE_CLIENT_ID", "uai-1");
      auto c = resolve(s, error);
      REQUIRE(c);
      CHECK(c->token_url == "http://127.0.0.1:8080/metadata/identity/oauth2/token");
      CHECK(c->imds_query == "api-version=2018-02-01&resource=https%3A%2F%2Fmonitor.azure.com&client_id=uai-1");
      s.object_id = "oid-1";
      CHECK_FALSE(resolve(s, error));
      CHECK(error == "a managed identity is named by one of client_id, object_id and mi_res_id, not several");
    }
    auto c = resolve(s, error);
    REQUIRE(c);
    CHECK(c->imds_query.ends_with("&object_id=oid-1"));
    s.object_id = "";
    s.mi_res_id = "/subscriptions/x/resourcegroups/y/providers/Microsoft.ManagedIdentity/userAssignedIdentities/z";
    c = resolve(s, error);
    REQUIRE(c);
    CHECK(c->imds_query.ends_with("&msi_res_id=%2Fsubscriptions%2Fx%2Fresourcegroups%2Fy%2Fproviders%2F"
                                  "Microsoft.ManagedIdentity%2FuserAssignedIdentities%2Fz"));
  }
  SECTION("AZURE_POD_IDENTITY_AUTHORITY_HOST moves IMDS, as in the SDKs") {
    test::ScopedEnv host("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:2579/");
    auto c = resolve(TokenSignerSettings{}, error);
    REQUIRE(c);
    CHECK(c->token_url == "http://127.0.0.1:2579/metadata/identity/oauth2/token");
  }
  SECTION("a tenant without a credential is an error, not a managed identity") {
    CHECK_FALSE(resolve(app_settings(), error));
    CHECK(error.find("tenant_id is set but no client_secret, client_certificate_file or federated_token_file is") == 0);
  }
}

TEST_CASE("an explicit auth_method needs its inputs, bad ids and URLs are refused", "[azure]") {
  test::CleanAzureEnv clean;
  std::string error;
  TokenSignerSettings s;
  s.auth_method = AuthMethod::ClientSecret;
  CHECK_FALSE(resolve(s, error));
  CHECK(error == "auth_method client_secret needs client_secret (or AZURE_CLIENT_SECRET)");
  s.client_secret = "x";
  CHECK_FALSE(resolve(s, error));
  CHECK(error == "client_secret needs tenant_id (or AZURE_TENANT_ID) and client_id (or AZURE_CLIENT_ID)");
  s.client_id = "c";
  s.tenant_id = "tenant/../../evil";
  CHECK_FALSE(resolve(s, error));
  CHECK(error == "tenant_id is not a tenant id or domain: tenant/../../evil");
  s.tenant_id = "contoso.onmicrosoft.com";
  s.authority_host = "ftp://login";
  CHECK_FALSE(resolve(s, error));
  CHECK(error == "authority_host is not an http(s) URL: ftp://login");
  s.auth_method = AuthMethod::WorkloadIdentity;
  CHECK_FALSE(resolve(s, error));
  CHECK(error == "auth_method workload_identity needs federated_token_file (or AZURE_FEDERATED_TOKEN_FILE)");
  s.auth_method = AuthMethod::ClientCertificate;
  s.client_certificate_file = "/nonexistent.pem";
  CHECK_FALSE(resolve(s, error));
  CHECK(error == "cannot read /nonexistent.pem");
  // An explicit managed identity ignores the application's settings but its client id.
  s.auth_method = AuthMethod::ManagedIdentity;
  s.scope = "https://monitor.azure.us//.default";
  auto c = resolve(s, error);
  REQUIRE(c);
  CHECK(c->imds_query == "api-version=2018-02-01&resource=https%3A%2F%2Fmonitor.azure.us%2F&client_id=c");

  CHECK(parse_auth_method("workload_identity") == AuthMethod::WorkloadIdentity);
  CHECK_FALSE(parse_auth_method("password"));
  CHECK(auth_method_name(AuthMethod::ManagedIdentity) == "managed_identity");
  CHECK(scope_to_resource("https://monitor.azure.com/.default") == "https://monitor.azure.com");
  CHECK(scope_to_resource("https://monitor.azure.com//.default") == "https://monitor.azure.com/");
  CHECK(http::percent_encode("a b/c~d") == "a%20b%2Fc~d");
}

TEST_CASE("a client certificate: thumbprints as openssl computes them, key checks", "[azure]") {
  test::TempDir dir;
  test::TestCertificate cert = test::make_test_certificate(dir, "app");
  std::string error;
  auto c = read_client_certificate(cert.pem, "", error);
  INFO(error);
  REQUIRE(c);
  std::string sha1 = openssl_fingerprint(cert.crt, "sha1");
  REQUIRE(sha1.size() == 20);
  CHECK(c->x5t == gcp::base64url(sha1));
  CHECK(c->x5t_s256 == gcp::base64url(openssl_fingerprint(cert.crt, "sha256")));
  std::string hex = test::run_tool({"openssl", "x509", "-in", cert.crt, "-noout", "-fingerprint", "-sha1"});
  hex = std::regex_replace(hex.substr(hex.find('=') + 1), std::regex("[:\n]"), "");
  CHECK(c->thumbprint_hex == hex);

  SECTION("a key that is not the certificate's") {
    test::TestCertificate other = test::make_test_certificate(dir, "other");
    CHECK_FALSE(read_client_certificate(cert.crt, other.key, error));
    CHECK(error == "client certificate " + cert.crt + " (key " + other.key + "): the private key does not belong to the certificate");
  }
  SECTION("no certificate, an encrypted key") {
    CHECK_FALSE(parse_client_certificate(test::read_file(cert.key), test::read_file(cert.key), error));
    CHECK(error == "no PEM certificate (-----BEGIN CERTIFICATE-----) in it");
    test::run_tool({"openssl", "pkcs8", "-topk8", "-in", cert.key, "-out", dir.file("enc.key"), "-passout", "pass:pw"});
    CHECK_FALSE(read_client_certificate(cert.crt, dir.file("enc.key"), error));
    CHECK(error.ends_with("its private key: the key is encrypted; sluice needs it without a passphrase"));
  }
}

TEST_CASE("the client assertion: RS256 with x5t and x5t#S256, verified by jsonwebtoken with the certificate", "[azure]") {
  test::TempDir dir;
  test::TestCertificate cert = test::make_test_certificate(dir, "app");
  std::string error;
  auto c = read_client_certificate(cert.pem, "", error);
  REQUIRE(c);
  AssertionFields f;
  f.client_id = test::kAzureClient;
  f.audience = "https://login.microsoftonline.com/t/oauth2/v2.0/token";
  f.jwt_id = new_jwt_id();
  f.not_before = 1'800'000'000;
  CHECK(assertion_header_json(*c) ==
        R"({"alg":"RS256","typ":"JWT","x5t":")" + c->x5t + R"(","x5t#S256":")" + c->x5t_s256 + R"("})");
  CHECK(assertion_claims_json(f) == R"({"aud":"https://login.microsoftonline.com/t/oauth2/v2.0/token","iss":")" +
                                        std::string(test::kAzureClient) + R"(","sub":")" + test::kAzureClient +
                                        R"(","jti":")" + f.jwt_id + R"(","nbf":1800000000,"iat":1800000000,"exp":1800000600})");
  // jsonwebtoken checks nbf even with ignoreExpiration: sign one valid now.
  f.not_before = gcp::unix_seconds(std::chrono::system_clock::now());
  std::string jwt = make_client_assertion(f, *c, error);
  REQUIRE_FALSE(jwt.empty());
  std::string verified = test::verify_jwt_with_node(jwt, test::read_file(cert.crt));
  INFO(verified);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(verified).get(doc) == simdjson::SUCCESS);
  CHECK(std::string_view(doc["header"]["x5t"]) == c->x5t);
  CHECK(std::string_view(doc["payload"]["sub"]) == test::kAzureClient);
  CHECK(int64_t(doc["payload"]["exp"]) - int64_t(doc["payload"]["nbf"]) == 600);

  CHECK(std::regex_match(f.jwt_id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  CHECK(new_jwt_id() != new_jwt_id());
}

}  // namespace SLUICE_UNITY_ID
