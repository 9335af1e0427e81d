// OCI credentials without a network: the config file as the SDKs read it,
// its errors (file and line, never a value), the profile and file from the
// environment, API keys (fingerprint checked, encrypted keys), session
// token files, and how instance principals find the federation endpoint.
#include <catch2/catch.hpp>

#include <optional>

#include "outputs/common/oci/oci_config_file.hpp"
#include "outputs/common/oci/oci_credentials.hpp"
#include "outputs/common/oci/oci_signature.hpp"
#include "tests/outputs/http_test_peers.hpp"
#include "tests/outputs/oci_test_support.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::oci;

namespace {

const char* const kTenancy = "ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq";
const char* const kUser = "ocid1.user.oc1..aaaaaaaat5nvwcna5j6aqzjcaty5eqbb6qt2jvpkanghtgdaqedqw3rynjq";

ConfigProfile parse_ok(const std::string& text, const std::string& profile) {
  std::string error;
  std::optional<ConfigProfile> p = parse_config_profile(text, "/etc/oci/config", profile, error);
  INFO(error);
  REQUIRE(p);
  return *p;
}

std::string parse_error(const std::string& text, const std::string& profile = "DEFAULT") {
  std::string error;
  CHECK_FALSE(parse_config_profile(text, "/etc/oci/config", profile, error));
  return error;
}

std::string value(const ConfigProfile& p, const char* key) {
  const ConfigValue* v = p.find(key);
  return v ? v->value : "<none>";
}

// A config file and Oracle's test key in a temp dir; profile DEFAULT names
// them with the key's real fingerprint.
struct Files {
  test::TempDir dir;
  Files() {
    test::write_file(dir.file("key.pem"), test::kOracleTestKeyPem);
    write_config(std::string("fingerprint=") + test::kOracleTestKeyFingerprint + "\n");
  }
  void write_config(const std::string& extra) const {
    test::write_file(dir.file("config"), "[DEFAULT]\nuser=" + std::string(kUser) + "\ntenancy=" + kTenancy +
                                             "\nregion=eu-frankfurt-1\nkey_file=" + dir.file("key.pem") + "\n" + extra);
  }
  SignerSettings settings() const {
    SignerSettings s;
    s.config_file = dir.file("config");
    return s;
  }
};

std::string resolve_error(const SignerSettings& s) {
  std::string error;
  CHECK_FALSE(resolve_credentials(s, error));
  return error;
}

Credentials resolve_ok(const SignerSettings& s) {
  std::string error;
  std::optional<Credentials> c = resolve_credentials(s, error);
  INFO(error);
  REQUIRE(c);
  return *c;
}

}  // namespace

TEST_CASE("the config file: profiles, DEFAULT inherited, comments, '=' in values", "[oci]") {
  const std::string text =
      "# written by oci setup config\n"
      "\n"
      "[DEFAULT]\n"
      "user = ocid1.user.oc1..default\n"
      "  region=us-ashburn-1  \n"
      "key_file=~/.oci/key.pem\n"
      "[prod]\n"
      "region=eu-frankfurt-1\n"
      "pass_phrase=a=b=c\n"
      "   # an indented comment\n";
  ConfigProfile d = parse_ok(text, "DEFAULT");
  CHECK(value(d, "user") == "ocid1.user.oc1..default");
  CHECK(value(d, "region") == "us-ashburn-1");
  CHECK(d.find("region")->line == 5);
  CHECK(value(d, "pass_phrase") == "<none>");
  ConfigProfile p = parse_ok(text, "prod");
  CHECK(value(p, "region") == "eu-frankfurt-1");
  CHECK(value(p, "user") == "ocid1.user.oc1..default");
  CHECK(value(p, "pass_phrase") == "a=b=c");
  CHECK(p.where("key_file") == "key_file (/etc/oci/config line 6)");
  SECTION("a profile without a DEFAULT section has only its own keys") {
    ConfigProfile q = parse_ok("[only]\nuser=u\n", "only");
    CHECK(q.values.size() == 1);
  }
}

TEST_CASE("config file errors name the file and line, and quote no value", "[oci]") {
  CHECK(parse_error("[DEFAULT]\nuser=u\nMIIsecretline\n") == "/etc/oci/config line 3: expected key=value or [profile]");
  CHECK(parse_error("user=u\n[DEFAULT]\n") == "/etc/oci/config line 1: user is set before any [profile] line");
  CHECK(parse_error("[DEFAULT]\n=value\n") == "/etc/oci/config line 2: a line with no key before '='");
  CHECK(parse_error("[ ]\n") == "/etc/oci/config line 1: a profile needs a name (\"[DEFAULT]\", \"[prod]\")");
  CHECK(parse_error("[DEFAULT]\nuser=u\n", "prod") == "profile prod is not in /etc/oci/config");
  CHECK(parse_error("[DEFAULT]\n[prod\n") == "/etc/oci/config line 2: expected key=value or [profile]");
}

