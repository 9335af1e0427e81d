// End to end with the real binary: tail → parser json → oci_logging → the
// OCI stand-in (tests/peers/oci_standin.js: PutLogs, the instance metadata
// service and the federation endpoint in one process). No OCI service can
// be reached here, so the peer is a stand-in written from OCI's references
// and checked against Oracle's own SDK (oci-loggingingestion, oci-common:
// tests/peers/check_standins.js). It verifies every request's signature
// with http-signature and re-signs API-key requests with oci-common to
// compare, and checks every entry.
#include <catch2/catch.hpp>

#include <simdjson.h>

#include <chrono>

#include "tests/e2e/e2e_support.hpp"
#include "tests/e2e/node_standin.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kLogId = "ocid1.log.oc1.iad.standinlog";

std::string oci_keys(const NodeStandIn& oci, const std::string& auth, const std::string& log_id = kLogId) {
  return "      endpoint: " + oci.url() + "\n      log_id: " + log_id +
         "\n      source: web-1\n      type: com.example.shop\n      subject: checkout\n" + auth;
}

std::vector<std::string> env_without_oci() { return {"OCI_CONFIG_FILE=", "OCI_CLI_PROFILE="}; }

// The log lines for requests to `endpoint` answered `status`.
size_t requests_to(const std::vector<std::string>& log, std::string_view endpoint, int64_t status) {
  simdjson::dom::parser p;
  size_t n = 0;
  for (const auto& l : log) {
    simdjson::dom::element e = p.parse(l);
    std::string_view ep;
    int64_t st = -1;
    if (e["endpoint"].get(ep) || e["status"].get(st)) continue;
    n += ep == endpoint && st == status;
  }
  return n;
}

}  // namespace

