// Secrets given in a configuration (client secrets, API keys, ingestion
// keys, key passphrases, passwords) never appear in what `sluice --dry-run`
// prints: not when the configuration is fine, not when another key is
// wrong, not when the secret's own key is malformed or the secret itself is
// wrong. Nor in /api/v1/config of a running sluice, whose configuration
// holds one of every kind (and credentials in a proxy URL and a header).
// (The log and the dead-letter file are checked by each cloud output's
// end-to-end test; every key any schema marks secret, by
// tests/agent/effective_config_test.cpp.)
#include <catch2/catch.hpp>

#include <signal.h>

#include <string>
#include <vector>

#include "tests/e2e/status_http.hpp"
#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

struct DryRun {
  int status;
  std::string text;  // stdout and stderr
};

DryRun dry_run(const TempDir& dir, const std::string& outputs) {
  write_file(dir.file("s.yaml"), "pipeline:\n  inputs:\n    - name: dummy\n  outputs:\n" + outputs);
  Process p({SLUICE_BINARY, "--dry-run", "-c", dir.file("s.yaml")},
            {"AZURE_CLIENT_SECRET=", "AZURE_FEDERATED_TOKEN_FILE=", "IBMCLOUD_API_KEY=", "OCI_CONFIG_FILE=",
             "OCI_CLI_PROFILE="});
  auto status = p.wait(30s);
  return {status ? *status : -1, p.out() + p.err()};
}

const std::string kAzure =
    "    - name: azure_logs_ingestion\n      dce_url: https://x.westeurope-1.ingest.monitor.azure.com\n"
    "      table_name: T_CL\n      tenant_id: aaaabbbb-0000-cccc-1111-dddd2222eeee\n"
    "      client_id: 00001111-aaaa-2222-bbbb-3333cccc4444\n";

}  // namespace

TEST_CASE("secrets: --dry-run prints no secret, whether the configuration is right or wrong", "[e2e][secrets]") {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> outputs = {
      {"AZSECRET-1f2e3d", kAzure + "      dcr_id: dcr-0123456789abcdef0123456789abcdef\n      client_secret: AZSECRET-1f2e3d\n"},
      {"IBMKEY-9a8b7c", "    - name: ibm_cloud_logs\n      endpoint: https://x.ingress.eu-de.logs.cloud.ibm.com\n"
                        "      api_key: IBMKEY-9a8b7c\n"},
      {"MEZMOKEY-5d4c3b", "    - name: logdna\n      api_key: MEZMOKEY-5d4c3b\n"},
      {"HTTPPW-7e6f5a", "    - name: http\n      host: example.com\n      http_user: u\n      http_passwd: HTTPPW-7e6f5a\n"},
      {"ESPW-2b3c4d", "    - name: es\n      host: example.com\n      http_user: u\n      http_passwd: ESPW-2b3c4d\n"},
  };
  for (const auto& [secret, yaml] : outputs) {
    INFO(yaml);
    DryRun ok = dry_run(dir, yaml);
    INFO(ok.text);
    CHECK(ok.status == 0);
    CHECK(ok.text.find(secret) == std::string::npos);
    // Another key of the same output wrong: the error names that key only.
    DryRun bad = dry_run(dir, yaml + "      request_timeout: soon\n");
    INFO(bad.text);
    CHECK(bad.status == 2);
    CHECK(bad.text.find("request_timeout") != std::string::npos);
    CHECK(bad.text.find(secret) == std::string::npos);
  }
  // The secret's own key malformed (a map where a string goes).
  DryRun shape = dry_run(dir, kAzure + "      dcr_id: dcr-0123456789abcdef0123456789abcdef\n"
                                       "      client_secret: {value: AZSECRET-map}\n");
  CHECK(shape.status == 2);
  CHECK(shape.text.find("client_secret") != std::string::npos);
  CHECK(shape.text.find("AZSECRET-map") == std::string::npos);
  // The retired azure output's workspace key, refused with a pointer.
  DryRun retired = dry_run(dir, "    - name: azure\n      customer_id: abc\n      shared_key: SHAREDKEY-0a0b0c\n");
  CHECK(retired.status == 2);
  CHECK(retired.text.find("azure_logs_ingestion") != std::string::npos);
  CHECK(retired.text.find("SHAREDKEY-0a0b0c") == std::string::npos);
}

