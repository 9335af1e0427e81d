// oci::RequestSigner through the real HTTP client against oci_standin.js,
// which verifies every signature with http-signature and re-signs API-key
// requests with oci-common: API keys from a config file, retries signed
// again, session token files, instance principals (metadata service,
// federation, refresh, invalidate, failures with their reasons), the region
// from the metadata service; no key material in any log line.
#include <catch2/catch.hpp>
#include <strings.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "outputs/common/gcp/jwt.hpp"
#include "outputs/common/oci/oci_federation.hpp"
#include "outputs/common/oci/oci_request_signer.hpp"
#include "tests/outputs/http_test_peers.hpp"
#include "tests/outputs/oci_test_support.hpp"
#include "tests/support/log_capture.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::oci;
using std::chrono::seconds;

namespace {

// A signer and a client to the stand-in on one io_context; the signer's
// clock is the real one plus skew.
struct Harness {
  boost::asio::io_context io;
  std::chrono::system_clock::duration skew{0};
  Credentials credentials;
  std::unique_ptr<RequestSigner> signer;
  std::unique_ptr<http::Client> client;
  std::string host;
  int entries = 0;

  Harness(const test::OciStandin& o, const SignerSettings& settings) {
    std::string error;
    std::optional<Credentials> c = resolve_credentials(settings, error);
    INFO(error);
    REQUIRE(c);
    credentials = *c;
    signer = std::make_unique<RequestSigner>(credentials, [this] { return std::chrono::system_clock::now() + skew; });
    signer->start(io);
    http::ClientSettings cs;
    cs.host = "127.0.0.1";
    cs.port = o.port();
    client = std::make_unique<http::Client>(io, cs);
    host = http::host_header(cs);
  }
  ~Harness() { signer->stop(); }

  bool run_until(const std::function<bool()>& cond) {
    io.restart();
    auto deadline = std::chrono::steady_clock::now() + seconds(30);
    while (!cond() && std::chrono::steady_clock::now() < deadline) io.run_one_for(std::chrono::milliseconds(20));
    return cond();
  }
  // Signs r; "" or why not.
  std::string sign(http::Request& r) {
    std::optional<std::string> result;
    signer->sign(r, host, [&](std::string error) { result = std::move(error); });
    REQUIRE(run_until([&] { return result.has_value(); }));
    return *result;
  }
  http::Request put_logs(const std::string& data, const std::string& log_id = test::OciStandin::kLogId) {
    char id[40];
    std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", ++entries);
    http::Request r;
    r.method = "POST";
    r.target = "/20200831/logs/" + log_id + "/actions/push";
    r.headers.push_back({"Content-Type", "application/json"});
    r.body = R"({"specversion":"1.0","logEntryBatches":[{"source":"sluice-test","type":"sluice.test",)"
             R"("defaultlogentrytime":"2026-11-21T10:00:00.000Z","entries":[{"id":")" +
             std::string(id) + R"(","data":")" + data + R"("}]}]})";
    return r;
  }
  // Signs and sends a PutLogs of one entry: the status (0 when signing failed).
  int push(const std::string& data) {
    http::Request r = put_logs(data);
    if (!sign(r).empty()) return 0;
    return test::exchange(io, *client, std::move(r)).status;
  }
};

SignerSettings config_file_settings(const test::OciStandin& o) {
  SignerSettings s;
  s.config_file = o.config_file();
  return s;
}

