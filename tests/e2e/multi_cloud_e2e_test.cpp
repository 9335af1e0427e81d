// End to end with the real binary and the shipped conf/multi-cloud.yaml:
// tail → parser json → the traceId aggregator → Graylog (GELF over TCP, a
// real GELF server: tests/peers/gelf_receiver.js), CloudWatch Logs, Google
// Cloud Logging, Azure Monitor, IBM Cloud Logs and OCI Logging (stand-ins
// for the clouds, each checked against the provider's own client by
// standins_check_test.cpp). The config is the example file itself, pointed
// at the peers through the environment variables it reads.
//
// Azure goes down (503 to every request) for a minute: the five others keep
// delivering each request within seconds, /api/v1/health names Azure with
// its own error text, and once Azure answers again it catches up; in the
// end every provider holds every request exactly once.
#include <catch2/catch.hpp>

#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <regex>
#include <thread>

#include "tests/e2e/e2e_support.hpp"
#include "tests/e2e/gelf_receiver.hpp"
#include "tests/e2e/node_standin.hpp"
#include "tests/e2e/status_http.hpp"
#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kAwsKeyId = "AKIDSLUICEFANOUT";
constexpr const char* kAwsSecret = "fanout/aws/secret/key/for/the/e2e/test";
constexpr const char* kAzureSecret = "fanout~azure~client~secret~e2e";
constexpr const char* kAzureTenant = "aaaabbbb-0000-cccc-1111-dddd2222eeee";
constexpr const char* kAzureClient = "00001111-aaaa-2222-bbbb-3333cccc4444";
constexpr const char* kDcr = "dcr-fa0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f";
constexpr const char* kIbmKey = "fanout-ibm-api-key-0123456789";
constexpr const char* kOciLog = "ocid1.log.oc1.iad.fanoutlog";

// The three lines of request r: started, a query, completed (same traceId).
std::string request_lines(int r) {
  char trace[33];
  std::snprintf(trace, sizeof trace, "4bf92f3577b34da6a3ce%012x", r + 1);
  std::string head = R"({"ts":)" + std::to_string(now_seconds()) + R"(,"traceId":")" + trace + R"(","seq":)" +
                     std::to_string(r) + R"(,"level":"info",)";
  return head + R"("msg":"request started"})" + "\n" + head + R"("msg":"db query 12ms"})" + "\n" + head +
         R"("status":200,"msg":"request completed"})" + "\n";
}

// GELF carries the record's fields as additional fields: "_seq":N.
std::map<int, int> gelf_seq_counts(const std::vector<std::string>& lines) {
  static const std::regex re(R"("_seq":(\d+))");
  std::map<int, int> counts;
  for (const auto& l : lines) {
    std::smatch m;
    if (std::regex_search(l, m, re)) ++counts[std::stoi(m[1])];
  }
  return counts;
}

// Whether every seq in [from, to) is in counts.
bool holds_all(const std::map<int, int>& counts, int from, int to) {
  for (int i = from; i < to; ++i)
    if (!counts.count(i)) return false;
  return true;
}

}  // namespace

