// SigV4 against AWS's published test suite (tests/data/aws-sig-v4-test-suite)
// and the key-derivation known answer of protocols.md section 4.
#include <catch2/catch.hpp>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "outputs/common/aws/sigv4.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
namespace fs = std::filesystem;

namespace {

const std::string kSuite = std::string(SLUICE_SOURCE_DIR) + "/tests/data/aws-sig-v4-test-suite";
constexpr const char* kAccessKey = "AKIDEXAMPLE";
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A .req file taken apart. Folded lines (leading blanks) are further values
// of the header above them, as the suite's get-header-value-multiline answer
// reads them.
struct SuiteRequest {
  std::string method, path, query, body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string header(std::string_view name) const {
    for (const auto& [n, v] : headers)
      if (n == name) return v;
    return "";
  }
};

SuiteRequest parse_req(const std::string& text) {
  SuiteRequest r;
  size_t head_end = text.find("\n\n");
  std::string head = text.substr(0, head_end);
  if (head_end != std::string::npos) r.body = text.substr(head_end + 2);
  std::istringstream lines(head);
  std::string line;
  std::getline(lines, line);
  // "GET /example space/ HTTP/1.1": the target may hold a space.
  size_t sp = line.find(' ');
  size_t version = line.rfind(" HTTP/");
  r.method = line.substr(0, sp);
  std::string target = line.substr(sp + 1, version - sp - 1);
  size_t q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) r.query = target.substr(q + 1);
  while (std::getline(lines, line)) {
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      r.headers.emplace_back(r.headers.back().first, line);
      continue;
    }
    size_t colon = line.find(':');
    r.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  return r;
}

std::chrono::system_clock::time_point parse_amz_date(const std::string& s) {
  std::tm tm{};
  REQUIRE(::strptime(s.c_str(), "%Y%m%dT%H%M%SZ", &tm) != nullptr);
  return std::chrono::system_clock::from_time_t(::timegm(&tm));
}

struct Case {
  std::string name;
  fs::path dir;
};

std::vector<Case> suite_cases() {
  std::vector<Case> cases;
  for (const auto& entry : fs::recursive_directory_iterator(kSuite))
    if (entry.path().extension() == ".req") cases.push_back({entry.path().stem().string(), entry.path().parent_path()});
  std::sort(cases.begin(), cases.end(), [](const Case& a, const Case& b) { return a.name < b.name; });
  return cases;
}

aws::SigningInput input_for(const SuiteRequest& r) {
  aws::SigningInput in;
  in.method = r.method;
  in.path = r.path;
  in.query = r.query;
  for (const auto& [n, v] : r.headers) in.headers.emplace_back(n, v);
  in.body = r.body;
  in.region = "us-east-1";
  in.service = "service";
  in.time = parse_amz_date(r.header("X-Amz-Date"));
  return in;
}

}  // namespace

TEST_CASE("SigV4 matches every case of AWS's test suite", "[aws][sigv4]") {
  std::vector<Case> cases = suite_cases();
  REQUIRE(cases.size() == 31);
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name) {
      SuiteRequest req = parse_req(slurp(c.dir / (c.name + ".req")));
      std::string creq = slurp(c.dir / (c.name + ".creq"));
      std::string sts = slurp(c.dir / (c.name + ".sts"));
      std::string authz = slurp(c.dir / (c.name + ".authz"));

      aws::Credentials creds{kAccessKey, kSecret, req.header("X-Amz-Security-Token"), std::nullopt};
      aws::SigningInput in = input_for(req);
      if (c.name == "post-sts-header-after") {
        // The token is added after signing: the suite's readme names both
        // variants; the request carries none, the signed one does.
        creds.session_token = "AQoDYXdzEPT//////////wEXAMPLEtoken";
        in.sign_security_token = false;
      }
      if (c.name == "post-x-www-form-urlencoded") {
        // The published .creq lists "host;x-amz-date" as signed headers
        // while its own .sts (the SHA-256 of the canonical request) and
        // .authz sign content-type too: the .creq file is the odd one out.
        // The .sts and .authz are checked as published; the .creq with its
        // signed-headers line as the .authz names it.
        size_t at = creq.rfind("\nhost;x-amz-date\n");
        REQUIRE(at != std::string::npos);
        creq.replace(at, 17, "\ncontent-type;host;x-amz-date\n");
      }
      if (c.name == "post-x-www-form-urlencoded-parameters") {
        // Doesn't apply as written: the answers move the form body's
        // parameters into the canonical query and hash an empty payload,
        // while a service hashes the bytes it receives (and our signer signs
        // exactly request.body). Checked as the answers read the request:
        // the parameters in the query, no body.
        in.query = req.body;
        in.body = "";
      }
      aws::SignedRequest out = aws::sign(in, creds);
      CHECK(out.canonical_request == creq);
      CHECK(out.string_to_sign == sts);
      CHECK(out.authorization == authz);
      CHECK(aws::sha256_hex(out.canonical_request) == sts.substr(sts.size() - 64));

      // The headers to add: date, token when there is one, Authorization last.
      REQUIRE(!out.headers.empty());
      CHECK(out.headers.front() == std::pair<std::string, std::string>("X-Amz-Date", "20150830T123600Z"));
      CHECK(out.headers.back() == std::pair<std::string, std::string>("Authorization", authz));
      CHECK(out.headers.size() == (creds.session_token.empty() ? 2u : 3u));
    }
  }
}