SignerSettings instance_principal_settings(const test::OciStandin& o) {
  SignerSettings s;
  s.auth_type = AuthType::InstancePrincipal;
  s.metadata_url = o.url() + "/opc/v2";
  s.federation_endpoint = o.url();
  s.http_timeout = std::chrono::milliseconds(10'000);
  return s;
}

size_t count(const std::vector<http::Header>& headers, std::string_view name) {
  return static_cast<size_t>(std::count_if(headers.begin(), headers.end(), [&](const http::Header& h) {
    return h.name.size() == name.size() && ::strncasecmp(h.name.c_str(), name.data(), name.size()) == 0;
  }));
}

const std::string& header(const http::Request& r, std::string_view name) {
  for (const auto& h : r.headers)
    if (h.name.size() == name.size() && ::strncasecmp(h.name.c_str(), name.data(), name.size()) == 0) return h.value;
  FAIL("no " << name << " header");
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("an API key from the config file signs requests oci-common and http-signature accept", "[oci]") {
  test::OciStandin o;
  Harness h(o, config_file_settings(o));
  REQUIRE(h.push("hello from sluice") == 200);
  auto pushes = o.log("push");
  REQUIRE(pushes.size() == 1);
  CHECK(pushes[0].auth == "api_key");
  CHECK(pushes[0].verified_by == "http-signature,oci-common");
  CHECK(pushes[0].signed_headers == "date (request-target) host content-length content-type x-content-sha256");
  CHECK(pushes[0].key_id == h.credentials.key_id);
  REQUIRE(o.stored().size() == 1);
  CHECK(o.stored()[0].find(R"("data":"hello from sluice")") != std::string::npos);
  CHECK(h.credentials.region == "us-ashburn-1");

  SECTION("a retried request is signed again with a fresh date, each signing header once") {
    http::Request r = h.put_logs("retried");
    REQUIRE(h.sign(r).empty());
    std::string first_date = header(r, "Date");
    h.skew = seconds(2);
    REQUIRE(h.sign(r).empty());
    CHECK(header(r, "Date") != first_date);
    for (const char* name : {"Date", "Authorization", "x-content-sha256", "Content-Type"})
      CHECK(count(r.headers, name) == 1);
    CHECK(count(r.headers, "Content-Length") == 0);  // the client's own
    CHECK(test::exchange(h.io, *h.client, std::move(r)).status == 200);
  }
  SECTION("the request's own Host header is the one signed") {
    http::Request r = h.put_logs("own host");
    r.headers.push_back({"Host", "localhost:" + std::to_string(o.port())});
    REQUIRE(h.sign(r).empty());
    CHECK(test::exchange(h.io, *h.client, std::move(r)).status == 200);
  }
  SECTION("a log OCID the tenancy doesn't have: 404 after the signature was accepted") {
    http::Request r = h.put_logs("x", "ocid1.log.oc1.iad.other");
    REQUIRE(h.sign(r).empty());
    CHECK(test::exchange(h.io, *h.client, std::move(r)).status == 404);
    CHECK(o.log("push").back().verified_by == "http-signature,oci-common");
  }
  SECTION("a clock 10 minutes behind: 401 NotAuthenticated for the skew") {
    h.skew = -std::chrono::minutes(10);
    CHECK(h.push("late") == 401);
    CHECK(o.log("push").back().message.find("clock skew over 300 s") != std::string::npos);
  }
}

TEST_CASE("a session token file signs as ST$<token>, is read again when it changes, and fails when expired", "[oci]") {
  test::OciStandin o;
  SignerSettings s;
  s.security_token_file = o.session_token_file();
  s.key_file = o.key_file();
  Harness h(o, s);
  REQUIRE(h.push("with a session token") == 200);
  CHECK(o.log("push").back().auth == "session_token");
  CHECK(o.log("push").back().token_n == 1);

  std::string token = test::read_file(o.session_token_file());
  auto mtime = std::filesystem::last_write_time(o.session_token_file());
  // {"alg":"RS256"}.{"exp":1}: expired in 1970.
  test::write_file(o.session_token_file(), "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9.c2ln");
  std::filesystem::last_write_time(o.session_token_file(), mtime + seconds(2));
  http::Request r = h.put_logs("x");
  CHECK(h.sign(r) == "the session token in " + o.session_token_file() +
                         " expired at Thu, 01 Jan 1970 00:00:01 GMT (refresh it: oci session refresh)");
  test::write_file(o.session_token_file(), token);
  std::filesystem::last_write_time(o.session_token_file(), mtime + seconds(4));
  CHECK(h.push("token refreshed") == 200);
}

TEST_CASE("instance principals: a token from the metadata service and federation endpoint, cached, accepted",
          "[oci]") {
  test::OciStandin o;
  Harness h(o, instance_principal_settings(o));
  REQUIRE(h.push("from an instance") == 200);
  REQUIRE(h.push("again") == 200);
  CHECK(h.signer->tokens_fetched() == 1);
  auto metadata = o.log("metadata");
  REQUIRE(metadata.size() == 3);
  for (const auto& m : metadata) CHECK(m.status == 200);
  auto federation = o.log("federation");
  REQUIRE(federation.size() == 1);
  CHECK(federation[0].status == 200);
  CHECK(federation[0].key_kind == "fed-x509-sha256");
  CHECK(federation[0].verified_by == "http-signature,oci-common");
  CHECK(federation[0].signed_headers == "date (request-target) host content-length content-type x-content-sha256");
  for (const auto& p : o.log("push")) {
    CHECK(p.auth == "instance_principal");
    CHECK(p.token_n == federation[0].token_n);
  }

  SECTION("a 401 revokes the token; invalidate() makes the next request fetch a new one") {
    o.control(R"({"faults":[{"type":"status","status":401}]})");
    CHECK(h.push("refused") == 401);
    CHECK(h.push("revoked token") == 401);
    h.signer->invalidate();
    CHECK(h.push("new token") == 200);
    CHECK(h.signer->tokens_fetched() == 2);
    CHECK(o.log("push").back().token_n == o.log("federation").back().token_n);
  }
  SECTION("the instance's certificate rotated: the next fetch federates with the new one") {
    o.control(R"({"faults":[{"on":"metadata","type":"rotate"}]})");
    h.signer->invalidate();
    CHECK(h.push("after rotation") == 200);
    CHECK(o.log("federation").size() == 2);
    CHECK(o.log("federation").back().status == 200);
  }
}

TEST_CASE("instance principals: the token is refreshed before it expires", "[oci]") {
  // 40 s tokens are used until 4 s (a tenth) are left.
  test::OciStandin o({"--token-ttl", "40"});
  Harness h(o, instance_principal_settings(o));
  REQUIRE(h.push("first") == 200);
  h.skew = seconds(30);
  REQUIRE(h.push("still the first token") == 200);
  CHECK(h.signer->tokens_fetched() == 1);
  h.skew = seconds(37);
  REQUIRE(h.push("a fresh token") == 200);
  CHECK(h.signer->tokens_fetched() == 2);
  CHECK(RequestSigner::refresh_at(std::chrono::system_clock::time_point(seconds(1200)), seconds(1200)) ==
        std::chrono::system_clock::time_point(seconds(1080)));
  CHECK(RequestSigner::refresh_at(std::chrono::system_clock::time_point(seconds(7200)), seconds(7200)) ==
        std::chrono::system_clock::time_point(seconds(6900)));
}

TEST_CASE("instance principals: failures carry the reason, and sign() fails at once for a while after", "[oci]") {
  test::OciStandin o;
  Harness h(o, instance_principal_settings(o));
  o.control(R"({"faults":[{"on":"metadata","type":"status","status":500,"message":"metadata down"}]})");
  http::Request r = h.put_logs("x");
  std::string error = h.sign(r);
  CHECK(error.find("the OCI instance metadata service " + o.url() + "/opc/v2/identity/") == 0);
  CHECK(error.find(" answered 500: metadata down") != std::string::npos);
  size_t asked = o.log("metadata").size();
  CHECK(h.sign(r) == error);  // within the holdoff: no new fetch
  CHECK(o.log("metadata").size() == asked);

  o.control(R"({"faults":[{"on":"federation","type":"status","status":401}]})");
  h.skew = seconds(2);
  CHECK(h.sign(r) == "OCI federation endpoint " + o.url() +
                         "/v1/x509 answered 401: NotAuthenticated: The required information to complete "
                         "authentication was not provided or was incorrect.");
  h.skew = seconds(5);
  CHECK(h.sign(r).empty());
  CHECK(test::exchange(h.io, *h.client, std::move(r)).status == 200);
}

TEST_CASE("instance principals: the region and realm from the metadata service", "[oci]") {
  test::OciStandin o({"--region", "eu-frankfurt-1"});
  SignerSettings s;
  s.auth_type = AuthType::InstancePrincipal;
  s.metadata_url = o.url() + "/opc/v2";
  std::string error;
  std::optional<Credentials> c = resolve_credentials(s, error);
  INFO(error);
  REQUIRE(c);
  CHECK(c->region == "eu-frankfurt-1");
  CHECK(c->realm_domain == "oraclecloud.com");
  CHECK(c->federation_endpoint == "https://auth.eu-frankfurt-1.oraclecloud.com");
  CHECK(o.log("metadata").back().path == "/opc/v2/instance/regionInfo");

  s.metadata_url = "http://127.0.0.1:" + std::to_string(test::free_tcp_port()) + "/opc/v2";
  s.http_timeout = std::chrono::milliseconds(2000);
  CHECK_FALSE(resolve_credentials(s, error));
  CHECK(error.rfind("instance_principal needs the region (set region, or run on an OCI instance): the OCI instance "
                    "metadata service " + s.metadata_url + "/instance/regionInfo did not answer: ", 0) == 0);
}

TEST_CASE("no key, token or signature in any log line", "[oci]") {
  test::OciStandin o;
  test::LogCapture log(spdlog::level::trace);
  std::vector<std::string> secrets;
  {
    Harness h(o, config_file_settings(o));
    http::Request r = h.put_logs("api key");
    REQUIRE(h.sign(r).empty());
    secrets.push_back(header(r, "Authorization").substr(header(r, "Authorization").find("signature=")));
  }
  {
    Harness h(o, instance_principal_settings(o));
    http::Request r = h.put_logs("instance principal");
    REQUIRE(h.sign(r).empty());
    const std::string& authorization = header(r, "Authorization");
    size_t st = authorization.find("ST$");
    REQUIRE(st != std::string::npos);
    secrets.push_back(authorization.substr(st + 3, 40));  // the token
    secrets.push_back(authorization.substr(authorization.find("signature=")));
    h.signer->invalidate();
    o.control(R"({"faults":[{"on":"federation","type":"status","status":500}]})");
    CHECK_FALSE(h.sign(r).empty());
  }
  secrets.push_back(test::read_file(o.session_token_file()).substr(0, 40));
  std::string key = test::read_file(o.key_file());
  secrets.push_back(key.substr(key.find('\n') + 1, 40));  // the key's first base64 line
  std::string text = log.text();
  CHECK(text.find("OCI instance principal: security token from") != std::string::npos);
  CHECK(text.find("PRIVATE KEY") == std::string::npos);
  CHECK(text.find("CERTIFICATE") == std::string::npos);
  for (const auto& s : secrets) {
    INFO(s);
    CHECK(text.find(s) == std::string::npos);
  }
}

TEST_CASE("a security token's exp and iat are read, and a time the clock can't hold is no token", "[oci]") {
  auto jwt = [](const std::string& claims) {
    return gcp::base64url(R"({"alg":"RS256"})") + "." + gcp::base64url(claims) + ".c2ln";
  };
  auto t = oci::parse_security_token(jwt(R"({"exp":1795001200,"iat":1795000000})"));
  REQUIRE(t);
  CHECK(t->expires_at == std::chrono::system_clock::time_point(std::chrono::seconds(1'795'001'200)));
  CHECK(t->issued_at == std::chrono::system_clock::time_point(std::chrono::seconds(1'795'000'000)));
  // Milliseconds by mistake (found by fuzzing: it overflowed the clock).
  CHECK_FALSE(oci::parse_security_token(jwt(R"({"exp":179501795000000})")));
  CHECK_FALSE(oci::parse_security_token(jwt(R"({"exp":-5})")));
  CHECK_FALSE(oci::parse_security_token(jwt(R"({"iat":1795000000})")));
  CHECK_FALSE(oci::parse_security_token("not.a"));
}

}  // namespace SLUICE_UNITY_ID
