// gcp::TokenSigner against google_standin.js: a token fetched with our JWT
// and cached, refreshed before it expires, fetched again after a 401, from
// the metadata server, with GOOGLE_APPLICATION_CREDENTIALS; failures with
// their reasons; no secret in any log line.
#include <catch2/catch.hpp>

#include <optional>

#include "agent/json_writer.hpp"
#include "outputs/common/gcp/google_token_signer.hpp"
#include "tests/outputs/gcp_test_support.hpp"
#include "tests/outputs/http_test_peers.hpp"
#include "tests/support/log_capture.hpp"
#include "tests/outputs/signer_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::gcp;
using std::chrono::seconds;

namespace {

const char* const kScope = "https://www.googleapis.com/auth/logging.write";

// A signer from settings on its own io_context, its clock moved by tests.
struct Harness : test::SignerHarness<TokenSigner> {
  explicit Harness(const TokenSignerSettings& settings) : SignerHarness("logging.googleapis.com") {
    std::string error;
    std::optional<CredentialSource> source = resolve_credentials(settings, error);
    INFO(error);
    REQUIRE(source);
    make(settings, *source);
  }
};

// entries:write on the stand-in with `authorization`: its HTTP status.
int write_entries(const test::GoogleStandin& g, const std::string& authorization) {
  boost::asio::io_context io;
  http::ClientSettings cs;
  cs.host = "127.0.0.1";
  cs.port = g.port();
  http::Client client(io, cs);
  http::Request r;
  r.target = "/v2/entries:write";
  r.headers.push_back({"Content-Type", "application/json"});
  r.headers.push_back({"Authorization", authorization});
  r.body = R"({"logName":"projects/standin-project/logs/sluice","resource":{"type":"global","labels":{}},)"
           R"("entries":[{"insertId":"gcp-test-1","textPayload":"hello"}]})";
  return test::exchange(io, client, std::move(r)).status;
}

TokenSignerSettings key_file_settings(const test::GoogleStandin& g) {
  TokenSignerSettings s;
  s.credentials_file = g.key_file();
  s.use_metadata_server = false;
  s.http_timeout = std::chrono::milliseconds(10'000);
  return s;
}

std::string read_key_member(const std::string& key_file, const char* name) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.load(key_file);
  return std::string(std::string_view(doc[name]));
}

}  // namespace

TEST_CASE("a token fetched with our JWT serves every request until it nears its end", "[gcp]") {
  test::GoogleStandin g;
  Harness h(key_file_settings(g));

  // 25 requests before any token: they all wait for one fetch.
  std::vector<http::Request> requests(25);
  size_t signed_ok = 0;
  for (auto& r : requests)
    h.signer->sign(r, "logging.googleapis.com", [&](std::string error) { signed_ok += error.empty(); });
  REQUIRE(test::run_until(h.io, [&] { return signed_ok == requests.size(); }));
  std::string bearer = requests[0].headers.at(0).value;
  CHECK(bearer.rfind("Bearer ya29.standin-1-", 0) == 0);
  for (auto& r : requests) CHECK(r.headers.at(0).value == bearer);
  for (int i = 0; i < 25; ++i) CHECK(h.bearer() == bearer);

  // One token request, made with an assertion the stand-in verified (jose,
  // the account's public key): iss, aud = the key file's token_uri, scope, kid.
  auto tokens = g.log("token");
  REQUIRE(tokens.size() == 1);
  CHECK(tokens[0].status == 200);
  CHECK(tokens[0].token_n == 1);
  CHECK(tokens[0].iss == read_key_member(g.key_file(), "client_email"));
  CHECK(tokens[0].aud == g.url() + "/token");
  CHECK(tokens[0].aud == read_key_member(g.key_file(), "token_uri"));
  CHECK(tokens[0].scope == kScope);
  CHECK(h.signer->tokens_fetched() == 1);
  CHECK(write_entries(g, bearer) == 200);

  SECTION("a request signed again carries one Authorization header") {
    http::Request r;
    REQUIRE(h.sign(r).empty());
    REQUIRE(h.sign(r).empty());
    CHECK(r.headers.size() == 1);
  }
}

TEST_CASE("a token is used until min(5 minutes, a tenth of its life) is left", "[gcp]") {
  std::chrono::system_clock::time_point t0{};
  CHECK(TokenSigner::refresh_at(t0, seconds(3600)) == t0 + seconds(3300));
  CHECK(TokenSigner::refresh_at(t0, seconds(3599)) == t0 + seconds(3299));
  CHECK(TokenSigner::refresh_at(t0, seconds(1000)) == t0 + seconds(900));
  CHECK(TokenSigner::refresh_at(t0, seconds(20)) == t0 + seconds(18));
  CHECK(TokenSigner::refresh_at(t0, seconds(2)) == t0 + std::chrono::milliseconds(1800));
}

