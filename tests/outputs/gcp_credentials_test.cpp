// Google credentials without a network: key files and their errors,
// Fluent Bit's email + secret, the order of sources, and how token and
// metadata answers read (tokens never in a reason).
#include <catch2/catch.hpp>

#include "agent/json_writer.hpp"
#include "outputs/common/gcp/google_credentials.hpp"
#include "outputs/common/gcp/google_token_fetch.hpp"
#include "tests/outputs/gcp_test_support.hpp"
#include "tests/outputs/http_test_peers.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::gcp;

namespace {

const char* const kEmail = "sluice@proj-1.iam.gserviceaccount.com";

// A key file's text with these members (value "" = left out).
std::string key_json(const std::string& type, const std::string& pem, const std::string& email = kEmail,
                     const std::string& token_uri = "https://oauth2.googleapis.com/token") {
  std::string out = "{";
  auto add = [&](const char* name, const std::string& value) {
    if (value.empty()) return;
    if (out.size() > 1) out += ",";
    json::append_string(out, name);
    out += ":";
    json::append_string(out, value);
  };
  add("type", type);
  add("project_id", "proj-1");
  add("private_key_id", "kid-1");
  add("private_key", pem);
  add("client_email", email);
  add("token_uri", token_uri);
  return out + "}";
}

http::Response answer(int status, std::string body, std::vector<http::Header> headers = {}) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

}  // namespace

TEST_CASE("a service account key file is read", "[gcp]") {
  test::TempDir dir;
  std::string path = dir.file("sa.json");
  std::string error;
  SECTION("every field") {
    test::write_file(path, key_json("service_account", test::kRfc7515KeyPem));
    auto sa = read_service_account_file(path, error);
    REQUIRE(sa);
    CHECK(error.empty());
    CHECK(sa->client_email == kEmail);
    CHECK(sa->project_id == "proj-1");
    CHECK(sa->private_key_id == "kid-1");
    CHECK(sa->token_uri == "https://oauth2.googleapis.com/token");
    CHECK(sa->key.bits() == 2048);
  }
  SECTION("token_uri defaults to Google's; the key file's own is kept") {
    test::write_file(path, key_json("service_account", test::kRfc7515KeyPem, kEmail, ""));
    CHECK(read_service_account_file(path, error)->token_uri == std::string(kDefaultTokenUri));
    test::write_file(path, key_json("service_account", test::kRfc7515KeyPem, kEmail, "http://127.0.0.1:9/token"));
    CHECK(read_service_account_file(path, error)->token_uri == "http://127.0.0.1:9/token");
  }
}

TEST_CASE("a key file that can't be used says which file and what is wrong", "[gcp]") {
  test::TempDir dir;
  std::string path = dir.file("sa.json");
  std::string what = "Google credentials file " + path;
  std::string error;
  auto fails = [&](const std::string& content) {
    test::write_file(path, content);
    error.clear();
    bool failed = !read_service_account_file(path, error);
    // Whatever went wrong, no line of the key is quoted.
    CHECK(error.find("MIIE") == std::string::npos);
    CHECK(error.find("PRIVATE KEY") == std::string::npos);
    return failed;
  };
  SECTION("missing, a directory, empty") {
    CHECK_FALSE(read_service_account_file(dir.file("none.json"), error));
    CHECK(error == "cannot read Google credentials file " + dir.file("none.json") + ": No such file or directory");
    CHECK_FALSE(read_service_account_file(dir.path(), error));
    CHECK(error == "Google credentials file " + dir.path() + " is a directory");
    CHECK(fails(""));
    CHECK(error == what + " is empty");
  }
  SECTION("not JSON, not an object") {
    CHECK(fails("-----BEGIN PRIVATE KEY-----\nMIIEvQ\n"));
    CHECK(error.rfind(what + " is not JSON (", 0) == 0);
    CHECK(fails("[1,2]"));
    CHECK(error == what + " is not a JSON object");
  }
  SECTION("user credentials and other types") {
    CHECK(fails(R"({"type":"authorized_user","client_id":"x","client_secret":"y","refresh_token":"z"})"));
    CHECK(error == what +
                       " holds credentials of type \"authorized_user\" (a user's, from gcloud auth "
                       "application-default login); sluice needs a service account key (type \"service_account\")");
    CHECK(fails(R"({"type":"external_account","audience":"x"})"));
    CHECK(error == what + " holds credentials of type \"external_account\"; sluice needs a service account key "
                          "(type \"service_account\")");
  }
  SECTION("a member missing or of the wrong type") {
    CHECK(fails(key_json("service_account", "")));
    CHECK(error == what + " has no \"private_key\"");
    CHECK(fails(key_json("service_account", test::kRfc7515KeyPem, "")));
    CHECK(error == what + " has no \"client_email\"");
    CHECK(fails(R"({"type":"service_account","private_key":42})"));
    CHECK(error == what + ": \"private_key\" is not a string");
  }
  SECTION("a key OpenSSL can't read") {
    std::string pem = test::kRfc7515KeyPem;
    pem.replace(pem.find("MIIEvQ"), 6, "!!!!!!");
    CHECK(fails(key_json("service_account", pem)));
    CHECK(error.rfind(what + ": \"private_key\" is unusable: not a readable PEM private key (", 0) == 0);
  }
  SECTION("a token_uri that isn't an http(s) URL") {
    CHECK(fails(key_json("service_account", test::kRfc7515KeyPem, kEmail, "ftp://example.com/token")));
    CHECK(error == what + ": \"token_uri\" is not an http(s) URL: ftp://example.com/token");
  }
}