TEST_CASE("the config file and profile from OCI_CONFIG_FILE and OCI_CLI_PROFILE, with ~ expanded", "[oci]") {
  test::ScopedEnv home("HOME", "/home/op");
  {
    test::ScopedEnv file("OCI_CONFIG_FILE", "~/custom/config");
    test::ScopedEnv profile("OCI_CLI_PROFILE", "prod");
    CHECK(default_config_file() == "/home/op/custom/config");
    CHECK(default_profile() == "prod");
  }
  test::ScopedEnv file("OCI_CONFIG_FILE", nullptr);
  test::ScopedEnv profile("OCI_CLI_PROFILE", nullptr);
  CHECK(default_config_file() == "/home/op/.oci/config");
  CHECK(default_profile() == "DEFAULT");
  CHECK(expand_home("~/k.pem") == "/home/op/k.pem");
  CHECK(expand_home("keys/k.pem") == "keys/k.pem");
  CHECK(expand_home("/abs/~/k.pem") == "/abs/~/k.pem");
}

TEST_CASE("an API key from a profile: keyId, key, region, with settings over the profile", "[oci]") {
  Files f;
  Credentials c = resolve_ok(f.settings());
  CHECK(c.auth_type == AuthType::ApiKey);
  CHECK(c.key_id == std::string(kTenancy) + "/" + kUser + "/" + test::kOracleTestKeyFingerprint);
  CHECK(c.region == "eu-frankfurt-1");
  CHECK(c.origin == "profile DEFAULT of " + f.dir.file("config"));
  REQUIRE(c.key);
  CHECK(api_key_fingerprint(*c.key) == test::kOracleTestKeyFingerprint);
  SECTION("a setting wins over the profile's value") {
    SignerSettings s = f.settings();
    s.region = "us-phoenix-1";
    CHECK(resolve_ok(s).region == "us-phoenix-1");
  }
  SECTION("user, tenancy, fingerprint and key_file all set: no file is read") {
    SignerSettings s;
    s.config_file = f.dir.file("no-such-config");
    s.user = kUser;
    s.tenancy = kTenancy;
    s.fingerprint = "73:61:A2:21:67:E0:DF:BE:7E:4B:93:1E:15:98:A5:B7";  // any case
    s.key_file = f.dir.file("key.pem");
    Credentials direct = resolve_ok(s);
    CHECK(direct.origin == "the user, tenancy, fingerprint and key_file settings");
    CHECK(direct.region.empty());
  }
  SECTION("a named profile through OCI_CLI_PROFILE") {
    f.write_config(std::string("fingerprint=") + test::kOracleTestKeyFingerprint + "\n[eu]\nregion=eu-paris-1\n");
    test::ScopedEnv profile("OCI_CLI_PROFILE", "eu");
    CHECK(resolve_ok(f.settings()).region == "eu-paris-1");
  }
}

TEST_CASE("API key errors say what is wrong and where, never the key", "[oci]") {
  Files f;
  auto no_key_text = [](const std::string& e) {
    CHECK(e.find("MII") == std::string::npos);
    CHECK(e.find("sluice-test-pass") == std::string::npos);
  };
  SECTION("Oracle's published fingerprint is not its test key's") {
    f.write_config(std::string("fingerprint=") + test::kOracleTestFingerprint + "\n");
    std::string e = resolve_error(f.settings());
    CHECK(e == "fingerprint (" + f.dir.file("config") + " line 6) is not the fingerprint of " + f.dir.file("key.pem") +
                   " (its public key's is 73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7): the key or the fingerprint "
                   "is from another API key");
  }
  SECTION("missing values") {
    test::write_file(f.dir.file("config"), "[DEFAULT]\nuser=" + std::string(kUser) + "\n");
    CHECK(resolve_error(f.settings()) == "profile DEFAULT of " + f.dir.file("config") + " has no key_file");
    f.write_config("");
    CHECK(resolve_error(f.settings()) ==
          "profile DEFAULT of " + f.dir.file("config") +
              " has no fingerprint (an API key needs user, tenancy, fingerprint and key_file)");
  }
  SECTION("malformed values") {
    f.write_config("fingerprint=73:61\n");
    CHECK(resolve_error(f.settings()) ==
          "fingerprint (" + f.dir.file("config") +
              " line 6) is not a key fingerprint (16 pairs of hex digits joined by ':')");
    SignerSettings s = f.settings();
    s.tenancy = "ocid1.compartment.oc1..x";
    CHECK(resolve_error(s) == "the tenancy setting is not a tenancy OCID (ocid1.tenancy.oc1..…)");
  }
  SECTION("the key file") {
    SignerSettings s = f.settings();
    s.key_file = f.dir.file("missing.pem");
    CHECK(resolve_error(s) ==
          "the key_file setting: cannot read " + f.dir.file("missing.pem") + ": No such file or directory");
    test::write_file(f.dir.file("public.pem"),
                     "-----BEGIN PUBLIC KEY-----\nMIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33y\n"
                     "-----END PUBLIC KEY-----\n");
    s.key_file = f.dir.file("public.pem");
    std::string e = resolve_error(s);
    CHECK(e.rfind("the key_file setting " + f.dir.file("public.pem") + ": not a readable PEM private key (", 0) == 0);
    no_key_text(e);
  }
  SECTION("an encrypted key without pass_phrase, or with a wrong one") {
    test::write_file(f.dir.file("key.pem"), test::kOracleTestKeyPkcs8Encrypted);
    std::string e = resolve_error(f.settings());
    CHECK(e == "key_file (" + f.dir.file("config") + " line 5) " + f.dir.file("key.pem") +
                   ": the key is encrypted; sluice needs it without a passphrase (set pass_phrase)");
    SignerSettings s = f.settings();
    s.pass_phrase = "wrong";
    e = resolve_error(s);
    CHECK(e.find(": cannot decrypt the key with the passphrase given (") != std::string::npos);
    no_key_text(e);
  }
  SECTION("no config file and no settings") {
    test::ScopedEnv file("OCI_CONFIG_FILE", f.dir.file("absent").c_str());
    CHECK(resolve_error(SignerSettings{}) ==
          "no OCI credentials: " + f.dir.file("absent") +
              " does not exist, and user, tenancy, fingerprint and key_file are not all set");
    SignerSettings s;
    s.config_file = f.dir.file("absent");
    CHECK(resolve_error(s) == "cannot read " + f.dir.file("absent") + ": No such file or directory");
  }
}