TEST_CASE("a token is fetched again before it expires", "[gcp]") {
  SECTION("a 20 s token: used for 17 s, replaced at 19 s (the clock moved)") {
    test::GoogleStandin g({"--token-ttl", "20"});
    Harness h(key_file_settings(g));
    std::string first = h.bearer();
    REQUIRE_FALSE(first.empty());
    h.skew = seconds(17);
    CHECK(h.bearer() == first);
    // Less than a tenth of its life left: a new one, while the old still works.
    h.skew = seconds(19);
    std::string second = h.bearer();
    CHECK(second.rfind("Bearer ya29.standin-2-", 0) == 0);
    CHECK(g.log("token").size() == 2);
    CHECK(write_entries(g, first) == 200);
    CHECK(write_entries(g, second) == 200);
  }
  SECTION("a 2 s token on the real clock") {
    test::GoogleStandin g({"--token-ttl", "2"});
    Harness h(key_file_settings(g));
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
    CHECK(latest.rfind("Bearer ya29.standin-2-", 0) == 0);
  }
}

TEST_CASE("invalidate() after a 401 fetches a fresh token", "[gcp]") {
  test::GoogleStandin g;
  Harness h(key_file_settings(g));
  std::string first = h.bearer();
  // The stand-in answers the next write 401 and revokes the token it carried.
  g.control(R"({"faults":[{"type":"status","status":401}]})");
  CHECK(write_entries(g, first) == 401);
  CHECK(write_entries(g, first) == 401);
  h.signer->invalidate();
  std::string second = h.bearer();
  CHECK(second != first);
  CHECK(second.rfind("Bearer ya29.standin-2-", 0) == 0);
  CHECK(write_entries(g, second) == 200);
  // A second invalidate() before any sign() costs one fetch, not two.
  h.signer->invalidate();
  h.signer->invalidate();
  CHECK(h.bearer().rfind("Bearer ya29.standin-3-", 0) == 0);
  CHECK(g.log("token").size() == 3);
}

TEST_CASE("the metadata server's token and project id", "[gcp]") {
  test::GoogleStandin g;
  test::ScopedEnv no_key("GOOGLE_APPLICATION_CREDENTIALS", nullptr);
  TokenSignerSettings s;
  s.metadata_server = g.url();
  Harness h(s);
  std::string bearer = h.bearer();
  CHECK(bearer.rfind("Bearer ya29.standin-1-", 0) == 0);
  CHECK(h.bearer() == bearer);
  // The stand-in answers 403 to a request without Metadata-Flavor: Google.
  auto lines = g.log("metadata");
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].path == "/computeMetadata/v1/instance/service-accounts/default/token");
  CHECK(lines[0].status == 200);
  CHECK(g.log("token").empty());
  CHECK(write_entries(g, bearer) == 200);

  std::string error;
  auto source = resolve_credentials(s, error);
  REQUIRE(source);
  CHECK(resolve_project_id(*source, s, error) == "standin-project");
  CHECK(error.empty());
  CHECK(g.log("metadata").back().path == "/computeMetadata/v1/project/project-id");

  SECTION("a metadata server that fails says so") {
    g.control(R"({"faults":[{"on":"metadata","type":"status","status":503,"message":"try later"}]})");
    CHECK(resolve_project_id(*source, s, error).empty());
    CHECK(error == "cannot learn the project id (set export_to_project_id): GCE metadata server " + g.url() +
                       "/computeMetadata/v1/project/project-id answered 503: try later");
  }
}

TEST_CASE("GOOGLE_APPLICATION_CREDENTIALS names the key when none is configured", "[gcp]") {
  test::GoogleStandin g;
  test::ScopedEnv env("GOOGLE_APPLICATION_CREDENTIALS", g.key_file().c_str());
  TokenSignerSettings s;
  s.metadata_server = "http://127.0.0.1:" + std::to_string(test::free_tcp_port());  // not asked
  Harness h(s);
  CHECK(h.bearer().rfind("Bearer ya29.standin-1-", 0) == 0);
  REQUIRE(g.log("token").size() == 1);
  CHECK(g.log("token")[0].iss == read_key_member(g.key_file(), "client_email"));
}

