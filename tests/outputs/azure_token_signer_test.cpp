// azure::TokenSigner against azure_standin.js: each credential source (client
// secret, certificate assertion checked by the stand-in with jose, workload
// identity's token file, IMDS with "Metadata: true"), one fetch shared by
// waiting requests, refresh before expiry, invalidate() after a 401, Entra's
// AADSTS error as the reason, and no secret in any log line.
#include <catch2/catch.hpp>

#include <optional>

#include "outputs/common/azure/azure_token_signer.hpp"
#include "outputs/common/gcp/jwt.hpp"
#include "tests/outputs/azure_test_support.hpp"
#include "tests/outputs/gcp_test_support.hpp"
#include "tests/support/log_capture.hpp"
#include "tests/outputs/signer_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::azure;
using std::chrono::seconds;

namespace {

// A signer from settings on its own io_context, its clock moved by tests.
struct Harness : test::SignerHarness<TokenSigner> {
  explicit Harness(const TokenSignerSettings& settings) : SignerHarness("dce.ingest.monitor.azure.com") {
    std::string error;
    std::optional<CredentialSource> source = resolve_credentials(settings, error);
    INFO(error);
    REQUIRE(source);
    make(settings, *source);
  }
};

TokenSignerSettings secret_settings(const test::AzureStandin& a) {
  TokenSignerSettings s;
  s.tenant_id = test::kAzureTenant;
  s.client_id = test::kAzureClient;
  s.client_secret = test::kAzureSecret;
  s.authority_host = a.url();
  return s;
}

}  // namespace

TEST_CASE("client secret: one token request serves every waiting and later request", "[azure]") {
  test::CleanAzureEnv clean;
  test::AzureStandin a;
  Harness h(secret_settings(a));
  std::vector<http::Request> requests(25);
  size_t signed_ok = 0;
  for (auto& r : requests) h.signer->sign(r, "h", [&](std::string error) { signed_ok += error.empty(); });
  REQUIRE(test::run_until(h.io, [&] { return signed_ok == requests.size(); }));
  std::string bearer = requests[0].headers.at(0).value;
  CHECK(bearer.rfind("Bearer eyJ", 0) == 0);
  for (auto& r : requests) CHECK(r.headers.at(0).value == bearer);
  for (int i = 0; i < 25; ++i) CHECK(h.bearer() == bearer);

  auto tokens = a.log("token");
  REQUIRE(tokens.size() == 1);
  CHECK(tokens[0].status == 200);
  CHECK(tokens[0].grant == "client_secret");
  CHECK(tokens[0].client_id == test::kAzureClient);
  CHECK(tokens[0].scope == "https://monitor.azure.com/.default");
  CHECK(h.signer->tokens_fetched() == 1);
  CHECK(a.ingest(bearer) == 204);
  CHECK(a.log("ingest").back().principal == test::kAzureClient);
}

TEST_CASE("certificate: the assertion passes the stand-in's jose check, x5t is openssl's SHA-1 thumbprint", "[azure]") {
  test::CleanAzureEnv clean;
  test::TempDir dir;
  test::TestCertificate cert = test::make_test_certificate(dir, "app");
  test::AzureStandin a({"--client-cert", cert.crt});
  TokenSignerSettings s = secret_settings(a);
  s.client_secret = "";
  SECTION("certificate and key in one file") { s.client_certificate_file = cert.pem; }
  SECTION("the key in its own file") {
    s.client_certificate_file = cert.crt;
    s.client_certificate_key_file = cert.key;
  }
  Harness h(s);
  std::string bearer = h.bearer();
  REQUIRE_FALSE(bearer.empty());
  auto tokens = a.log("token");
  REQUIRE(tokens.size() == 1);
  CHECK(tokens[0].grant == "client_certificate");
  CHECK(tokens[0].alg == "RS256");
  std::string fingerprint = test::run_tool({"openssl", "x509", "-in", cert.crt, "-noout", "-fingerprint", "-sha1"});
  std::string bytes;
  for (size_t i = fingerprint.find('=') + 1; i + 1 < fingerprint.size(); i += 3)
    bytes += static_cast<char>(std::stoi(fingerprint.substr(i, 2), nullptr, 16));
  CHECK(tokens[0].x5t == gcp::base64url(bytes));
  CHECK_FALSE(tokens[0].x5t_s256.empty());
  CHECK(a.ingest(bearer) == 204);
}