TEST_CASE("secrets: a wrong OCI key passphrase is reported without the passphrase or the key", "[e2e][secrets]") {
  TempDir dir;
  Process gen({"/usr/bin/env", "openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-aes-256-cbc", "-pass",
               "pass:the-right-one", "-out", dir.file("key.pem")});
  REQUIRE(gen.wait(60s) == 0);
  DryRun r = dry_run(dir, "    - name: oci_logging\n      log_id: ocid1.log.oc1.iad.x\n      region: us-ashburn-1\n"
                          "      user: ocid1.user.oc1..aaaa\n      tenancy: ocid1.tenancy.oc1..bbbb\n"
                          "      fingerprint: 20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34\n"
                          "      key_file: " + dir.file("key.pem") + "\n      pass_phrase: PASSPHRASE-wrong-77\n");
  INFO(r.text);
  CHECK(r.status == 2);
  CHECK(r.text.find("key_file") != std::string::npos);
  CHECK(r.text.find("PASSPHRASE-wrong-77") == std::string::npos);
  CHECK(r.text.find("the-right-one") == std::string::npos);
  std::string pem = read_file(dir.file("key.pem"));
  CHECK(r.text.find(pem.substr(60, 40)) == std::string::npos);
}

TEST_CASE("secrets: a service account's key given inline is printed nowhere by --dry-run", "[e2e][secrets]") {
  TempDir dir;
  Process gen({"/usr/bin/env", "openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out",
               dir.file("sa.pem")});
  REQUIRE(gen.wait(60s) == 0);
  std::string pem = read_file(dir.file("sa.pem"));
  std::string block;  // the PEM as a YAML block scalar
  for (size_t at = 0; at < pem.size();) {
    size_t end = pem.find('\n', at);
    block += "        " + pem.substr(at, end - at) + "\n";
    at = end + 1;
  }
  const std::string yaml = "    - name: stackdriver\n      export_to_project_id: p\n"
                           "      service_account_email: sa@p.iam.gserviceaccount.com\n"
                           "      service_account_secret: |\n" + block;
  const std::string secret = pem.substr(100, 40);
  DryRun ok = dry_run(dir, yaml);
  INFO(ok.text);
  CHECK(ok.status == 0);
  CHECK(ok.text.find(secret) == std::string::npos);
  DryRun bad = dry_run(dir, yaml + "      severity_key: [a, b]\n");
  INFO(bad.text);
  CHECK(bad.status == 2);
  CHECK(bad.text.find(secret) == std::string::npos);
  // A key that is no key: the error says so without quoting it.
  DryRun broken = dry_run(dir, "    - name: stackdriver\n      export_to_project_id: p\n"
                               "      service_account_email: sa@p.iam.gserviceaccount.com\n"
                               "      service_account_secret: NOTAKEY-3c2b1a\n");
  INFO(broken.text);
  CHECK(broken.status == 2);
  CHECK(broken.text.find("service_account_secret") != std::string::npos);
  CHECK(broken.text.find("NOTAKEY-3c2b1a") == std::string::npos);
}

