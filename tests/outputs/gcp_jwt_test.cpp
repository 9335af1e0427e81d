// RS256 and the service-account JWT: RFC 7515 Appendix A.2's known answer,
// the assertion's exact JSON, our JWT verified by jsonwebtoken, and keys
// OpenSSL can't use.
#include <catch2/catch.hpp>
#include <simdjson.h>

#include "agent/base64.hpp"
#include "outputs/common/gcp/jwt.hpp"
#include "outputs/common/crypto/rsa_key.hpp"
#include "tests/outputs/gcp_test_support.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::gcp;
using sluice::crypto::RsaPrivateKey;

namespace {

// test::kRfc7515KeyPem as PKCS#1 ("RSA PRIVATE KEY", the same node export),
// as some users paste into service_account_secret.
const char* const kRfc7515Pkcs1 = R"(-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd/wWJcyQoTbji9k0
l8W26mPddxHmfHQp+Vaw+4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL+yRT+SFd2lZS+pC
gNMsD1W/YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb/7OMg0LOL+bSf63kpaSHSX
ndS5z5rexMdbBYUsLA9e+KXBdQOS+UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uD
Zlxvb3qCo5ZwKh9kG4LT6/I5IhlJH7aGhyxXFvUK+DWNmoudF8NAco9/h9iaGNj8
q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQIDAQABAoIBABKucaRpzQorw35S
bEUAVx8dYXUdZOlJcHtiWQ+dC6V8ljxAHj/PLyzTveyI5QO/xkObCyjIL303l2cf
UhPu2MFaJdjVzqACXuOrLot/eSFvxjvqVidTtAZExqFRJ9mylUVAoLvhowVWmC1O
n95fZCXxTUtxNEG1Xcc7m0rtzJKs45J+N/V9DP1edYH6USyPSWGp6wuA+KgHRnKK
Vf9GRx80JQY7nVNkL17eHoTWEwga+lwi0FEoW9Y7lDtWXYmKBWhUE+U8PGxlJf8f
40493HDw1WRQ/aSLoS4QTp3rn7gYgeHEvfJdkkf0UMhlknlo53M09EFPdadQ4TlU
bjqKc50CgYEA4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH/5IB3jw3bcxGn6QLvnE
tfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw/Py5PJdTJNPY8cQn7ouZ2KKDcmnPG
BY5t7yLc1QlQ5xHdwW1VhvKn+nXqhJTBgIPgtldC+KDV5z+y2XDwGUcCgYEAuQPE
fgmVtjL0Uyyx88GZFF1fOunH3+7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYs
p1ZSe7zFYHj7C6ul7TjeLQeZD/YwD66t62wDmpe/HlB+TnBA+njbglfIsRLtXlnD
zQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdcCgYAHAp9XcCSrn8wVkMVkKdb7
DOX4IKjzdahm+ctDAJN4O/y7OW5FKebvUjdAIt2GuoTZ71iTG+7F0F+lP88jtjP4
U4qe7VHoewl4MKOfXZKTe+YCS1XbNvfgwJ3Ltyl1OH9hWvu2yza7q+d5PCsDzqtm
27kxuvULVeya+TEdAB1ijQKBgQCH/3r6YrVH/uCWGy6bzV1nGNOdjKc9tmkfOJmN
54dxdixdpozCQ6U4OxZrsj3FcOhHBsqAHvX2uuYjagqvo3cOj1TRqNocX40omfCC
Mx3bD1yPPf/6TI2XECva/ggqEY2mYzmIiA5LVVmc5nrybr+lssFKneeyxN2Wq93S
0iJMdQKBgCGHewxzoa1r8ZMD0LETNrToK423K377UCYqXfg5XMclbrjPbEC3YI1Z
NqMtuhdBJqUnBi6tjKMF+34Xf0CUN8ncuXGO2CAYvO8PdyCixHX52ybaDjy1FtCE
6yUXjoKNXKvUm7MWGsAYH6f4IegOetN5NvmUMFStCSkh7ixZLkN1
-----END RSA PRIVATE KEY-----
)";

// RFC 7515 A.2.1: the JWS Protected Header {"alg":"RS256"} and the payload,
// whose lines end in CR LF, octet for octet.
const char* const kRfcHeader = R"({"alg":"RS256"})";
const char* const kRfcPayload = "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";
const char* const kRfcSigningInput =
    "eyJhbGciOiJSUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
// A.2.1's JWS Signature, base64url.
const char* const kRfcSignature =
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7"
    "AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4"
    "BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K"
    "0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv"
    "hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrB"
    "p0igcN_IoypGlUPQGe77Rw";

// A P-256 key (made with node's crypto.generateKeyPairSync('ec')): a
// readable key that RS256 can't use.
const char* const kEcKey = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgyArLmkqaOorcYxPb
tH4Rk1ntCz9lQI4CctTBPkE5oUuhRANCAATwSIPSksr/ihuPsmMpStbf1piLm7Jy
lYtpMSMxv7EEfPlcrtH9qJZgPAiCZD9sVdKpH+aYXKZT2u4s3K72/P/l
-----END PRIVATE KEY-----
)";

RsaPrivateKey load(const char* pem) {
  std::string error;
  auto key = RsaPrivateKey::from_pem(pem, error);
  INFO(error);
  REQUIRE(key.has_value());
  return *key;
}

}  // namespace

TEST_CASE("base64url has no padding and the URL-safe alphabet", "[gcp]") {
  CHECK(base64url("") == "");
  CHECK(base64url("f") == "Zg");
  CHECK(base64url("fo") == "Zm8");
  CHECK(base64url("foo") == "Zm9v");
  CHECK(base64url(std::string("\xfb\xff\xfe", 3)) == "-__-");
  CHECK(base64url(kRfcHeader) == "eyJhbGciOiJSUzI1NiJ9");
}