TEST_CASE("SigV4 known answers of protocols.md", "[aws][sigv4]") {
  SECTION("signing key derivation") {
    CHECK(aws::hex(aws::derive_signing_key(kSecret, "20120215", "us-east-1", "iam")) ==
          "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
  }
  SECTION("the key cache gives the derived key and follows date, region, service and secret") {
    aws::SigningKeyCache cache;
    auto key = aws::derive_signing_key(kSecret, "20120215", "us-east-1", "iam");
    CHECK(cache.get(kSecret, "20120215", "us-east-1", "iam") == key);
    CHECK(cache.get(kSecret, "20120215", "us-east-1", "iam") == key);
    CHECK(cache.get(kSecret, "20120216", "us-east-1", "iam") == aws::derive_signing_key(kSecret, "20120216", "us-east-1", "iam"));
    CHECK(cache.get(kSecret, "20120216", "eu-west-1", "iam") == aws::derive_signing_key(kSecret, "20120216", "eu-west-1", "iam"));
    CHECK(cache.get(kSecret, "20120216", "eu-west-1", "logs") == aws::derive_signing_key(kSecret, "20120216", "eu-west-1", "logs"));
    CHECK(cache.get("other", "20120216", "eu-west-1", "logs") == aws::derive_signing_key("other", "20120216", "eu-west-1", "logs"));
  }
  SECTION("empty-body hash") {
    CHECK(aws::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }
}

TEST_CASE("SigV4 canonical pieces beyond the suite", "[aws][sigv4]") {
  SECTION("the path is the wire form, encoded again (double encoding for non-S3 services)") {
    CHECK(aws::canonical_uri("") == "/");
    CHECK(aws::canonical_uri("/my%20index/_bulk") == "/my%2520index/_bulk");
    CHECK(aws::canonical_uri("/a/b/..") == "/a/");
    CHECK(aws::canonical_uri("/a/./b/../../c") == "/c");
    CHECK(aws::canonical_uri("/../..") == "/");
    CHECK(aws::canonical_uri("/a:b@c") == "/a%3Ab%40c");
  }
  SECTION("query: decoded, encoded again, sorted by name then value; '+' is a plus") {
    CHECK(aws::canonical_query("") == "");
    CHECK(aws::canonical_query("b=2&a") == "a=&b=2");
    CHECK(aws::canonical_query("a=%7e%2F&&a=1") == "a=1&a=~%2F");
    CHECK(aws::canonical_query("x=a+b&y=%zz") == "x=a%2Bb&y=%25zz");
    CHECK(aws::canonical_query("Action=AssumeRole&Version=2011-06-15") == "Action=AssumeRole&Version=2011-06-15");
  }
  SECTION("X-Amz-Content-Sha256 is signed and added when asked; a precomputed hash is used as given") {
    aws::SigningInput in;
    in.method = "POST";
    in.path = "/_bulk";
    in.headers = {{"Host", "abc.eu-west-1.aoss.amazonaws.com"}, {"Content-Type", "application/x-ndjson"}};
    in.body = "{}\n";
    in.region = "eu-west-1";
    in.service = "aoss";
    in.time = parse_amz_date("20261121T100000Z");
    in.content_sha256_header = true;
    aws::Credentials creds{"AKID", "secret", "token", std::nullopt};
    auto out = aws::sign(in, creds);
    std::string hash = aws::sha256_hex("{}\n");
    CHECK(out.canonical_request ==
          "POST\n/_bulk\n\ncontent-type:application/x-ndjson\nhost:abc.eu-west-1.aoss.amazonaws.com\n"
          "x-amz-content-sha256:" + hash + "\nx-amz-date:20261121T100000Z\nx-amz-security-token:token\n\n"
          "content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token\n" + hash);
    CHECK(out.headers.size() == 4);
    CHECK(out.headers[1] == std::pair<std::string, std::string>("X-Amz-Content-Sha256", hash));
    CHECK(out.headers[2] == std::pair<std::string, std::string>("X-Amz-Security-Token", "token"));
    CHECK(out.authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKID/20261121/eu-west-1/aoss/aws4_request, "));

    in.body_sha256 = hash;
    in.body = "ignored";
    CHECK(aws::sign(in, creds).signature == out.signature);
  }
  SECTION("stale signing headers passed in are not signed") {
    aws::SigningInput in;
    in.method = "GET";
    in.path = "/";
    in.headers = {{"Host", "example.amazonaws.com"}, {"Authorization", "old"}, {"X-Amz-Date", "19990101T000000Z"},
                  {"x-amz-security-token", "old"}};
    in.region = "us-east-1";
    in.service = "service";
    in.time = parse_amz_date("20150830T123600Z");
    auto out = aws::sign(in, aws::Credentials{kAccessKey, kSecret, "", std::nullopt});
    CHECK(out.signature == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");  // get-vanilla
  }
  SECTION("amz date") {
    CHECK(aws::amz_date(parse_amz_date("20150830T123600Z")) == "20150830T123600Z");
  }
}

}  // namespace SLUICE_UNITY_ID