TEST_CASE("a certificate the app doesn't have: Entra's AADSTS700027 as the reason", "[azure]") {
  test::CleanAzureEnv clean;
  test::TempDir dir;
  test::TestCertificate registered = test::make_test_certificate(dir, "app");
  test::TestCertificate other = test::make_test_certificate(dir, "other");
  test::AzureStandin a({"--client-cert", registered.crt});
  TokenSignerSettings s = secret_settings(a);
  s.client_secret = "";
  s.client_certificate_file = other.pem;
  Harness h(s);
  http::Request r;
  CHECK(h.sign(r).rfind("Entra ID token endpoint " + a.token_url() + " answered 401: invalid_client: AADSTS700027: "
                        "The certificate with identifier used to sign the client assertion is not registered on application.",
                        0) == 0);
}

TEST_CASE("workload identity: the federated token file is read for every token request", "[azure]") {
  test::CleanAzureEnv clean;
  test::TempDir dir;
  // The stand-in trusts what its file holds; sluice reads its own file, as
  // AKS projects it.
  test::AzureStandin a({"--federated-token-file", dir.file("trusted")});
  test::write_file(dir.file("trusted"), "federated-token-1");
  test::write_file(dir.file("projected"), "federated-token-1\n");
  test::ScopedEnv tenant("AZURE_TENANT_ID", test::kAzureTenant);
  test::ScopedEnv client("AZURE_CLIENT_ID", test::kAzureClient);
  test::ScopedEnv file("AZURE_FEDERATED_TOKEN_FILE", dir.file("projected").c_str());
  test::ScopedEnv authority("AZURE_AUTHORITY_HOST", a.url().c_str());
  Harness h(TokenSignerSettings{});
  std::string first = h.bearer();
  REQUIRE_FALSE(first.empty());
  CHECK(a.log("token").back().grant == "workload_identity");
  CHECK(a.ingest(first) == 204);

  // kubelet rotated the token: the next fetch sends the new one.
  test::write_file(dir.file("trusted"), "federated-token-2");
  test::write_file(dir.file("projected"), "federated-token-2");
  h.signer->invalidate();
  CHECK(h.bearer() != first);
  CHECK(a.log("token").back().status == 200);

  SECTION("a stale token file: Entra's AADSTS700211 as the reason") {
    test::write_file(dir.file("trusted"), "federated-token-3");
    h.signer->invalidate();
    http::Request r;
    CHECK(h.sign(r).rfind("Entra ID token endpoint " + a.token_url() + " answered 400: invalid_request: AADSTS700211: "
                          "No matching federated identity record found for presented assertion issuer ''.", 0) == 0);
  }
  SECTION("an empty token file") {
    test::write_file(dir.file("projected"), "\n");
    h.signer->invalidate();
    http::Request r;
    CHECK(h.sign(r) == "the federated token file " + dir.file("projected") + " is empty");
  }
}