TEST_CASE("secrets: /api/v1/config shows the running configuration with every kind of secret redacted",
          "[e2e][secrets]") {
  TempDir dir;
  Process gen_sa({"/usr/bin/env", "openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                  "-out", dir.file("sa.pem")});
  Process gen_oci({"/usr/bin/env", "openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                   "-aes-256-cbc", "-pass", "pass:PASSPHRASE-ok-42", "-out", dir.file("oci.pem")});
  REQUIRE(gen_sa.wait(60s) == 0);
  REQUIRE(gen_oci.wait(60s) == 0);
  // OCI's fingerprint: MD5 of the public key's DER, as aa:bb:...
  Process md5({"/bin/sh", "-c",
               "openssl pkey -in " + dir.file("oci.pem") +
                   " -passin pass:PASSPHRASE-ok-42 -pubout -outform DER | openssl md5 -c"});
  REQUIRE(md5.wait(30s) == 0);
  std::string fingerprint = md5.out().substr(md5.out().rfind("= ") + 2, 47);
  std::string pem = read_file(dir.file("sa.pem"));
  std::string sa_block;  // the PEM as a YAML block scalar
  for (size_t at = 0; at < pem.size();) {
    size_t end = pem.find('\n', at);
    sa_block += "        " + pem.substr(at, end - at) + "\n";
    at = end + 1;
  }
  write_file(dir.file("app.log"), "");
  uint16_t port = free_tcp_port();
  uint16_t http_in = free_tcp_port();
  const std::string yaml =
      "service:\n  log_level: warn\n  http_server: on\n  http_port: " + std::to_string(port) +
      "\npipeline:\n  inputs:\n    - name: tail\n      path: " + dir.file("app.log") +
      "\n    - name: http\n      listen: 127.0.0.1\n      port: " + std::to_string(http_in) +
      "\n      http_user: in\n      http_passwd: INPW-6a5b4c\n      bearer_token: INTOKEN-8d7e6f\n"
      "  outputs:\n" + kAzure +
      "      dcr_id: dcr-0123456789abcdef0123456789abcdef\n      client_secret: AZSECRET-1f2e3d\n"
      "    - name: ibm_cloud_logs\n      endpoint: https://x.ingress.eu-de.logs.cloud.ibm.com\n"
      "      api_key: IBMKEY-9a8b7c\n"
      "    - name: logdna\n      api_key: MEZMOKEY-5d4c3b\n"
      "    - name: http\n      host: 127.0.0.1\n      port: 1\n      http_user: u\n      http_passwd: ${SLUICE_TEST_PW}\n"
      "      proxy: http://proxyuser:PROXYPW-0c1d2e@127.0.0.1:2\n"
      "      header: Authorization Bearer HEADERTOKEN-3e4f5a\n"
      "    - name: es\n      host: 127.0.0.1\n      port: 1\n      http_user: u\n      http_passwd: ESPW-2b3c4d\n"
      "    - name: es\n      host: 127.0.0.1\n      port: 1\n      http_api_key: ESAPIKEY-4d5e6f\n"
      "    - name: es\n      cloud_id: 'sec:" "ZXhhbXBsZS5jb20kYWJjJGRlZg=='\n      cloud_auth: 'elastic:ESCLOUD-7a8b9c'\n"
      "    - name: loki\n      host: 127.0.0.1\n      port: 1\n      bearer_token: LOKITOKEN-1a2b3c\n"
      "    - name: stackdriver\n      export_to_project_id: p\n"
      "      service_account_email: sa@p.iam.gserviceaccount.com\n      service_account_secret: |\n" + sa_block +
      "    - name: oci_logging\n      log_id: ocid1.log.oc1.iad.x\n      region: us-ashburn-1\n"
      "      user: ocid1.user.oc1..aaaa\n      tenancy: ocid1.tenancy.oc1..bbbb\n"
      "      fingerprint: " + fingerprint + "\n"
      "      key_file: " + dir.file("oci.pem") + "\n      pass_phrase: PASSPHRASE-ok-42\n";
  write_file(dir.file("s.yaml"), yaml);
  Process sluice({SLUICE_BINARY, "-c", dir.file("s.yaml")},
                 {"SLUICE_TEST_PW=ENVPW-3f2e1d", "AZURE_CLIENT_SECRET=", "AZURE_FEDERATED_TOKEN_FILE=",
                  "IBMCLOUD_API_KEY=", "OCI_CONFIG_FILE=", "OCI_CLI_PROFILE="});
  HttpGet config;
  REQUIRE(wait_until([&] {
    config = http_get(port, "/api/v1/config");
    return config.status == 200 || !sluice.running();
  }, 30s));
  INFO(sluice.err());
  REQUIRE(config.status == 200);
  INFO(config.body);
  for (const std::string& secret : std::vector<std::string>{
           "INPW-6a5b4c", "INTOKEN-8d7e6f", "AZSECRET-1f2e3d", "IBMKEY-9a8b7c", "MEZMOKEY-5d4c3b", "ENVPW-3f2e1d",
        "PROXYPW-0c1d2e", "proxyuser", "HEADERTOKEN-3e4f5a", "ESPW-2b3c4d", "ESAPIKEY-4d5e6f", "ESCLOUD-7a8b9c",
           "LOKITOKEN-1a2b3c", "PASSPHRASE-ok-42", pem.substr(100, 40)}) {
    INFO(secret);
    CHECK(config.body.find(secret) == std::string::npos);
  }
  // What is no secret is shown: the effective configuration is useful.
  CHECK_THAT(config.body, Catch::Contains("\"path\":[\"" + dir.file("app.log") + "\"]") &&
                              Catch::Contains("\"http_passwd\":\"<redacted>\"") &&
                              Catch::Contains("\"proxy\":\"http://<redacted>@127.0.0.1:2\"") &&
                              Catch::Contains("\"service_account_email\":\"sa@p.iam.gserviceaccount.com\""));
  // Nor does the rest of what the status server says carry one.
  std::string everything = config.body + http_get(port, "/api/v1/health").body + http_get(port, "/api/v1/metrics").body;
  for (const char* secret : {"ENVPW-3f2e1d", "PROXYPW-0c1d2e", "AZSECRET-1f2e3d"})
    CHECK(everything.find(secret) == std::string::npos);
  sluice.signal(SIGTERM);
  CHECK(sluice.wait(30s).has_value());
  CHECK(sluice.err().find("ENVPW-3f2e1d") == std::string::npos);
}

}  // namespace SLUICE_UNITY_ID