TEST_CASE("service_account_email + service_account_secret", "[gcp]") {
  std::string error;
  SECTION("the PEM as is, or with the \\n escapes of a key file") {
    auto sa = service_account_from_key(kEmail, test::kRfc7515KeyPem, error);
    REQUIRE(sa);
    CHECK(sa->client_email == kEmail);
    CHECK(sa->token_uri == std::string(kDefaultTokenUri));
    CHECK(sa->project_id.empty());
    std::string escaped;
    for (char c : std::string(test::kRfc7515KeyPem)) escaped += c == '\n' ? std::string("\\n") : std::string(1, c);
    CHECK(service_account_from_key(kEmail, escaped, error));
  }
  SECTION("one without the other, a broken key") {
    CHECK_FALSE(service_account_from_key("", test::kRfc7515KeyPem, error));
    CHECK(error == "service_account_secret needs service_account_email");
    CHECK_FALSE(service_account_from_key(kEmail, "", error));
    CHECK(error == "service_account_email needs service_account_secret (the service account's PEM private key)");
    CHECK_FALSE(service_account_from_key(kEmail, "secret", error));
    CHECK(error == "service_account_secret is unusable: not a PEM key (no -----BEGIN line)");
  }
}

TEST_CASE("credential sources: settings, then GOOGLE_APPLICATION_CREDENTIALS, then the metadata server", "[gcp]") {
  test::TempDir dir;
  std::string file_a = dir.file("a.json"), file_b = dir.file("b.json");
  test::write_file(file_a, key_json("service_account", test::kRfc7515KeyPem, "a@p.iam.gserviceaccount.com"));
  test::write_file(file_b, key_json("service_account", test::kRfc7515KeyPem, "b@p.iam.gserviceaccount.com"));
  test::ScopedEnv env("GOOGLE_APPLICATION_CREDENTIALS", file_b.c_str());
  TokenSignerSettings s;
  std::string error;

  SECTION("the configured file wins over the environment") {
    s.credentials_file = file_a;
    auto src = resolve_credentials(s, error);
    REQUIRE(src);
    CHECK(src->account->client_email == "a@p.iam.gserviceaccount.com");
    CHECK(src->origin == "google_service_credentials " + file_a);
    CHECK(src->endpoint == "https://oauth2.googleapis.com/token");
    CHECK(src->project_id() == "proj-1");
  }
  SECTION("email + secret win over the environment") {
    s.service_account_email = kEmail;
    s.service_account_secret = test::kRfc7515KeyPem;
    auto src = resolve_credentials(s, error);
    REQUIRE(src);
    CHECK(src->account->client_email == kEmail);
    CHECK(src->project_id().empty());
    s.credentials_file = file_a;
    CHECK_FALSE(resolve_credentials(s, error));
    CHECK(error == "google_service_credentials and service_account_email/service_account_secret exclude each other");
  }
  SECTION("GOOGLE_APPLICATION_CREDENTIALS, when nothing is configured") {
    auto src = resolve_credentials(s, error);
    REQUIRE(src);
    CHECK(src->account->client_email == "b@p.iam.gserviceaccount.com");
    CHECK(src->origin == "GOOGLE_APPLICATION_CREDENTIALS " + file_b);
  }
  SECTION("a broken file in GOOGLE_APPLICATION_CREDENTIALS is an error, not a fall back") {
    test::ScopedEnv broken("GOOGLE_APPLICATION_CREDENTIALS", dir.file("missing.json").c_str());
    CHECK_FALSE(resolve_credentials(s, error));
    CHECK(error == "cannot read Google credentials file " + dir.file("missing.json") +
                       ": No such file or directory (named by GOOGLE_APPLICATION_CREDENTIALS)");
  }
  SECTION("the metadata server, or no source at all") {
    test::ScopedEnv unset("GOOGLE_APPLICATION_CREDENTIALS", nullptr);
    auto src = resolve_credentials(s, error);
    REQUIRE(src);
    CHECK(src->from_metadata_server());
    CHECK(src->endpoint == "http://metadata.google.internal");
    CHECK(src->origin == "the metadata server http://metadata.google.internal");
    s.metadata_server = "169.254.169.254:8080";
    CHECK(resolve_credentials(s, error)->endpoint == "http://169.254.169.254:8080");
    s.metadata_server = "ftp://metadata.google.internal";
    CHECK_FALSE(resolve_credentials(s, error));
    CHECK(error == "metadata_server is not an http URL: ftp://metadata.google.internal");
    s.use_metadata_server = false;
    CHECK_FALSE(resolve_credentials(s, error));
    CHECK(error.rfind("no Google credentials: set google_service_credentials", 0) == 0);
  }
  SECTION("token_endpoint moves where assertions go") {
    s.token_endpoint = "http://127.0.0.1:9/token";
    auto src = resolve_credentials(s, error);
    REQUIRE(src);
    CHECK(src->endpoint == "http://127.0.0.1:9/token");
    CHECK(src->account->token_uri == "https://oauth2.googleapis.com/token");  // still the assertion's aud
  }
  SECTION("the project id of a key without one is an error that says what to set") {
    s.service_account_email = kEmail;
    s.service_account_secret = test::kRfc7515KeyPem;
    auto src = resolve_credentials(s, error);
    REQUIRE(src);
    CHECK(resolve_project_id(*src, s, error).empty());
    CHECK(error == "the credentials from service_account_email " + std::string(kEmail) +
                       " name no project: set export_to_project_id");
  }
}