TEST_CASE("managed identity: IMDS with Metadata: true, system- or user-assigned", "[azure]") {
  test::CleanAzureEnv clean;
  test::AzureStandin a({"--managed-identity", "uai-client,uai-object,/subscriptions/s/uai"});
  TokenSignerSettings s;
  s.imds_endpoint = a.url();
  std::string id_param = "";
  std::string identity = "system";
  SECTION("system-assigned") {}
  SECTION("user-assigned by client id") {
    s.client_id = "uai-client";
    id_param = "client_id";
    identity = "uai-client";
  }
  SECTION("user-assigned by object id") {
    s.object_id = "uai-object";
    id_param = "object_id";
    identity = "uai-client";
  }
  SECTION("user-assigned by resource id") {
    s.mi_res_id = "/subscriptions/s/uai";
    id_param = "msi_res_id";
    identity = "uai-client";
  }
  Harness h(s);
  std::string bearer = h.bearer();
  REQUIRE_FALSE(bearer.empty());
  CHECK(h.bearer() == bearer);
  auto lines = a.log("imds");
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].status == 200);
  CHECK(lines[0].metadata);  // the stand-in answers 400 bad_request_102 without it
  CHECK(lines[0].identity == identity);
  CHECK(lines[0].id_param == id_param);
  CHECK(lines[0].resource == "https://monitor.azure.com");
  CHECK(a.log("token").empty());
  CHECK(a.ingest(bearer) == 204);
}

TEST_CASE("an identity the VM doesn't have: IMDS's answer as the reason", "[azure]") {
  test::CleanAzureEnv clean;
  test::AzureStandin a;
  TokenSignerSettings s;
  s.imds_endpoint = a.url();
  s.client_id = "not-on-this-vm";
  Harness h(s);
  http::Request r;
  CHECK(h.sign(r) == "Azure IMDS " + a.url() + "/metadata/identity/oauth2/token answered 400: invalid_request: Identity not found");
}

TEST_CASE("an Entra ID token is fetched again before it expires", "[azure]") {
  test::CleanAzureEnv clean;
  CHECK(TokenSigner::refresh_at({}, seconds(3599)) == std::chrono::system_clock::time_point{} + seconds(3299));
  CHECK(TokenSigner::refresh_at({}, seconds(20)) == std::chrono::system_clock::time_point{} + seconds(18));
  test::AzureStandin a({"--token-ttl", "20"});
  Harness h(secret_settings(a));
  std::string first = h.bearer();
  REQUIRE_FALSE(first.empty());
  h.skew = seconds(17);
  CHECK(h.bearer() == first);
  h.skew = seconds(19);  // less than a tenth of its life left: a new one, while the old still works
  std::string second = h.bearer();
  CHECK(second != first);
  CHECK(a.log("token").size() == 2);
  CHECK(a.ingest(first) == 204);
  CHECK(a.ingest(second) == 204);
}

TEST_CASE("invalidate() after a scripted 401 fetches a fresh token", "[azure]") {
  test::CleanAzureEnv clean;
  test::AzureStandin a;
  Harness h(secret_settings(a));
  std::string first = h.bearer();
  a.control(R"({"faults":[{"type":"status","status":401}]})");  // answers 401 and revokes the token
  CHECK(a.ingest(first) == 401);
  CHECK(a.ingest(first) == 401);
  h.signer->invalidate();
  h.signer->invalidate();  // twice before a sign(): still one fetch
  std::string second = h.bearer();
  CHECK(second != first);
  CHECK(a.ingest(second) == 204);
  auto tokens = a.log("token");
  REQUIRE(tokens.size() == 2);
  CHECK(tokens[1].token_n == 2);
}

TEST_CASE("a wrong secret: Entra's AADSTS error without its trace ids, for every waiting request", "[azure]") {
  test::CleanAzureEnv clean;
  test::AzureStandin a;
  TokenSignerSettings s = secret_settings(a);
  s.client_secret = "wrong-secret";
  Harness h(s);
  std::vector<http::Request> requests(3);
  std::vector<std::string> reasons;
  for (auto& r : requests) h.signer->sign(r, "h", [&](std::string e) { reasons.push_back(std::move(e)); });
  REQUIRE(test::run_until(h.io, [&] { return reasons.size() == 3; }));
  for (const auto& reason : reasons)
    CHECK(reason == "Entra ID token endpoint " + a.token_url() + " answered 401: invalid_client: AADSTS7000215: Invalid "
                    "client secret provided. Ensure the secret being sent in the request is the client secret value, not "
                    "the client secret ID, for a secret added to app '" + test::kAzureClient + "'.");
  CHECK(a.log("token").size() == 1);
  // For a second the same reason comes at once, without asking; then a request asks again.
  http::Request again;
  CHECK(h.sign(again) == reasons[0]);
  CHECK(a.log("token").size() == 1);
  h.skew = std::chrono::milliseconds(1100);
  CHECK(h.sign(again) == reasons[0]);
  CHECK(a.log("token").size() == 2);
  CHECK(a.log("token")[1].error_code == 7000215);
}

