// Secrets given in a configuration (client secrets, API keys, ingestion
// keys, key passphrases, passwords) never appear in what `sluice --dry-run`
// prints: not when the configuration is fine, not when another key is
// wrong, not when the secret's own key is malformed or the secret itself is
// wrong. (The log and the dead-letter file are checked by each cloud
// output's end-to-end test.)
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/support/process.hpp"

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