TEST_CASE("token answers read into a token or a one-line reason", "[gcp]") {
  const std::string who = "Google token endpoint http://127.0.0.1:9/token";
  const std::string token = "ya29.secret-token-value";
  SECTION("a token") {
    auto a = read_token_answer(
        answer(200, R"({"access_token":")" + token + R"(","expires_in":3599,"token_type":"Bearer"})"), who);
    REQUIRE(a.token);
    CHECK(a.token->value == token);
    CHECK(a.token->expires_in == std::chrono::seconds(3599));
    CHECK(a.error.empty());
    a = read_token_answer(answer(200, R"({"access_token":"t"})"), who);
    CHECK(a.token->expires_in == std::chrono::seconds(3600));
  }
  SECTION("Google's OAuth errors") {
    auto a = read_token_answer(
        answer(400, R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})"), who);
    CHECK_FALSE(a.token);
    CHECK(a.error == who + " answered 400: invalid_grant: Invalid JWT Signature.");
    a = read_token_answer(answer(401, R"({"error":"invalid_client"})"), who);
    CHECK(a.error == who + " answered 401: invalid_client");
  }
  SECTION("a Google API error, an HTML page, no answer") {
    auto a = read_token_answer(answer(503, R"({"error":{"code":503,"status":"UNAVAILABLE",)"
                                           R"("message":"The service is currently unavailable."}})"),
                               who);
    CHECK(a.error == who + " answered 503: UNAVAILABLE: The service is currently unavailable.");
    a = read_token_answer(answer(502, "<html><body>\n<h1>502 Bad   Gateway</h1>\n</body></html>",
                                 {{"Content-Type", "text/html; charset=UTF-8"}}),
                          who);
    CHECK(a.error == who + " answered 502: 502 Bad Gateway");
    http::Response none;
    none.error = "Connection refused";
    CHECK(read_token_answer(none, who).error == who + " did not answer: Connection refused");
  }
  SECTION("a 200 that holds no usable token never quotes its body") {
    for (std::string body : {std::string("not json ") + token, R"({"token":")" + token + R"("})",
                             R"({"access_token":")" + token + R"(","expires_in":0})",
                             R"({"access_token":")" + token + R"(","token_type":"MAC"})"}) {
      auto a = read_token_answer(answer(200, body), who);
      CHECK_FALSE(a.token);
      CHECK_FALSE(a.error.empty());
      CHECK(a.error.find(token) == std::string::npos);
    }
  }
  SECTION("the metadata server's answers carry Metadata-Flavor: Google") {
    std::string body = R"({"access_token":")" + token + R"(","expires_in":100,"token_type":"Bearer"})";
    CHECK(read_token_answer(answer(200, body, {{"Metadata-Flavor", "Google"}}), who, true).token);
    auto a = read_token_answer(answer(200, body), who, true);
    CHECK_FALSE(a.token);
    CHECK(a.error == who + " answered 200 without \"Metadata-Flavor: Google\": not a metadata server");
  }
}

TEST_CASE("the token request is the JWT-bearer grant", "[gcp]") {
  http::Request r = jwt_grant_request("/token", "aaa.bbb.ccc");
  CHECK(r.method == "POST");
  CHECK(r.target == "/token");
  CHECK(r.body == "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=aaa.bbb.ccc");
  CHECK(r.headers.front().name == "Content-Type");
  CHECK(r.headers.front().value == "application/x-www-form-urlencoded");
  http::Request m = metadata_request("/computeMetadata/v1/project/project-id");
  CHECK(m.method == "GET");
  CHECK(m.headers.front().name == "Metadata-Flavor");
  CHECK(m.headers.front().value == "Google");
}

}  // namespace SLUICE_UNITY_ID
