// End to end with the real binary: tail → parser json → ibm_cloud_logs →
// the IBM stand-in (tests/peers/ibm_standin.js: IBM Cloud IAM's token
// endpoint and IBM Cloud Logs' /logs/v1/singles in one process). No IBM
// service can be reached here, so the peer is a stand-in written from IBM's
// documentation and checked against IBM's own client (ibm-cloud-sdk-core's
// IamAuthenticator: tests/peers/check_standins.js). It accepts only tokens
// it issued for a known API key, checks every entry's fields, and refuses a
// request over 2 MB.
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

constexpr const char* kApiKey = "ibm-e2e-api-key-0123456789abcdefABCDEF";

std::string ibm_keys(const NodeStandIn& ibm, const std::string& api_key, const std::string& extra = "") {
  return "      endpoint: " + ibm.url() + "\n      iam_endpoint: " + ibm.url() + "\n      api_key: " + api_key +
         "\n      application_name: shop\n      computer_name: web-1\n" + extra;
}

}  // namespace

TEST_CASE("ibm_cloud_logs: entries sent with an IAM token, through 429, a revoked token, 503 and a dropped connection",
          "[e2e][ibm]") {
  TempDir dir;
  NodeStandIn ibm(dir, "ibm_standin.js", {"--api-key", kApiKey});
  ibm.control(R"({"faults":[{"type":"status","status":429,"retry_after":"1"},{"type":"status","status":401},)"
              R"({"type":"status","status":503},{"type":"drop"}]})");
  write_app_log(dir, 50);
  auto sluice = start_sluice_with(dir, tail_to_output_yaml(dir, "ibm_cloud_logs", ibm_keys(ibm, kApiKey)),
                                  {"IBMCLOUD_API_KEY="});
  bool done = wait_until([&] { return ibm.store().size() >= 50; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);

  auto stored = ibm.store();
  CHECK(seq_counts(stored) == once_each(0, 50));
  simdjson::dom::parser p;
  simdjson::dom::element first = p.parse(stored[0]);
  CHECK(std::string_view(first["applicationName"]) == "shop");
  CHECK(std::string_view(first["subsystemName"]) == "app");  // the tag
  CHECK(std::string_view(first["computerName"]) == "web-1");
  CHECK(int64_t(first["severity"]) == 4);  // "warn"
  // The record's own time (from "ts"), in milliseconds.
  CHECK(std::abs(double(first["timestamp"]) / 1000 - double(now_seconds())) < 120);
  auto requests = ibm.log();
  // One token, then a second after the 401 revoked the first.
  CHECK(count_with(requests, R"("endpoint":"token","status":200)") == 2);
  CHECK(count_with(requests, R"("grant_type":"urn:ibm:params:oauth:grant-type:apikey")") == 2);
  CHECK(count_with(requests, R"("auth":"revoked")") == 0);  // never sent again with the revoked token
  CHECK_THAT(sluice->err(), Catch::Contains("50 records delivered") && Catch::Contains(", 0 dead-lettered"));
  CHECK(sluice->err().find(kApiKey) == std::string::npos);
  CHECK(sluice->err().find("Bearer") == std::string::npos);
}

TEST_CASE("ibm_cloud_logs: an API key IAM does not know is reported with IAM's error and nothing is lost",
          "[e2e][ibm]") {
  TempDir dir;
  NodeStandIn ibm(dir, "ibm_standin.js", {"--api-key", kApiKey});
  write_app_log(dir, 5);
  const std::string wrong = "not-the-right-key-9876543210zyxwvu";
  auto sluice = start_sluice_with(dir, tail_to_output_yaml(dir, "ibm_cloud_logs", ibm_keys(ibm, wrong)),
                                  {"IBMCLOUD_API_KEY="});
  bool reported = wait_until([&] { return sluice->err().find("BXNIM0415E") != std::string::npos; }, 30s);
  INFO(sluice->err());
  REQUIRE(reported);
  CHECK_THAT(sluice->err(), Catch::Contains("Provided API key could not be found"));
  stop_sluice(*sluice);
  // The records were neither sent nor thrown away as refused: a key is
  // fixed by its operator, the records wait (kept for the next start by
  // storage, or dead-lettered on exit).
  CHECK(ibm.store().empty());
  CHECK(count_with(ibm.log(), R"("endpoint":"ingest")") == 0);
  CHECK(sluice->err().find(wrong) == std::string::npos);
}

TEST_CASE("ibm_cloud_logs: a 403 (no Sender role) dead-letters the batch with IBM's answer", "[e2e][ibm]") {
  TempDir dir;
  NodeStandIn ibm(dir, "ibm_standin.js", {"--api-key", kApiKey});
  ibm.control(R"({"faults":[{"type":"status","status":403}]})");
  write_app_log(dir, 3);
  auto sluice = start_sluice_with(dir, tail_to_output_yaml(dir, "ibm_cloud_logs", ibm_keys(ibm, kApiKey)),
                                  {"IBMCLOUD_API_KEY="});
  bool done = wait_until([&] { return read_lines(dir.file("dead.jsonl")).size() >= 3; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  auto dead = read_lines(dir.file("dead.jsonl"));
  CHECK(seq_counts(dead) == once_each(0, 3));
  CHECK(count_with(dead, "IBM Cloud Logs answered HTTP 403") == 3);
  CHECK(count_with(dead, "Sender role") == 3);
}

TEST_CASE("ibm_cloud_logs: log_key sends one field as the text, severity from a syslog number", "[e2e][ibm]") {
  TempDir dir;
  NodeStandIn ibm(dir, "ibm_standin.js", {"--api-key", kApiKey});
  write_app_log(dir, 2, [](int seq) { return seq == 0 ? R"(,"sev":3)" : R"(,"sev":7)"; });
  auto sluice = start_sluice_with(
      dir, tail_to_output_yaml(dir, "ibm_cloud_logs", ibm_keys(ibm, kApiKey, "      log_key: msg\n      severity_key: sev\n")),
      {"IBMCLOUD_API_KEY="});
  bool done = wait_until([&] { return ibm.store().size() >= 2; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  auto stored = ibm.store();
  CHECK(count_with(stored, R"("text":"slow request")") == 2);
  CHECK(count_with(stored, R"("severity":5)") == 1);  // syslog 3 (err) → Error
  CHECK(count_with(stored, R"("severity":1)") == 1);  // syslog 7 (debug) → Debug
}

}  // namespace SLUICE_UNITY_ID