TEST_CASE("oci_logging: entries put with an API key from the OCI config file, through 429, 500, 503 and a drop",
          "[e2e][oci]") {
  TempDir dir;
  NodeStandIn oci(dir, "oci_standin.js", {"--generate-config", dir.path()});
  oci.control(R"({"faults":[{"type":"status","status":429,"retry_after":"1"},{"type":"status","status":500},)"
              R"({"type":"status","status":503},{"type":"drop"}]})");
  write_app_log(dir, 40);
  auto sluice = start_sluice_with(
      dir, tail_to_output_yaml(dir, "oci_logging", oci_keys(oci, "      config_file_location: " + dir.file("config") + "\n")),
      env_without_oci());
  bool done = wait_until([&] { return oci.store().size() >= 40; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);

  auto stored = oci.store();
  CHECK(seq_counts(stored) == once_each(0, 40));
  simdjson::dom::parser p;
  simdjson::dom::element first = p.parse(stored[0]);
  CHECK(std::string_view(first["log_id"]) == kLogId);
  CHECK(std::string_view(first["source"]) == "web-1");
  CHECK(std::string_view(first["type"]) == "com.example.shop");
  CHECK(std::string_view(first["subject"]) == "checkout");
  auto requests = oci.log();
  // Every request's signature (faults are applied after the check) verified
  // by two implementations.
  CHECK(requests_to(requests, "push", 200) >= 1);
  CHECK(count_with(requests, R"("verified_by":["http-signature","oci-common"])") ==
        count_with(requests, R"("endpoint":"push")"));
  CHECK(count_with(requests, R"("auth":"api_key")") >= 4);
  CHECK(requests_to(requests, "push", 401) == 0);
  CHECK_THAT(sluice->err(), Catch::Contains("40 records delivered") && Catch::Contains(", 0 dead-lettered"));
  std::string key = read_file(dir.file("oci_api_key.pem"));
  CHECK(sluice->err().find(key.substr(100, 64)) == std::string::npos);
}

TEST_CASE("oci_logging: a session token (oci session authenticate) signs as ST$<token>", "[e2e][oci]") {
  TempDir dir;
  NodeStandIn oci(dir, "oci_standin.js",
                  {"--generate-config", dir.path(), "--write-session-token", dir.file("token")});
  write_app_log(dir, 5);
  auto sluice = start_sluice_with(
      dir,
      tail_to_output_yaml(dir, "oci_logging",
                          oci_keys(oci, "      key_file: " + dir.file("oci_api_key.pem") +
                                            "\n      security_token_file: " + dir.file("token") + "\n")),
      env_without_oci());
  bool done = wait_until([&] { return oci.store().size() >= 5; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  CHECK(seq_counts(oci.store()) == once_each(0, 5));
  CHECK(count_with(oci.log(), R"("auth":"session_token")") >= 1);
  CHECK(count_with(oci.log(), R"("auth":"api_key")") == 0);
}

TEST_CASE("oci_logging: an instance principal's token from the metadata service and federation, renewed after a 401",
          "[e2e][oci]") {
  TempDir dir;
  NodeStandIn oci(dir, "oci_standin.js", {});
  oci.control(R"({"faults":[{"type":"status","status":401}]})");
  write_app_log(dir, 20);
  auto sluice = start_sluice_with(
      dir,
      tail_to_output_yaml(dir, "oci_logging",
                          oci_keys(oci, "      auth_type: instance_principal\n      region: us-ashburn-1\n"
                                        "      metadata_url: " + oci.url() + "/opc/v2\n      federation_endpoint: " +
                                            oci.url() + "\n")),
      env_without_oci());
  bool done = wait_until([&] { return oci.store().size() >= 20; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  CHECK(seq_counts(oci.store()) == once_each(0, 20));
  auto requests = oci.log();
  CHECK(requests_to(requests, "federation", 200) == 2);  // the first token, then one after the 401 revoked it
  CHECK(count_with(requests, R"("auth":"instance_principal")") >= 2);
  CHECK(count_with(requests, R"("path":"/opc/v2/identity/cert.pem")") >= 1);
  CHECK(sluice->err().find("ST$") == std::string::npos);  // no token in the log
}

TEST_CASE("oci_logging: a log that doesn't exist (404 NotAuthorizedOrNotFound) dead-letters the entries", "[e2e][oci]") {
  TempDir dir;
  NodeStandIn oci(dir, "oci_standin.js", {"--generate-config", dir.path()});
  write_app_log(dir, 3);
  auto sluice = start_sluice_with(
      dir,
      tail_to_output_yaml(dir, "oci_logging",
                          oci_keys(oci, "      config_file_location: " + dir.file("config") + "\n",
                                   "ocid1.log.oc1.iad.nosuchlog")),
      env_without_oci());
  bool done = wait_until([&] { return read_lines(dir.file("dead.jsonl")).size() >= 3; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  auto dead = read_lines(dir.file("dead.jsonl"));
  CHECK(seq_counts(dead) == once_each(0, 3));
  CHECK(count_with(dead, "NotAuthorizedOrNotFound") == 3);
  CHECK(oci.store().empty());
}

TEST_CASE("oci_logging: a fingerprint that isn't the key's is a configuration error naming the key", "[e2e][oci]") {
  TempDir dir;
  NodeStandIn oci(dir, "oci_standin.js", {"--generate-config", dir.path()});
  write_file(dir.file("app.log"), "");
  write_file(dir.file("sluice.yaml"),
             tail_to_output_yaml(dir, "oci_logging",
                                 oci_keys(oci, "      user: ocid1.user.oc1..aaaa\n      tenancy: ocid1.tenancy.oc1..bbbb\n"
                                               "      fingerprint: 20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34\n"
                                               "      key_file: " + dir.file("oci_api_key.pem") + "\n")));
  Process p({SLUICE_BINARY, "--dry-run", "-c", dir.file("sluice.yaml")}, env_without_oci());
  CHECK(p.wait(30s) == 2);
  INFO(p.err());
  CHECK_THAT(p.err(), Catch::Contains("configuration error") && Catch::Contains("key_file") &&
                          Catch::Contains("fingerprint"));
  std::string key = read_file(dir.file("oci_api_key.pem"));
  CHECK(p.err().find(key.substr(100, 64)) == std::string::npos);
}

}  // namespace SLUICE_UNITY_ID