TEST_CASE("an encrypted key with its pass_phrase signs as the plain key does", "[oci]") {
  for (const char* pem : {test::kOracleTestKeyPkcs8Encrypted, test::kOracleTestKeyTraditionalEncrypted}) {
    Files f;
    test::write_file(f.dir.file("key.pem"), pem);
    f.write_config(std::string("fingerprint=") + test::kOracleTestKeyFingerprint + "\npass_phrase=" +
                   test::kTestPassPhrase + "\n");
    Credentials c = resolve_ok(f.settings());
    std::vector<http::Header> headers{{"Date", "Thu, 05 Jan 2014 21:31:40 GMT"}};
    std::string error;
    auto s = sign({"GET", "/api", "localhost:7000", &headers, ""}, "k", *c.key, {}, error);
    REQUIRE(s);
    // The same key: the same (deterministic) signature as the plain PEM's.
    auto plain = crypto::RsaPrivateKey::from_pem(test::kOracleTestKeyPem, error);
    auto expected = sign({"GET", "/api", "localhost:7000", &headers, ""}, "k", *plain, {}, error);
    CHECK(s->headers.back().value == expected->headers.back().value);
  }
}

TEST_CASE("a session token profile: security_token_file and key_file, no user or fingerprint needed", "[oci]") {
  Files f;
  test::write_file(f.dir.file("token"), "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjk5OTk5OTk5OTl9.c2ln\n");
  test::write_file(f.dir.file("config"), "[DEFAULT]\ntenancy=" + std::string(kTenancy) +
                                             "\nkey_file=" + f.dir.file("key.pem") +
                                             "\nsecurity_token_file=" + f.dir.file("token") + "\n");
  Credentials c = resolve_ok(f.settings());
  CHECK(c.key_id.empty());
  CHECK(c.security_token_file == f.dir.file("token"));
  std::string error;
  CHECK(read_security_token(c.security_token_file, error) == "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjk5OTk5OTk5OTl9.c2ln");
  test::write_file(f.dir.file("token"), "\n");
  CHECK(resolve_error(f.settings()) == "security_token_file (" + f.dir.file("config") + " line 4): " +
                                           f.dir.file("token") + " is empty (no security token)");
}

TEST_CASE("instance principals: the federation endpoint from the region or the setting", "[oci]") {
  SignerSettings s;
  s.auth_type = AuthType::InstancePrincipal;
  s.region = "ap-tokyo-1";
  Credentials c = resolve_ok(s);
  CHECK(c.federation_endpoint == "https://auth.ap-tokyo-1.oraclecloud.com");
  CHECK(c.metadata_url == "http://169.254.169.254/opc/v2");
  CHECK(c.origin == "instance principal (metadata service http://169.254.169.254/opc/v2)");
  s.federation_endpoint = "http://127.0.0.1:9/";
  s.metadata_url = "http://127.0.0.1:9/opc/v2/";
  c = resolve_ok(s);
  CHECK(c.federation_endpoint == "http://127.0.0.1:9");
  CHECK(c.metadata_url == "http://127.0.0.1:9/opc/v2");
  CHECK(c.region == "ap-tokyo-1");
}

}  // namespace SLUICE_UNITY_ID
