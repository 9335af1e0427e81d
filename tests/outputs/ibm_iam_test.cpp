// ibm::IamTokenSigner against ibm_standin.js: one token fetch for many
// requests, refreshed at 80% of its lifetime, fetched again after a 401;
// IAM's errors and an unreachable IAM as one-line reasons; no API key or
// token in any log line. Also the token request and answer as pure functions.
#include <catch2/catch.hpp>

#include <optional>

#include "outputs/common/ibm/iam_token_signer.hpp"
#include "tests/e2e/node_standin.hpp"
#include "tests/outputs/gcp_test_support.hpp"
#include "tests/outputs/http_test_peers.hpp"
#include "tests/support/log_capture.hpp"
#include "tests/outputs/signer_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::ibm;
using std::chrono::seconds;

namespace {

const char* const kApiKey = "sluice-test-api-key_0123456789-ABCDEFGHIJ";

// ibm_standin.js knowing kApiKey, with its log, store and control files.
struct Iam {
  test::TempDir dir;
  test::NodeStandIn standin;
  explicit Iam(std::vector<std::string> extra = {})
      : standin(dir, "ibm_standin.js", [&] {
          extra.insert(extra.begin(), {"--api-key", kApiKey});
          return extra;
        }()) {}
  std::string token_url() const { return standin.url() + "/identity/token"; }
  size_t token_requests() const { return test::count_with(standin.log(), R"("endpoint":"token")"); }
};

// A signer from settings on its own io_context, its clock moved by tests.
struct Harness : test::SignerHarness<IamTokenSigner> {
  explicit Harness(IamTokenSettings settings) : SignerHarness("ingress.example") { make(std::move(settings)); }
};

IamTokenSettings settings_for(const Iam& iam) {
  IamTokenSettings s;
  s.api_key = kApiKey;
  s.iam_endpoint = iam.standin.url();
  return s;
}

// POST /logs/v1/singles with `authorization`: the stand-in's HTTP status.
int ingest(const Iam& iam, const std::string& authorization) {
  boost::asio::io_context io;
  http::ClientSettings cs;
  cs.host = "127.0.0.1";
  cs.port = iam.standin.port();
  http::Client client(io, cs);
  http::Request r;
  r.target = "/logs/v1/singles";
  r.headers.push_back({"Content-Type", "application/json"});
  r.headers.push_back({"Authorization", authorization});
  r.body = R"([{"applicationName":"sluice","subsystemName":"test","severity":3,"text":"hello"}])";
  return test::exchange(io, client, std::move(r)).status;
}

}  // namespace

