// End to end with the real binary: tail → parser json → cloudwatch_logs →
// the CloudWatch Logs stand-in (tests/peers/cloudwatch_standin.js). No AWS
// can be reached here, so the peer is a stand-in written from the API
// reference and checked against AWS's own JavaScript SDK
// (tests/peers/check_standins.js); it verifies every request's SigV4
// signature independently (@smithy/signature-v4), keeps groups and streams,
// enforces the batch rules, and fails on cue.
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <map>
#include <regex>

#include "tests/e2e/node_standin.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

const std::string kKeyId = "AKIDSLUICEE2ETEST";
const std::string kSecret = "wJalrXUtnFEMI/K7MDENG+sluice/e2e/secret";
const std::string kToken = "FwoGZXIvYXdzEsluiceSessionTokenE2E";


std::string line(int seq, int64_t ts) {
  return R"({"seq":)" + std::to_string(seq) + R"(,"ts":)" + std::to_string(ts) + R"(,"msg":"request handled"})" + "\n";
}

std::string config(const TempDir& dir, const NodeStandIn& cw, const std::string& keys) {
  return "service:\n  flush: 100ms\n  grace: 10s\n  log_level: info\n"
         "pipeline:\n  inputs:\n    - name: tail\n      tag: app\n      path: " + dir.file("app.log") +
         "\n      read_from_head: on\n"
         "  filters:\n    - name: parser\n      match: app\n      key_name: log\n      parser: epoch\n"
         "  outputs:\n    - name: cloudwatch_logs\n      match: '*'\n      region: us-east-1\n"
         "      endpoint: " + cw.url() + "\n      retry_base: 100ms\n      retry_cap: 500ms\n"
         "      dead_letter_file: " + dir.file("dead.jsonl") + "\n" + keys +
         "parsers:\n  - name: epoch\n    format: json\n    time_key: ts\n    time_format: '%s'\n";
}

std::vector<std::string> aws_env(const std::string& key_id = kKeyId) {
  return {"AWS_ACCESS_KEY_ID=" + key_id, "AWS_SECRET_ACCESS_KEY=" + kSecret, "AWS_SESSION_TOKEN=" + kToken,
          "AWS_EC2_METADATA_DISABLED=true"};
}

std::unique_ptr<Process> start_sluice(const TempDir& dir, const std::string& yaml, std::vector<std::string> env) {
  write_file(dir.file("sluice.yaml"), yaml);
  return std::make_unique<Process>(std::vector<std::string>{SLUICE_BINARY, "-c", dir.file("sluice.yaml")}, env);
}




}  // namespace

