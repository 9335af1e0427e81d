// The OCI request signature (outputs/common/oci/oci_signature) against
// Oracle's published known answers, byte for byte: the GET and POST
// examples of oracle/oci-go-sdk common/http_signer_test.go (the test values
// of the OCI documentation's "Request Signatures" page): signing strings,
// x-content-sha256, signatures and Authorization headers.
#include <catch2/catch.hpp>

#include <optional>

#include "outputs/common/oci/oci_signature.hpp"
#include "tests/outputs/oci_test_support.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::oci;

namespace {

// Oracle's test values, quoted as data from oracle/oci-go-sdk
// common/http_signer_test.go (testURL, testURL2, testBody,
// expectedSigningString(2), expectedSignature(2) and the expected
// Authorization headers of TestOCIRequestSigner_Sign and _Sign2).
const char* const kDate = "Thu, 05 Jan 2014 21:31:40 GMT";
const char* const kHost = "iaas.us-phoenix-1.oraclecloud.com";
const char* const kGetTarget =
    "/20160918/instances?availabilityDomain=Pjwf%3A%20PHX-AD-1&"
    "compartmentId=ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa"
    "&displayName=TeamXInstances&"
    "volumeId=ocid1.volume.oc1.phx.abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q";
const char* const kGetSigningString =
    "date: Thu, 05 Jan 2014 21:31:40 GMT\n"
    "(request-target): get /20160918/instances?availabilityDomain=Pjwf%3A%20PH"
    "X-AD-1&compartmentId=ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2i"
    "dnccdflvjsnog7mlr6rtdb25gilchfeyjxa&displayName=TeamXInstances&"
    "volumeId=ocid1.volume.oc1.phx.abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q\n"
    "host: iaas.us-phoenix-1.oraclecloud.com";
const char* const kGetSignature =
    "GBas7grhyrhSKHP6AVIj/h5/Vp8bd/peM79H9Wv8kjoaCivujVXlpbKLjMPe"
    "DUhxkFIWtTtLBj3sUzaFj34XE6YZAHc9r2DmE4pMwOAy/kiITcZxa1oHPOeRheC0jP2dqbTll"
    "8fmTZVwKZOKHYPtrLJIJQHJjNvxFWeHQjMaR7M=";
const char* const kGetAuthorization =
    "Signature version=\"1\",headers=\"date (request-target) host\",keyId=\"ocid1.t"
    "enancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq/ocid1.user.oc1..aaaaaaaat5nvwcna5j6aqzj"
    "caty5eqbb6qt2jvpkanghtgdaqedqw3ryn"
    "jq/20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34\",algorithm=\"rsa-sha256\","
    "signature=\"GBas7grhyrhSKHP6AVIj/h5/Vp8bd/peM79H9Wv8kjoaCivujVXlpbKLjMPe"
    "DUhxkFIWtTtLBj3sUzaFj34XE6YZAHc9r2DmE4pMwOAy/kiITcZxa1oHPOeRheC0jP2dqbTll"
    "8fmTZVwKZOKHYPtrLJIJQHJjNvxFWeHQjMaR7M=\"";

const char* const kPostTarget = "/20160918/volumeAttachments";
const char* const kPostBody = R"({
    "compartmentId": "ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa",
    "instanceId": "ocid1.instance.oc1.phx.abuw4ljrlsfiqw6vzzxb43vyypt4pkodawglp3wqxjqofakrwvou52gb6s5a",
    "volumeId": "ocid1.volume.oc1.phx.abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q"
})";
const char* const kPostSha256 = "V9Z20UJTvkvpJ50flBzKE32+6m2zJjweHpDMX/U4Uy0=";
const char* const kPostSigningString = R"(date: Thu, 05 Jan 2014 21:31:40 GMT
(request-target): post /20160918/volumeAttachments
host: iaas.us-phoenix-1.oraclecloud.com
content-length: 316
content-type: application/json
x-content-sha256: V9Z20UJTvkvpJ50flBzKE32+6m2zJjweHpDMX/U4Uy0=)";
const char* const kPostSignature =
    "Mje8vIDPlwIHmD/cTDwRxE7HaAvBg16JnVcsuqaNRim23fFPgQfLoOOxae6WqKb1uPjYEl0qIdazWaBy/"
    "Ml8DRhqlocMwoSXv0fbukP8J5N80LCmzT/FFBvIvTB91XuXI3hYfP9Zt1l7S6ieVadHUfqBedWH0itrtPJBgKmrWso=";
