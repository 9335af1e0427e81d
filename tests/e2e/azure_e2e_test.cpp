// End to end with the real binary: tail → parser json → azure_logs_ingestion
// → the Azure stand-in (tests/peers/azure_standin.js: Entra ID's token
// endpoint, the managed-identity endpoint (IMDS) and the Logs Ingestion API
// in one process). No Azure service can be reached here, so the peer is a
// stand-in written from Microsoft's documentation and checked against
// Microsoft's own clients (@azure/identity, @azure/monitor-ingestion:
// tests/peers/check_standins.js). It accepts only tokens it issued for
// https://monitor.azure.com, only its DCR and stream, and calls of at most
// 1 MB.
#include <catch2/catch.hpp>

#include <simdjson.h>

#include <chrono>
#include <regex>

#include "tests/e2e/e2e_support.hpp"
#include "tests/e2e/node_standin.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kTenant = "aaaabbbb-0000-cccc-1111-dddd2222eeee";
constexpr const char* kClientId = "00001111-aaaa-2222-bbbb-3333cccc4444";
constexpr const char* kSecret = "Zx9~secret-value-for-the-e2e-test.Q1";
constexpr const char* kDcr = "dcr-0123456789abcdef0123456789abcdef";

std::string azure_keys(const NodeStandIn& az, const std::string& auth) {
  return "      dce_url: " + az.url() + "\n      dcr_id: " + std::string(kDcr) +
         "\n      table_name: AppLogs_CL\n      time_generated: on\n      time_key: TimeGenerated\n"
         "      tenant_id: " + kTenant + "\n" + auth;
}

// Requests to the token endpoint answered 200 that used this grant.
size_t tokens_granted(const std::vector<std::string>& log, std::string_view grant) {
  simdjson::dom::parser p;
  size_t n = 0;
  for (const auto& l : log) {
    simdjson::dom::element e = p.parse(l);
    std::string_view endpoint, g;
    int64_t status = 0;
    if (e["endpoint"].get(endpoint) || e["grant"].get(g) || e["status"].get(status)) continue;
    n += endpoint == "token" && g == grant && status == 200;
  }
  return n;
}

std::vector<std::string> env_without_azure() {
  return {"AZURE_TENANT_ID=", "AZURE_CLIENT_ID=", "AZURE_CLIENT_SECRET=", "AZURE_FEDERATED_TOKEN_FILE=",
          "AZURE_AUTHORITY_HOST="};
}

}  // namespace