TEST_CASE("cloudwatch: signed puts through throttling, 503 and an expired token, the group and stream created",
          "[e2e][cloudwatch]") {
  TempDir dir;
  NodeStandIn cw(dir, "cloudwatch_standin.js",
                 {"--access-key", kKeyId, "--secret-key", kSecret, "--session-token", kToken});
  cw.control(R"({"faults":[{"type":"status","status":400,"error_type":"ThrottlingException","message":"Rate exceeded","retry_after":"1"},)"
             R"({"type":"status","status":503},)"
             R"({"type":"status","status":400,"error_type":"ExpiredTokenException","message":"The security token included in the request is expired"}]})");
  std::string log;
  int64_t now = now_seconds();
  for (int i = 0; i < 100; ++i) log += line(i, now - 100 + i);
  log += line(100, now - 15 * 24 * 3600);  // older than CloudWatch takes: dead-lettered, never sent
  log += line(101, now + 3 * 3600);        // too far ahead: the same
  write_file(dir.file("app.log"), log);
  auto sluice = start_sluice(dir, config(dir, cw,
                                         "      log_group_name: /sluice/e2e\n      log_stream_prefix: web-\n"
                                         "      auto_create_group: on\n      log_retention_days: 7\n"),
                             aws_env());
  bool done = wait_until([&] { return cw.store().size() >= 100 && read_lines(dir.file("dead.jsonl")).size() >= 2; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);

  auto stored = cw.store();
  CHECK(seq_counts(stored) == once_each(0, 100));
  CHECK(count_with(stored, R"("group":"/sluice/e2e","stream":"web-app")") == 100);
  auto requests = cw.log();
  CHECK(count_with(requests, R"("op":"CreateLogGroup")") == 1);
  CHECK(count_with(requests, R"("op":"PutRetentionPolicy")") == 1);
  CHECK(count_with(requests, R"("op":"CreateLogStream")") == 1);
  CHECK(count_with(requests, R"("type":"ThrottlingException")") == 1);
  CHECK(count_with(requests, R"("type":"ExpiredTokenException")") == 1);
  CHECK(count_with(requests, R"("type":"InvalidSignatureException")") == 0);  // every request signed right
  CHECK(count_with(requests, R"("type":"ResourceNotFoundException")") == 1);
  auto dead = read_lines(dir.file("dead.jsonl"));
  CHECK(seq_counts(dead) == std::map<int, int>{{100, 1}, {101, 1}});
  CHECK(count_with(dead, "more than 14 days old") == 1);
  CHECK(count_with(dead, "more than 2 hours in the future") == 1);
  CHECK_THAT(sluice->err(), Catch::Contains("100 records delivered") && Catch::Contains(", 2 dead-lettered"));
  // The credentials appear nowhere a user or a log collector reads.
  std::string everything = sluice->err() + sluice->out() + read_file(dir.file("dead.jsonl"));
  CHECK(everything.find(kSecret) == std::string::npos);
  CHECK(everything.find(kToken) == std::string::npos);
}

TEST_CASE("cloudwatch: events older than the group's retention are dead-lettered one by one", "[e2e][cloudwatch]") {
  TempDir dir;
  NodeStandIn cw(dir, "cloudwatch_standin.js",
                 {"--access-key", kKeyId, "--secret-key", kSecret, "--session-token", kToken, "--group",
                  "/sluice/short=1", "--stream", "/sluice/short/s"});
  std::string log;
  int64_t now = now_seconds();
  for (int i = 0; i < 3; ++i) log += line(i, now - 3 * 24 * 3600 + i);  // 3 days old, retention 1 day
  for (int i = 3; i < 10; ++i) log += line(i, now - 10 + i);
  write_file(dir.file("app.log"), log);
  auto sluice = start_sluice(dir, config(dir, cw, "      log_group_name: /sluice/short\n      log_stream_name: s\n"),
                             aws_env());
  bool done = wait_until([&] { return cw.store().size() >= 7 && read_lines(dir.file("dead.jsonl")).size() >= 3; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  CHECK(seq_counts(cw.store()) == once_each(3, 10));
  auto dead = read_lines(dir.file("dead.jsonl"));
  CHECK(seq_counts(dead) == once_each(0, 3));
  CHECK(count_with(dead, "older than the log group's retention") == 3);
  auto requests = cw.log();
  CHECK(count_with(requests, R"("status":200)") == requests.size());  // nothing was retried
}

TEST_CASE("cloudwatch: a key CloudWatch doesn't know is refused for good, without the secret in any message",
          "[e2e][cloudwatch]") {
  TempDir dir;
  NodeStandIn cw(dir, "cloudwatch_standin.js",
                 {"--access-key", kKeyId, "--secret-key", kSecret, "--session-token", kToken});
  std::string log;
  for (int i = 0; i < 5; ++i) log += line(i, now_seconds());
  write_file(dir.file("app.log"), log);
  auto sluice = start_sluice(dir, config(dir, cw, "      log_group_name: /g\n      log_stream_name: s\n"),
                             aws_env("AKIDUNKNOWNTOCLOUDWATCH"));
  bool done = wait_until([&] { return read_lines(dir.file("dead.jsonl")).size() >= 5; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  auto dead = read_lines(dir.file("dead.jsonl"));
  CHECK(count_with(dead, "UnrecognizedClientException") == 5);
  CHECK(cw.store().empty());
  std::string everything = sluice->err() + read_file(dir.file("dead.jsonl"));
  CHECK(everything.find(kSecret) == std::string::npos);
  CHECK(everything.find(kToken) == std::string::npos);
}

TEST_CASE("cloudwatch: no credentials anywhere: nothing sent, retried, and the log says what to set",
          "[e2e][cloudwatch]") {
  TempDir dir;
  NodeStandIn cw(dir, "cloudwatch_standin.js", {"--access-key", kKeyId, "--secret-key", kSecret});
  write_file(dir.file("app.log"), line(0, now_seconds()));
  std::string yaml = config(dir, cw, "      log_group_name: /g\n      log_stream_name: s\n");
  yaml.replace(yaml.find("grace: 10s"), 10, "grace: 1s");
  auto sluice = start_sluice(dir, yaml,
                             {"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SHARED_CREDENTIALS_FILE=" + dir.file("none"),
                              "AWS_CONFIG_FILE=" + dir.file("none"), "AWS_EC2_METADATA_DISABLED=true", "HOME=" + dir.path()});
  bool said = wait_until([&] { return sluice->err().find("will be retried") != std::string::npos; }, 30s);
  INFO(sluice->err());
  REQUIRE(said);
  stop_sluice(*sluice);
  CHECK_THAT(sluice->err(), Catch::Contains("cannot sign the request: no AWS credentials"));
  CHECK(cw.log().empty());
  CHECK(read_lines(dir.file("dead.jsonl")).empty());
}

}  // namespace SLUICE_UNITY_ID