const char* const kPostAuthorization =
    R"(Signature version="1",headers="date (request-target) host content-length content-type x-content-sha256",)"
    R"(keyId="ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq/)"
    R"(ocid1.user.oc1..aaaaaaaat5nvwcna5j6aqzjcaty5eqbb6qt2jvpkanghtgdaqedqw3rynjq/)"
    R"(20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34",algorithm="rsa-sha256",)"
    R"(signature="Mje8vIDPlwIHmD/cTDwRxE7HaAvBg16JnVcsuqaNRim23fFPgQfLoOOxae6WqKb1uPjYEl0qIdazWaBy/)"
    R"(Ml8DRhqlocMwoSXv0fbukP8J5N80LCmzT/FFBvIvTB91XuXI3hYfP9Zt1l7S6ieVadHUfqBedWH0itrtPJBgKmrWso=")";
// The empty body's hash, as oci-common hard-codes it (EMPTY_SHA).
const char* const kEmptySha256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

crypto::RsaPrivateKey oracle_key() {
  std::string error;
  auto key = crypto::RsaPrivateKey::from_pem(test::kOracleTestKeyPem, error);
  INFO(error);
  REQUIRE(key);
  return *key;
}

std::string key_id() {
  return api_key_id(test::kOracleTestTenancy, test::kOracleTestUser, test::kOracleTestFingerprint);
}

Signed sign_ok(const SigningRequest& in, std::chrono::system_clock::time_point now = {}) {
  std::string error;
  std::optional<Signed> out = sign(in, key_id(), oracle_key(), now, error);
  INFO(error);
  REQUIRE(out);
  return *out;
}

const std::string* header(const Signed& s, std::string_view name) {
  for (const auto& h : s.headers)
    if (h.name == name) return &h.value;
  return nullptr;
}

// "…signature="<this>"" of an Authorization header.
std::string signature_of(const std::string& authorization) {
  size_t at = authorization.find("signature=\"");
  REQUIRE(at != std::string::npos);
  at += 11;
  return authorization.substr(at, authorization.find('"', at) - at);
}

}  // namespace

TEST_CASE("Oracle's GET known answer: signing string, signature, Authorization", "[oci]") {
  std::vector<http::Header> headers{{"date", kDate}};
  Signed s = sign_ok({"GET", kGetTarget, kHost, &headers, ""});
  CHECK(s.signing_string == kGetSigningString);
  REQUIRE(header(s, "Authorization"));
  CHECK(*header(s, "Authorization") == kGetAuthorization);
  CHECK(signature_of(*header(s, "Authorization")) == kGetSignature);
  // A GET signs no body headers and adds only Authorization (Date was given).
  CHECK(s.headers.size() == 1);
}

TEST_CASE("Oracle's POST known answer: x-content-sha256, signing string, signature, Authorization", "[oci]") {
  std::string body = kPostBody;
  REQUIRE(body.size() == 316);
  std::vector<http::Header> headers{{"Date", kDate}, {"Content-Type", "application/json"}};
  Signed s = sign_ok({"POST", kPostTarget, kHost, &headers, body});
  CHECK(body_sha256(body) == kPostSha256);
  REQUIRE(header(s, "x-content-sha256"));
  CHECK(*header(s, "x-content-sha256") == kPostSha256);
  REQUIRE(header(s, "Content-Length"));
  CHECK(*header(s, "Content-Length") == "316");
  CHECK(s.signing_string == kPostSigningString);
  REQUIRE(header(s, "Authorization"));
  CHECK(*header(s, "Authorization") == kPostAuthorization);
  CHECK(signature_of(*header(s, "Authorization")) == kPostSignature);
  CHECK_FALSE(header(s, "Date"));
  CHECK_FALSE(header(s, "Content-Type"));
}