TEST_CASE("RS256 gives RFC 7515 Appendix A.2's signature byte for byte", "[gcp]") {
  for (const char* pem : {test::kRfc7515KeyPem, kRfc7515Pkcs1}) {
    RsaPrivateKey key = load(pem);
    CHECK(key.bits() == 2048);
    std::string error;
    std::string jws = sign_jws_rs256(kRfcHeader, kRfcPayload, key, error);
    CHECK(error.empty());
    CHECK(jws == std::string(kRfcSigningInput) + "." + kRfcSignature);
    // The raw signature is the modulus' length, and decodes from the RFC's text.
    std::string raw = key.sign_sha256(kRfcSigningInput, error);
    CHECK(raw.size() == 256);
    CHECK(base64_decode(kRfcSignature).value_or("") == raw);
  }
}

TEST_CASE("the service-account assertion's header and claims", "[gcp]") {
  AssertionFields f;
  f.key_id = "0123abcd";
  f.issuer = "sluice@proj.iam.gserviceaccount.com";
  f.scope = "https://www.googleapis.com/auth/logging.write";
  f.audience = "https://oauth2.googleapis.com/token";
  f.issued_at = 1'800'000'000;
  CHECK(assertion_header_json(f) == R"({"alg":"RS256","typ":"JWT","kid":"0123abcd"})");
  CHECK(assertion_claims_json(f) ==
        R"({"iss":"sluice@proj.iam.gserviceaccount.com","scope":"https://www.googleapis.com/auth/logging.write",)"
        R"("aud":"https://oauth2.googleapis.com/token","iat":1800000000,"exp":1800003600})");
  SECTION("kid left out when the key has no id; sub when acting as a user") {
    f.key_id.clear();
    f.subject = "admin@example.com";
    CHECK(assertion_header_json(f) == R"({"alg":"RS256","typ":"JWT"})");
    CHECK(assertion_claims_json(f).find(R"("iss":"sluice@proj.iam.gserviceaccount.com","sub":"admin@example.com",)") !=
          std::string::npos);
  }
  SECTION("strings are JSON-escaped") {
    f.issuer = "a\"b\\c";
    CHECK(assertion_claims_json(f).find(R"("iss":"a\"b\\c")") != std::string::npos);
  }
}

TEST_CASE("jsonwebtoken verifies our assertion with the public key", "[gcp]") {
  RsaPrivateKey key = load(test::kRfc7515KeyPem);
  AssertionFields f;
  f.key_id = "key-1";
  f.issuer = "sluice@proj.iam.gserviceaccount.com";
  f.scope = "https://www.googleapis.com/auth/logging.write";
  f.audience = "http://127.0.0.1:1/token";
  f.issued_at = unix_seconds(std::chrono::system_clock::now());
  std::string error;
  std::string jwt = make_assertion(f, key, error);
  REQUIRE(error.empty());

  std::string out = test::verify_jwt_with_node(jwt, key.public_key_pem());
  INFO(out);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(out).get(doc) == simdjson::SUCCESS);
  CHECK(std::string_view(doc["header"]["alg"]) == "RS256");
  CHECK(std::string_view(doc["header"]["typ"]) == "JWT");
  CHECK(std::string_view(doc["header"]["kid"]) == "key-1");
  CHECK(std::string_view(doc["payload"]["iss"]) == f.issuer);
  CHECK(std::string_view(doc["payload"]["aud"]) == f.audience);
  CHECK(std::string_view(doc["payload"]["scope"]) == f.scope);
  CHECK(int64_t(doc["payload"]["iat"]) == f.issued_at);
  CHECK(int64_t(doc["payload"]["exp"]) - int64_t(doc["payload"]["iat"]) == 3600);

  SECTION("and refuses it when one byte of the claims changed") {
    size_t dot = jwt.find('.');
    std::string tampered = jwt;
    tampered[dot + 5] = tampered[dot + 5] == 'A' ? 'B' : 'A';
    CHECK(test::verify_jwt_with_node(tampered, key.public_key_pem()).rfind("invalid: ", 0) == 0);
  }
}

TEST_CASE("keys RS256 can't use are refused with a reason that quotes no key", "[gcp]") {
  std::string error;
  SECTION("not PEM") {
    CHECK_FALSE(RsaPrivateKey::from_pem("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", error));
    CHECK(error == "not a PEM key (no -----BEGIN line)");
  }
  SECTION("a damaged body") {
    std::string pem = test::kRfc7515KeyPem;
    pem.replace(pem.find("MIIEvQ"), 6, "!!!!!!");
    CHECK_FALSE(RsaPrivateKey::from_pem(pem, error));
    CHECK(error.rfind("not a readable PEM private key (", 0) == 0);
    CHECK(error.find("MII") == std::string::npos);
  }
  SECTION("an EC key") {
    CHECK_FALSE(RsaPrivateKey::from_pem(kEcKey, error));
    CHECK(error == "the key is not an RSA key (RS256 needs one)");
  }
  SECTION("an encrypted key fails instead of asking for a passphrase") {
    CHECK_FALSE(RsaPrivateKey::from_pem("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFLTBXBgkq\n"
                                        "-----END ENCRYPTED PRIVATE KEY-----\n",
                                        error));
    CHECK(error == "the key is encrypted; sluice needs it without a passphrase");
  }
  SECTION("a public key") {
    CHECK_FALSE(RsaPrivateKey::from_pem(load(test::kRfc7515KeyPem).public_key_pem(), error));
    CHECK(error.rfind("not a readable PEM private key (", 0) == 0);
  }
}

}  // namespace SLUICE_UNITY_ID