TEST_CASE("azure: records ingested with a client secret's token, through 429, a revoked token and 503",
          "[e2e][azure]") {
  TempDir dir;
  NodeStandIn az(dir, "azure_standin.js",
                 {"--client-secret", kSecret, "--dcr", kDcr, "--stream", "Custom-AppLogs_CL"});
  az.control(R"({"faults":[{"type":"status","status":429,"retry_after":1},{"type":"status","status":401},)"
             R"({"type":"status","status":503},{"type":"drop"}]})");
  write_app_log(dir, 40);
  auto sluice = start_sluice_with(
      dir,
      tail_to_output_yaml(dir, "azure_logs_ingestion",
                          azure_keys(az, "      client_id: " + std::string(kClientId) + "\n      client_secret: " +
                                             kSecret + "\n      authority_host: " + az.url() + "\n")),
      env_without_azure());
  bool done = wait_until([&] { return az.store().size() >= 40; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);

  auto stored = az.store();
  CHECK(seq_counts(stored) == once_each(0, 40));
  CHECK(count_with(stored, R"("stream":"Custom-AppLogs_CL")") == 40);
  // TimeGenerated: the record's time as RFC 3339, which fills the table's
  // column without a DCR transformation.
  static const std::regex rfc3339(R"("TimeGenerated":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")");
  CHECK(std::regex_search(stored[0], rfc3339));
  auto requests = az.log();
  // The 401 revoked the token: sluice fetched a second one instead of
  // retrying with the first.
  CHECK(count_with(requests, R"("endpoint":"token")") == 2);
  CHECK(tokens_granted(requests, "client_secret") == 2);
  CHECK(count_with(requests, R"("scope":"https://monitor.azure.com/.default")") == 2);
  CHECK(count_with(requests, "has been revoked") == 0);  // never retried with the revoked token
  CHECK_THAT(sluice->err(), Catch::Contains("40 records delivered") && Catch::Contains(", 0 dead-lettered"));
  CHECK(sluice->err().find(kSecret) == std::string::npos);
  CHECK(sluice->err().find("Bearer") == std::string::npos);
  CHECK(sluice->err().find("eyJ") == std::string::npos);  // no JWT
}

TEST_CASE("azure: a flush larger than 1 MB goes as several calls, each under the limit", "[e2e][azure]") {
  TempDir dir;
  NodeStandIn az(dir, "azure_standin.js", {"--client-secret", kSecret, "--dcr", kDcr, "--stream", "Custom-AppLogs_CL"});
  const std::string pad(6000, 'x');
  write_app_log(dir, 400, [&](int) { return R"(,"pad":")" + pad + "\""; });  // ~2.4 MB
  auto sluice = start_sluice_with(
      dir,
      tail_to_output_yaml(dir, "azure_logs_ingestion",
                          azure_keys(az, "      client_id: " + std::string(kClientId) + "\n      client_secret: " +
                                             kSecret + "\n      authority_host: " + az.url() + "\n")),
      env_without_azure());
  bool done = wait_until([&] { return az.store().size() >= 400; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  CHECK(seq_counts(az.store()) == once_each(0, 400));
  simdjson::dom::parser p;
  size_t calls = 0;
  for (const auto& l : az.log()) {
    simdjson::dom::element e = p.parse(l);
    if (std::string_view(e["endpoint"]) != "ingest") continue;
    ++calls;
    CHECK(int64_t(e["status"]) == 204);
    CHECK(int64_t(e["bytes"]) <= 1024 * 1024);
  }
  CHECK(calls >= 3);
}

TEST_CASE("azure: on a VM or AKS node a managed identity's token comes from IMDS", "[e2e][azure]") {
  TempDir dir;
  const std::string identity = "11112222-3333-4444-5555-666677778888";
  NodeStandIn az(dir, "azure_standin.js",
                 {"--managed-identity", identity, "--dcr", kDcr, "--stream", "Custom-AppLogs_CL"});
  write_app_log(dir, 5);
  auto sluice = start_sluice_with(
      dir,
      tail_to_output_yaml(dir, "azure_logs_ingestion",
                          azure_keys(az, "      auth_method: managed_identity\n      client_id: " + identity +
                                             "\n      imds_endpoint: " + az.url() + "\n")),
      env_without_azure());
  bool done = wait_until([&] { return az.store().size() >= 5; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  CHECK(seq_counts(az.store()) == once_each(0, 5));
  auto requests = az.log();
  CHECK(count_with(requests, R"("endpoint":"imds")") == 1);
  CHECK(count_with(requests, R"("metadata":true)") == 1);
  CHECK(count_with(requests, R"("identity":")" + identity + "\"") == 1);
  CHECK(count_with(requests, R"("endpoint":"token")") == 0);
  CHECK(count_with(requests, R"("principal":")" + identity + "\"") >= 1);
}

TEST_CASE("azure: on AKS with workload identity the projected token is traded for an Entra token",
          "[e2e][azure]") {
  TempDir dir;
  write_file(dir.file("federated-token"), "eyJhbGciOiJSUzI1NiJ9.projected-service-account-token.sig");
  NodeStandIn az(dir, "azure_standin.js",
                 {"--federated-token-file", dir.file("federated-token"), "--dcr", kDcr, "--stream",
                  "Custom-AppLogs_CL"});
  write_app_log(dir, 5);
  auto sluice = start_sluice_with(
      dir,
      tail_to_output_yaml(dir, "azure_logs_ingestion",
                          azure_keys(az, "      client_id: " + std::string(kClientId) + "\n      authority_host: " +
                                             az.url() + "\n")),
      // What AKS injects into the pod.
      {"AZURE_FEDERATED_TOKEN_FILE=" + dir.file("federated-token"), "AZURE_TENANT_ID=", "AZURE_CLIENT_ID=",
       "AZURE_AUTHORITY_HOST="});
  bool done = wait_until([&] { return az.store().size() >= 5; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  CHECK(seq_counts(az.store()) == once_each(0, 5));
  CHECK(tokens_granted(az.log(), "workload_identity") == 1);
}

TEST_CASE("azure: a principal without the Monitoring Metrics Publisher role: records dead-lettered with the reason",
          "[e2e][azure]") {
  TempDir dir;
  NodeStandIn az(dir, "azure_standin.js",
                 {"--client-secret", kSecret, "--dcr", kDcr, "--stream", "Custom-AppLogs_CL", "--no-role", kClientId});
  write_app_log(dir, 3);
  auto sluice = start_sluice_with(
      dir,
      tail_to_output_yaml(dir, "azure_logs_ingestion",
                          azure_keys(az, "      client_id: " + std::string(kClientId) + "\n      client_secret: " +
                                             kSecret + "\n      authority_host: " + az.url() + "\n")),
      env_without_azure());
  bool done = wait_until([&] { return read_lines(dir.file("dead.jsonl")).size() >= 3; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  auto dead = read_lines(dir.file("dead.jsonl"));
  CHECK(seq_counts(dead) == once_each(0, 3));
  CHECK(count_with(dead, "403") == 3);
  CHECK(count_with(dead, "OperationFailed") == 3);
  CHECK(az.store().empty());
  CHECK(sluice->err().find(kSecret) == std::string::npos);
}

// Fluent Bit 5's auth_url: the whole token endpoint, no tenant_id. The
// stand-in serves Entra ID's token path; sluice must ask exactly there.
TEST_CASE("azure: Fluent Bit's auth_url names the token endpoint whole", "[e2e][azure]") {
  TempDir dir;
  NodeStandIn az(dir, "azure_standin.js",
                 {"--client-secret", kSecret, "--dcr", kDcr, "--stream", "Custom-AppLogs_CL"});
  write_app_log(dir, 5);
  std::string keys = "      dce_url: " + az.url() + "\n      dcr_id: " + std::string(kDcr) +
                     "\n      table_name: AppLogs_CL\n      client_id: " + kClientId + "\n      client_secret: " +
                     kSecret + "\n      auth_url: " + az.url() + "/" + kTenant + "/oauth2/v2.0/token\n";
  auto sluice = start_sluice_with(dir, tail_to_output_yaml(dir, "azure_logs_ingestion", keys), env_without_azure());
  bool done = wait_until([&] { return az.store().size() >= 5; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  CHECK(seq_counts(az.store()) == once_each(0, 5));
  CHECK(tokens_granted(az.log(), "client_secret") == 1);
}

}  // namespace SLUICE_UNITY_ID