TEST_CASE("Oracle's signing string of a GET to a host with a port", "[oci]") {
  // TestOCIRequestSigner_HTTPRequest: http://localhost:7000/api.
  std::vector<http::Header> headers{{"Date", kDate}};
  Signed s = sign_ok({"GET", "/api", "localhost:7000", &headers, ""});
  CHECK(s.signing_string == "date: Thu, 05 Jan 2014 21:31:40 GMT\n(request-target): get /api\nhost: localhost:7000");
}

TEST_CASE("a request without Date is dated now", "[oci]") {
  // Oracle's test date says "Thu" of what was a Sunday: a Date header is
  // signed as the request carries it, never parsed again; a date made here
  // is a real one.
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1388957500));
  CHECK(http_date(now) == "Sun, 05 Jan 2014 21:31:40 GMT");
  CHECK(http_date(now + std::chrono::hours(24 * 300)) == "Sat, 01 Nov 2014 21:31:40 GMT");
  CHECK(http_date(std::chrono::system_clock::time_point(std::chrono::seconds(1795254307))) ==
        "Sat, 21 Nov 2026 09:45:07 GMT");
  std::vector<http::Header> headers;
  Signed s = sign_ok({"GET", kGetTarget, kHost, &headers, ""}, now);
  REQUIRE(s.headers.size() == 2);
  CHECK(s.headers[0].name == "Date");
  CHECK(s.headers[0].value == "Sun, 05 Jan 2014 21:31:40 GMT");
  CHECK(s.signing_string == "date: Sun" + std::string(kGetSigningString).substr(9));
  CHECK(s.headers[1].name == "Authorization");
}

TEST_CASE("POST, PUT and PATCH sign their body, Content-Type defaulting to application/json", "[oci]") {
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1388957500));
  std::vector<http::Header> headers{{"date", kDate}};
  SECTION("POST without Content-Type gets application/json, and Oracle's answer") {
    Signed s = sign_ok({"post", kPostTarget, kHost, &headers, kPostBody}, now);
    REQUIRE(header(s, "Content-Type"));
    CHECK(*header(s, "Content-Type") == "application/json");
    CHECK(s.signing_string == kPostSigningString);
    CHECK(*header(s, "Authorization") == kPostAuthorization);
  }
  SECTION("an empty body: content-length 0 and the empty string's hash") {
    Signed s = sign_ok({"PUT", "/x", kHost, &headers, ""}, now);
    CHECK(*header(s, "Content-Length") == "0");
    CHECK(*header(s, "x-content-sha256") == kEmptySha256);
    CHECK(s.signing_string.ends_with("\ncontent-length: 0\ncontent-type: application/json\nx-content-sha256: " +
                                     std::string(kEmptySha256)));
  }
  SECTION("PATCH signs the body too; DELETE and HEAD don't") {
    CHECK(signs_body("PATCH"));
    CHECK_FALSE(signs_body("DELETE"));
    CHECK_FALSE(signs_body("HEAD"));
    CHECK(sign_ok({"DELETE", "/x", kHost, &headers, ""}, now).signing_string.ends_with("host: " + std::string(kHost)));
  }
  SECTION("the Content-Length a request carries is not what is signed: the body's size is") {
    headers.push_back({"Content-Length", "5"});
    Signed s = sign_ok({"POST", kPostTarget, kHost, &headers, kPostBody}, now);
    CHECK(*header(s, "Content-Length") == "316");
  }
}

TEST_CASE("key ids and the headers a retry re-signs", "[oci]") {
  CHECK(key_id() == std::string(test::kOracleTestTenancy) + "/" + test::kOracleTestUser + "/" +
                        test::kOracleTestFingerprint);
  CHECK(security_token_key_id("eyJ.a.b") == "ST$eyJ.a.b");
  for (const char* name : {"authorization", "Date", "X-Content-SHA256", "content-length"})
    CHECK(is_signing_header(name));
  for (const char* name : {"Content-Type", "Host", "opc-request-id"}) CHECK_FALSE(is_signing_header(name));
}

}  // namespace SLUICE_UNITY_ID