TEST_CASE("the IAM token request and answer", "[ibm]") {
  SECTION("the token URL from iam_endpoint") {
    IamTokenSettings s;
    CHECK(iam_token_url(s) == "https://iam.cloud.ibm.com/identity/token");
    s.iam_endpoint = std::string(kPrivateIamEndpoint) + "/";
    CHECK(iam_token_url(s) == "https://private.iam.cloud.ibm.com/identity/token");
    s.iam_endpoint = "http://127.0.0.1:9/identity/token";
    CHECK(iam_token_url(s) == "http://127.0.0.1:9/identity/token");
    CHECK(iam_settings_error(s) == "api_key is empty");
    s.api_key = "k";
    CHECK(iam_settings_error(s).empty());
    s.iam_endpoint = "iam.cloud.ibm.com";
    CHECK(iam_settings_error(s) == "iam_endpoint is not an http(s) URL: iam.cloud.ibm.com");
  }
  SECTION("the form, every reserved character of the key escaped") {
    http::Request r = iam_token_request("/identity/token", "a+b/c=d&e f");
    CHECK(r.method == "POST");
    CHECK(r.target == "/identity/token");
    CHECK(r.body == "grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=a%2Bb%2Fc%3Dd%26e%20f");
    REQUIRE(r.headers.size() == 2);
    CHECK(r.headers[0].value == "application/x-www-form-urlencoded");
    CHECK(r.headers[1].value == "application/json");
  }
  SECTION("answers") {
    auto now = std::chrono::system_clock::from_time_t(1'800'000'000);
    http::Response r;
    r.status = 200;
    r.body = R"({"access_token":"t1","refresh_token":"r","token_type":"Bearer","expires_in":3600,"expiration":1800003600})";
    http::TokenAnswer a = read_iam_answer(r, "IAM", now);
    REQUIRE(a.token);
    CHECK(a.token->value == "t1");
    CHECK(a.token->expires_in == seconds(3600));
    r.body = R"({"access_token":"t2","token_type":"Bearer","expiration":1800000600})";
    CHECK(read_iam_answer(r, "IAM", now).token->expires_in == seconds(600));
    r.body = R"({"access_token":"t3","token_type":"mac","expires_in":3600})";
    CHECK(read_iam_answer(r, "IAM", now).error == "IAM answered a token of type \"mac\", not Bearer");
    r.body = R"({"access_token":"secret-token"})";
    CHECK(read_iam_answer(r, "IAM", now).error == "IAM answered 200 without expires_in or expiration");
    r.body = "secret-token";
    CHECK(read_iam_answer(r, "IAM", now).error == "IAM answered 200 with a body that is not a JSON object");
    r.status = 503;
    r.body = "<html>\n  upstream   busy\n</html>";
    CHECK(read_iam_answer(r, "IAM", now).error == "IAM answered 503: <html> upstream busy </html>");
    r.status = 0;
    r.error = "Connection refused";
    CHECK(read_iam_answer(r, "IAM", now).error == "IAM did not answer: Connection refused");
  }
}

TEST_CASE("an IAM token serves every request, with one fetch for those that wait", "[ibm]") {
  Iam iam;
  Harness h(settings_for(iam));

  // 25 requests before any token: they all wait for one fetch.
  std::vector<http::Request> requests(25);
  size_t signed_ok = 0;
  for (auto& r : requests) h.signer->sign(r, "h", [&](std::string error) { signed_ok += error.empty(); });
  REQUIRE(test::run_until(h.io, [&] { return signed_ok == requests.size(); }));
  std::string bearer = requests[0].headers.at(0).value;
  CHECK(bearer.rfind("Bearer eyJ", 0) == 0);  // IAM's tokens are JWTs
  for (auto& r : requests) CHECK(r.headers.at(0).value == bearer);
  for (int i = 0; i < 25; ++i) CHECK(h.bearer() == bearer);

  // One token request: the API-key grant, as the stand-in (and IAM) wants it.
  std::vector<std::string> log = iam.standin.log();
  REQUIRE(iam.token_requests() == 1);
  CHECK(test::count_with(log, R"("fields":["apikey","grant_type"],"grant_type":"urn:ibm:params:oauth:grant-type:apikey",)"
                              R"("apikey_known":true,"accept":"application/json")") == 1);
  CHECK(h.signer->tokens_fetched() == 1);
  CHECK(ingest(iam, bearer) == 200);
  CHECK(test::count_with(iam.standin.store(), R"("text":"hello")") == 1);

  SECTION("a request signed again carries one Authorization header") {
    http::Request r;
    REQUIRE(h.sign(r).empty());
    REQUIRE(h.sign(r).empty());
    CHECK(r.headers.size() == 1);
  }
}

TEST_CASE("an IAM token is used for 80% of its lifetime, as IBM's SDKs do", "[ibm]") {
  std::chrono::system_clock::time_point t0{};
  CHECK(IamTokenSigner::refresh_at(t0, seconds(3600)) == t0 + seconds(2880));
  CHECK(IamTokenSigner::refresh_at(t0, seconds(20)) == t0 + seconds(16));
  CHECK(IamTokenSigner::refresh_at(t0, seconds(2)) == t0 + std::chrono::milliseconds(1600));

  SECTION("a 20 s token: used for 15 s, replaced at 17 s (the clock moved)") {
    Iam iam({"--token-ttl", "20"});
    Harness h(settings_for(iam));
    std::string first = h.bearer();
    REQUIRE_FALSE(first.empty());
    h.skew = seconds(15);
    CHECK(h.bearer() == first);
    h.skew = seconds(17);
    std::string second = h.bearer();
    CHECK_FALSE(second.empty());
    CHECK(second != first);
    CHECK(iam.token_requests() == 2);
    CHECK(ingest(iam, first) == 200);  // still valid: refreshed early
    CHECK(ingest(iam, second) == 200);
  }
  SECTION("a 2 s token on the real clock") {
    Iam iam({"--token-ttl", "2"});
    Harness h(settings_for(iam));
    std::string first = h.bearer();
    REQUIRE_FALSE(first.empty());
    std::string latest = first;
    // Signs every 50 ms (a timer on the io_context) until a second token
    // came, at most 300 times.
    for (int i = 0; i < 300 && latest == first; ++i) {
      boost::asio::steady_timer pause(h.io, std::chrono::milliseconds(50));
      bool paused = false;
      pause.async_wait([&](boost::system::error_code) { paused = true; });
      REQUIRE(test::run_until(h.io, [&] { return paused; }));
      latest = h.bearer();
    }
    CHECK(latest != first);
    CHECK(iam.token_requests() == 2);
  }
}

TEST_CASE("invalidate() after a 401 from ingestion fetches a fresh IAM token", "[ibm]") {
  Iam iam;
  Harness h(settings_for(iam));
  std::string first = h.bearer();
  // The stand-in answers the next ingest 401 and revokes the token it carried.
  iam.standin.control(R"({"faults":[{"type":"status","status":401}]})");
  CHECK(ingest(iam, first) == 401);
  CHECK(ingest(iam, first) == 401);
  h.signer->invalidate();
  std::string second = h.bearer();
  CHECK(second != first);
  CHECK(ingest(iam, second) == 200);
  // Invalidated twice before any sign(): one fetch, not two.
  h.signer->invalidate();
  h.signer->invalidate();
  CHECK(h.bearer() != second);
  CHECK(iam.token_requests() == 3);
}

TEST_CASE("IAM failures reach every waiting request as one line, and a request after a pause asks again", "[ibm]") {
  Iam iam;
  SECTION("a key IAM doesn't know: its 400 BXNIM0415E") {
    IamTokenSettings s = settings_for(iam);
    s.api_key = "not-the-key";
    Harness h(s);
    std::vector<http::Request> requests(3);
    std::vector<std::string> reasons;
    for (auto& r : requests) h.signer->sign(r, "h", [&](std::string e) { reasons.push_back(std::move(e)); });
    REQUIRE(test::run_until(h.io, [&] { return reasons.size() == 3; }));
    for (auto& reason : reasons)
      CHECK(reason == "IBM Cloud IAM " + iam.token_url() + " answered 400: BXNIM0415E: Provided API key could not be found.");
    for (auto& r : requests) CHECK(r.headers.empty());
    // For a second the same reason comes at once, without asking; then a
    // request asks again, and after that failure the pause is 2 s.
    http::Request again;
    CHECK(h.sign(again) == reasons[0]);
    CHECK(iam.token_requests() == 1);
    h.skew = std::chrono::milliseconds(1100);
    CHECK(h.sign(again) == reasons[0]);
    CHECK(iam.token_requests() == 2);
    h.skew = std::chrono::milliseconds(2200);
    CHECK(h.sign(again) == reasons[0]);
    CHECK(iam.token_requests() == 2);
  }
  SECTION("a scripted 503, then a token") {
    iam.standin.control(R"({"faults":[{"on":"token","type":"status","status":503,"message":"IAM is busy"}]})");
    Harness h(settings_for(iam));
    http::Request r;
    CHECK(h.sign(r) == "IBM Cloud IAM " + iam.token_url() + " answered 503: STANDIN-503: IAM is busy");
    h.skew = std::chrono::milliseconds(1100);
    CHECK(h.bearer().rfind("Bearer eyJ", 0) == 0);
    CHECK(iam.token_requests() == 2);
  }
  SECTION("IAM is down") {
    IamTokenSettings s = settings_for(iam);
    s.iam_endpoint = "http://127.0.0.1:" + std::to_string(test::free_tcp_port());
    Harness h(s);
    http::Request r;
    CHECK(h.sign(r).rfind("IBM Cloud IAM " + s.iam_endpoint + "/identity/token did not answer: ", 0) == 0);
    CHECK(iam.token_requests() == 0);
  }
  SECTION("no API key: every request fails with the reason, nothing is asked") {
    IamTokenSettings s = settings_for(iam);
    s.api_key.clear();
    Harness h(s);
    http::Request r;
    CHECK(h.sign(r) == "IBM Cloud IAM: api_key is empty");
    CHECK(iam.token_requests() == 0);
  }
}

TEST_CASE("stop() drops an IAM fetch in flight without calling its requests back", "[ibm]") {
  Iam iam;
  iam.standin.control(R"({"faults":[{"on":"token","type":"slow","delay":1}]})");
  Harness h(settings_for(iam));
  http::Request r;
  bool called = false;
  h.signer->sign(r, "h", [&](std::string) { called = true; });
  REQUIRE(test::run_until(h.io, [&] { return iam.token_requests() == 1; }));
  h.signer->stop();
  // The answer still arrives and is dropped; then the io_context runs dry.
  h.io.restart();
  h.io.run_for(seconds(20));
  CHECK_FALSE(called);
  CHECK(r.headers.empty());
  std::optional<std::string> after;
  h.signer->sign(r, "h", [&](std::string e) { after = std::move(e); });
  CHECK(after == "the output is stopping");
}

TEST_CASE("no API key or IAM token reaches the log or a reason", "[ibm]") {
  test::LogCapture capture(spdlog::level::trace);
  Iam iam({"--token-ttl", "20"});
  Harness h(settings_for(iam));
  std::vector<std::string> seen;  // tokens handed out
  seen.push_back(h.bearer());
  h.skew = seconds(17);  // a refresh
  seen.push_back(h.bearer());
  h.signer->invalidate();
  seen.push_back(h.bearer());
  iam.standin.control(R"({"faults":[{"on":"token","type":"status","status":400,"body":{"errorCode":"BXNIM0109E",)"
                      R"("errorMessage":"Property missing or empty."}}]})");
  h.signer->invalidate();
  http::Request failed;
  std::string reason = h.sign(failed);
  CHECK(reason == "IBM Cloud IAM " + iam.token_url() + " answered 400: BXNIM0109E: Property missing or empty.");

  std::string log = capture.text();
  INFO(log);
  CHECK(log.find("IBM Cloud IAM token from IBM Cloud IAM " + iam.token_url() + " (credentials: an API key), valid 20 s") !=
        std::string::npos);
  CHECK(log.find("IBM Cloud refused the IAM token from IBM Cloud IAM " + iam.token_url()) != std::string::npos);
  CHECK(log.find("cannot get an IBM Cloud IAM token") != std::string::npos);
  CHECK(log.find(kApiKey) == std::string::npos);
  CHECK(reason.find(kApiKey) == std::string::npos);
  CHECK(log.find("eyJ") == std::string::npos);  // any JWT
  for (const auto& bearer : seen) {
    REQUIRE(bearer.size() > 20);
    CHECK(log.find(bearer.substr(7)) == std::string::npos);
  }
}

}  // namespace SLUICE_UNITY_ID