TEST_CASE("token failures reach every waiting request as one line, and a request after a pause tries again", "[gcp]") {
  test::GoogleStandin g;
  SECTION("a key the account doesn't have: invalid_grant") {
    // The stand-in's account and token_uri, the RFC 7515 key instead of its own.
    test::TempDir dir;
    std::string key = "{";
    auto add = [&](const char* name, const std::string& value) {
      if (key.size() > 1) key += ",";
      json::append_string(key, name);
      key += ":";
      json::append_string(key, value);
    };
    add("type", "service_account");
    add("private_key", test::kRfc7515KeyPem);
    add("client_email", read_key_member(g.key_file(), "client_email"));
    add("token_uri", read_key_member(g.key_file(), "token_uri"));
    test::write_file(dir.file("wrong.json"), key + "}");
    TokenSignerSettings s;
    s.credentials_file = dir.file("wrong.json");
    s.use_metadata_server = false;
    Harness h(s);
    std::vector<http::Request> requests(3);
    std::vector<std::string> reasons;
    for (auto& r : requests) h.signer->sign(r, "h", [&](std::string e) { reasons.push_back(std::move(e)); });
    REQUIRE(test::run_until(h.io, [&] { return reasons.size() == 3; }));
    for (auto& reason : reasons)
      CHECK(reason == "Google token endpoint " + g.url() +
                          "/token answered 400: invalid_grant: Invalid JWT Signature.");
    for (auto& r : requests) CHECK(r.headers.empty());
    // For a second the same reason comes at once, without asking; then a
    // request asks again, and after that failure the pause is 2 s.
    http::Request again;
    CHECK(h.sign(again) == reasons[0]);
    CHECK(g.log("token").size() == 1);
    h.skew = std::chrono::milliseconds(1100);
    CHECK(h.sign(again) == reasons[0]);
    CHECK(g.log("token").size() == 2);
    h.skew = std::chrono::milliseconds(2200);
    CHECK(h.sign(again) == reasons[0]);
    CHECK(g.log("token").size() == 2);
    h.skew = std::chrono::milliseconds(3200);
    CHECK(h.sign(again) == reasons[0]);
    CHECK(g.log("token").size() == 3);
  }
  SECTION("a scripted 503, then a token") {
    g.control(R"({"faults":[{"on":"token","type":"status","status":503,"message":"backend busy"}]})");
    Harness h(key_file_settings(g));
    http::Request r;
    CHECK(h.sign(r) == "Google token endpoint " + g.url() + "/token answered 503: internal_failure: backend busy");
    h.skew = std::chrono::milliseconds(1100);
    CHECK(h.bearer().rfind("Bearer ya29.standin-1-", 0) == 0);
    CHECK(g.log("token").size() == 2);
  }
  SECTION("the endpoint is down") {
    TokenSignerSettings s = key_file_settings(g);
    std::string down = "http://127.0.0.1:" + std::to_string(test::free_tcp_port()) + "/token";
    s.token_endpoint = down;
    Harness h(s);
    http::Request r;
    std::string reason = h.sign(r);
    CHECK(reason.rfind("Google token endpoint " + down + " did not answer: ", 0) == 0);
    CHECK(g.log("token").empty());
  }
}

TEST_CASE("stop() drops a fetch in flight without calling its requests back", "[gcp]") {
  test::GoogleStandin g;
  g.control(R"({"faults":[{"on":"token","type":"slow","delay":1}]})");
  Harness h(key_file_settings(g));
  http::Request r;
  bool called = false;
  h.signer->sign(r, "h", [&](std::string) { called = true; });
  REQUIRE(test::run_until(h.io, [&] { return g.log("token").size() == 1; }));
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

TEST_CASE("no secret reaches the log or a reason", "[gcp]") {
  test::LogCapture capture(spdlog::level::trace);
  test::GoogleStandin g({"--token-ttl", "20"});
  Harness h(key_file_settings(g));
  std::vector<std::string> seen;  // tokens handed out
  seen.push_back(h.bearer());
  h.skew = seconds(19);  // a refresh
  seen.push_back(h.bearer());
  h.signer->invalidate();
  seen.push_back(h.bearer());
  g.control(R"({"faults":[{"on":"token","type":"status","status":400,"body":{"error":"invalid_grant"}}]})");
  h.signer->invalidate();
  http::Request failed;
  std::string reason = h.sign(failed);
  CHECK(reason == "Google token endpoint " + g.url() + "/token answered 400: invalid_grant");

  std::string log = capture.text();
  INFO(log);
  CHECK(log.find("Google access token from Google token endpoint " + g.url() + "/token") != std::string::npos);
  CHECK(log.find("cannot get a Google access token") != std::string::npos);
  for (const auto& bearer : seen) {
    REQUIRE(bearer.size() > 20);
    CHECK(log.find(bearer.substr(7)) == std::string::npos);  // the token itself
  }
  // Any JWT (its header's base64url starts with {" = "eyJ") and any line of the key.
  CHECK(log.find("eyJ") == std::string::npos);
  CHECK(reason.find("eyJ") == std::string::npos);
  std::string pem = read_key_member(g.key_file(), "private_key");
  for (size_t at = pem.find('\n'); at != std::string::npos && at + 1 < pem.size(); at = pem.find('\n', at + 1)) {
    std::string line = pem.substr(at + 1, 40);
    if (line.rfind("-----", 0) == 0 || line.size() < 40) continue;
    CHECK(log.find(line) == std::string::npos);
  }
}

}  // namespace SLUICE_UNITY_ID