TEST_CASE("multi-cloud: conf/multi-cloud.yaml fans out to six providers, one down for a minute holds back only itself",
          "[e2e][multicloud]") {
  TempDir dir;
  GelfReceiver graylog(dir, {"tcp"});
  NodeStandIn cloudwatch(dir, "cloudwatch_standin.js", {"--access-key", kAwsKeyId, "--secret-key", kAwsSecret});
  NodeStandIn google(dir, "google_standin.js", {"--generate-key-file", dir.file("sa.json")});
  NodeStandIn azure(dir, "azure_standin.js",
                    {"--client-secret", kAzureSecret, "--dcr", kDcr, "--stream", "Custom-Requests_CL"});
  NodeStandIn ibm(dir, "ibm_standin.js", {"--api-key", kIbmKey});
  NodeStandIn oci(dir, "oci_standin.js", {"--generate-config", dir.path(), "--log-id", kOciLog});

  const uint16_t status_port = free_tcp_port();
  write_file(dir.file("app.log"), "");
  std::vector<std::string> env = {
      "APP_LOG=" + dir.file("app.log"), "SLUICE_STATE_DIR=" + dir.path(), "SLUICE_HTTP_LISTEN=127.0.0.1",
      "SLUICE_HTTP_PORT=" + std::to_string(status_port), "HOSTNAME=web-1", "APP_NAME=shop",
      "GRAYLOG_HOST=127.0.0.1", "GRAYLOG_PORT=" + std::to_string(graylog.ports["tcp"]),
      "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=" + std::string(kAwsKeyId), "AWS_SECRET_ACCESS_KEY=" + std::string(kAwsSecret),
      "AWS_SESSION_TOKEN=", "AWS_PROFILE=", "AWS_EC2_METADATA_DISABLED=true", "CLOUDWATCH_ENDPOINT=" + cloudwatch.url(),
      "GOOGLE_APPLICATION_CREDENTIALS=" + dir.file("sa.json"), "GOOGLE_LOGGING_URL=" + google.url(),
      "AZURE_DCE_URL=" + azure.url(), "AZURE_DCR_ID=" + std::string(kDcr), "AZURE_TENANT_ID=" + std::string(kAzureTenant),
      "AZURE_CLIENT_ID=" + std::string(kAzureClient), "AZURE_CLIENT_SECRET=" + std::string(kAzureSecret),
      "AZURE_AUTHORITY_HOST=" + azure.url(), "AZURE_FEDERATED_TOKEN_FILE=",
      "IBM_LOGS_ENDPOINT=" + ibm.url(), "IBM_IAM_ENDPOINT=" + ibm.url(), "IBMCLOUD_API_KEY=" + std::string(kIbmKey),
      "OCI_LOG_ID=" + std::string(kOciLog), "OCI_LOGGING_ENDPOINT=" + oci.url(), "OCI_AUTH_TYPE=api_key",
      "OCI_CONFIG_FILE=" + dir.file("config"), "OCI_CLI_PROFILE="};
  Process sluice({SLUICE_BINARY, "-c", std::string(SLUICE_SOURCE_DIR) + "/conf/multi-cloud.yaml"}, env);

  // Each provider's records, by seq.
  auto healthy_stores = [&] {
    return std::vector<std::pair<std::string, std::map<int, int>>>{
        {"graylog", gelf_seq_counts(read_lines(graylog.out))},
        {"cloudwatch", seq_counts(cloudwatch.store())},
        {"google", seq_counts(google.store())},
        {"ibm", seq_counts(ibm.store())},
        {"oci", seq_counts(oci.store())}};
  };
  auto all_hold = [&](int from, int to) {
    for (const auto& [name, counts] : healthy_stores())
      if (!holds_all(counts, from, to)) return false;
    return holds_all(seq_counts(azure.store()), from, to);
  };

  // The example doesn't read from the head (a restart resumes from its
  // database): write once sluice follows the file.
  REQUIRE(wait_until([&] { return sluice.err().find("tail: following") != std::string::npos; }, 30s));

  // All six up: the first ten requests reach every provider.
  std::string first;
  for (int r = 0; r < 10; ++r) first += request_lines(r);
  append_file(dir.file("app.log"), first);
  bool up = wait_until([&] { return all_hold(0, 10); }, 60s);
  INFO(sluice.err());
  REQUIRE(up);

  // Azure down for a minute; one request a second meanwhile.
  azure.control(R"({"faults":[{"type":"status","status":503,"count":1000000}]})");
  const auto outage_start = std::chrono::steady_clock::now();
  std::vector<std::pair<int, std::chrono::steady_clock::time_point>> written;
  std::vector<std::string> late;  // "google: request 23 after 15 s"
  bool health_seen = false;
  std::string health_body;
  int next = 10;
  while (std::chrono::steady_clock::now() - outage_start < 60s) {
    append_file(dir.file("app.log"), request_lines(next));
    written.emplace_back(next, std::chrono::steady_clock::now());
    ++next;
    std::this_thread::sleep_for(1s);
    // On time: a request written 15 s ago is at every healthy provider.
    auto stores = healthy_stores();
    for (const auto& [seq, at] : written) {
      if (std::chrono::steady_clock::now() - at < 15s) continue;
      for (const auto& [name, counts] : stores)
        if (!counts.count(seq)) late.push_back(name + ": request " + std::to_string(seq));
    }
    std::erase_if(written, [](const auto& w) { return std::chrono::steady_clock::now() - w.second >= 15s; });
    if (!health_seen && std::chrono::steady_clock::now() - outage_start > 10s) {
      HttpGet got = http_get(status_port, "/api/v1/health");
      health_body = got.body;
      // Degraded (still 200): Azure retries, within health.max_output_stall (5m).
      health_seen = got.status == 200 && got.body.find(R"("azure":{"status":"retrying")") != std::string::npos;
    }
  }
  const int total = next;
  INFO(sluice.err());
  CHECK(late.empty());
  INFO(health_body);
  REQUIRE(health_seen);
  simdjson::dom::parser parser;
  simdjson::dom::element health = parser.parse(health_body);
  CHECK(std::string_view(health["status"]) == "degraded");
  CHECK(bool(health["outputs"]["azure"]["failing"]) == true);
  CHECK_THAT(std::string(std::string_view(health["outputs"]["azure"]["last_error"])),
             Catch::StartsWith("Azure Monitor answered HTTP 503"));
  for (const char* other : {"graylog", "cloudwatch", "google", "ibm", "oci"}) {
    INFO(other);
    CHECK(bool(health["outputs"][other]["failing"]) == false);
  }
  // Nothing of the outage reached Azure, everything reached the others.
  auto during = seq_counts(azure.store());
  CHECK(during.lower_bound(10) == during.end());
  CHECK(wait_until([&] {
    for (const auto& [name, counts] : healthy_stores())
      if (!holds_all(counts, 0, total)) return false;
    return true;
  }, 30s));

  // Azure answers again: it catches up (within the output's 60 s retry cap)
  // and health is back to ok.
  azure.control(R"({"faults":[]})");
  bool caught_up = wait_until([&] { return holds_all(seq_counts(azure.store()), 0, total); }, 90s);
  REQUIRE(caught_up);
  bool healthy = wait_until([&] {
    HttpGet got = http_get(status_port, "/api/v1/health");
    health_body = got.body;
    return got.status == 200 && got.body.find(R"("status":"ok")") != std::string::npos;
  }, 30s);
  INFO(health_body);
  CHECK(healthy);
  stop_sluice(sluice);

  // Every provider holds every request exactly once, with its traceId.
  for (const auto& [name, counts] : healthy_stores()) {
    INFO(name);
    CHECK(counts == once_each(0, total));
  }
  CHECK(seq_counts(azure.store()) == once_each(0, total));
  CHECK(count_with(google.store(), "/traces/4bf92f3577b34da6a3ce") == static_cast<size_t>(total));
  CHECK(count_with(azure.store(), R"("traceId":"4bf92f3577b34da6a3ce)") == static_cast<size_t>(total));
  CHECK(count_with(read_lines(graylog.out), R"("_traceId":"4bf92f3577b34da6a3ce)") == static_cast<size_t>(total));
  // One record per request: the three lines joined.
  CHECK(count_with(ibm.store(), R"(request started\ndb query 12ms\nrequest completed)") == static_cast<size_t>(total));
  CHECK(sluice.err().find(kAzureSecret) == std::string::npos);
  CHECK(sluice.err().find(kIbmKey) == std::string::npos);
  CHECK(sluice.err().find(kAwsSecret) == std::string::npos);
}

}  // namespace SLUICE_UNITY_ID