TEST_CASE("stop() drops a token fetch in flight without calling its request back", "[azure]") {
  test::CleanAzureEnv clean;
  test::AzureStandin a;
  a.control(R"({"faults":[{"on":"token","type":"slow","delay":1}]})");
  Harness h(secret_settings(a));
  http::Request r;
  bool called = false;
  h.signer->sign(r, "h", [&](std::string) { called = true; });
  REQUIRE(test::run_until(h.io, [&] { return a.log("token").size() == 1; }));
  h.signer->stop();
  h.io.restart();
  h.io.run_for(seconds(20));  // the answer arrives and is dropped; then the io_context runs dry
  CHECK_FALSE(called);
  std::optional<std::string> after;
  h.signer->sign(r, "h", [&](std::string e) { after = std::move(e); });
  CHECK(after == "the output is stopping");
}

TEST_CASE("no secret, assertion, federated token or access token reaches the log or a reason", "[azure]") {
  test::CleanAzureEnv clean;
  test::LogCapture capture(spdlog::level::trace);
  test::TempDir dir;
  test::TestCertificate cert = test::make_test_certificate(dir, "app");
  test::write_file(dir.file("federated"), "federated-secret-token");
  test::AzureStandin a({"--token-ttl", "20", "--client-cert", cert.crt, "--federated-token-file", dir.file("federated")});
  std::vector<std::string> seen;
  std::vector<std::string> reasons;
  {
    Harness h(secret_settings(a));
    seen.push_back(h.bearer());
    h.skew = seconds(19);  // a refresh
    seen.push_back(h.bearer());
    h.signer->invalidate();
    seen.push_back(h.bearer());
  }
  {
    TokenSignerSettings s = secret_settings(a);
    s.client_secret = "";
    s.client_certificate_file = cert.pem;
    Harness h(s);
    seen.push_back(h.bearer());
  }
  {
    TokenSignerSettings s = secret_settings(a);
    s.client_secret = "";
    s.federated_token_file = dir.file("federated");
    Harness h(s);
    seen.push_back(h.bearer());
    a.control(R"({"faults":[{"on":"token","type":"status","status":400}]})");
    h.signer->invalidate();
    http::Request r;
    reasons.push_back(h.sign(r));
  }
  {
    TokenSignerSettings s = secret_settings(a);
    s.client_secret = "wrong-secret-value";
    Harness h(s);
    http::Request r;
    reasons.push_back(h.sign(r));
  }
  std::string log = capture.text();
  INFO(log);
  CHECK(log.find("Azure access token from Entra ID token endpoint " + a.token_url()) != std::string::npos);
  CHECK(log.find("cannot get an Azure access token") != std::string::npos);
  for (const auto& bearer : seen) {
    REQUIRE(bearer.size() > 20);
    CHECK(log.find(bearer.substr(7)) == std::string::npos);
  }
  for (const std::string& secret : {std::string(test::kAzureSecret), std::string("wrong-secret-value"),
                                    std::string("federated-secret-token")}) {
    CHECK(log.find(secret) == std::string::npos);
    for (const auto& reason : reasons) CHECK(reason.find(secret) == std::string::npos);
  }
  CHECK(log.find("eyJ") == std::string::npos);  // any JWT: an assertion or a token
  for (const auto& reason : reasons) CHECK(reason.find("eyJ") == std::string::npos);
  std::string key = test::read_file(cert.key);
  CHECK(log.find(key.substr(key.find('\n') + 1, 40)) == std::string::npos);
}

}  // namespace SLUICE_UNITY_ID
