// End to end with the real binary: tail → parser json → datadog → a stand-in
// for Datadog's Logs intake (tests/peers/datadog_standin.py). Datadog can't
// run here, so the peer is a stand-in written from Datadog's API docs: it
// checks DD-API-KEY, gunzips, reads the body as a JSON array under the
// documented limits, stores each entry, and answers 503 or 429 on cue.
#include <catch2/catch.hpp>

#include <simdjson.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "tests/e2e/e2e_support.hpp"
#include "tests/e2e/node_standin.hpp"
#include "tests/outputs/http_test_peers.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kApiKey = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";

struct Intake {
  TempDir& dir;
  PythonPeer peer;
  explicit Intake(TempDir& d) : dir(d), peer("datadog_standin.py", args(d)) {}
  static std::vector<std::string> args(TempDir& d) {
    return {"--key", kApiKey, "--store", d.file("logs.jsonl"), "--log", d.file("intake.jsonl"), "--control",
            d.file("control")};
  }
  std::vector<std::string> entries() const { return read_lines(dir.file("logs.jsonl")); }
  std::vector<std::string> requests() const { return read_lines(dir.file("intake.jsonl")); }
  // The output's keys to reach the stand-in (plain HTTP on its port).
  std::string keys(const std::string& key = kApiKey) const {
    return "      host: 127.0.0.1\n      port: " + std::to_string(peer.port()) +
           "\n      tls: off\n      apikey: " + key + "\n";
  }
};

}  // namespace

TEST_CASE("datadog: records reach the intake with the time in ms, ddsource, service, hostname, ddtags and "
          "message, gzipped, through a 503",
          "[e2e][datadog]") {
  TempDir dir;
  Intake intake(dir);
  write_file(dir.file("control"), "503");
  write_app_log(dir, 20);
  auto sluice = start_sluice_with(dir, tail_to_output_yaml(dir, "datadog",
                                                           intake.keys() +
                                                               "      compress: gzip\n"
                                                               "      dd_service: checkout\n"
                                                               "      dd_source: python\n"
                                                               "      dd_tags: env:test,team:shop\n"
                                                               "      dd_hostname: web-1\n"
                                                               "      dd_message_key: msg\n"
                                                               "      include_tag_key: on\n"));
  // Unavailable first: retried, then stored once the intake is back.
  REQUIRE(wait_until([&] { return !intake.requests().empty(); }, 30s));
  write_file(dir.file("control"), "");
  bool done = wait_until([&] { return intake.entries().size() >= 20; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  auto entries = intake.entries();
  CHECK(seq_counts(entries) == once_each(0, 20));
  simdjson::dom::parser p;
  simdjson::dom::element e = p.parse(entries[0]);
  CHECK(std::abs(int64_t(e["timestamp"]) / 1000 - now_seconds()) < 120);
  CHECK(std::string_view(e["tagkey"]) == "app");
  CHECK(std::string_view(e["ddsource"]) == "python");
  CHECK(std::string_view(e["service"]) == "checkout");
  CHECK(std::string_view(e["hostname"]) == "web-1");
  CHECK(std::string_view(e["ddtags"]) == "env:test,team:shop");
  CHECK(std::string_view(e["message"]) == "slow request");
  CHECK(std::string_view(e["level"]) == "warn");
  CHECK(e["msg"].error() == simdjson::NO_SUCH_FIELD);
  // Fluent Bit's order: the added keys, the record, ddtags last.
  CHECK(entries[0].rfind(R"({"timestamp":)", 0) == 0);
  CHECK(entries[0].find(R"(,"tagkey":"app","ddsource":"python","service":"checkout","hostname":"web-1","seq":0,)") !=
        std::string::npos);
  CHECK(entries[0].ends_with(R"("ddtags":"env:test,team:shop"})"));
  auto requests = intake.requests();
  CHECK(count_with(requests, R"("status":503)") >= 1);
  CHECK(count_with(requests, R"("path":"/api/v2/logs")") == requests.size());
  CHECK(count_with(requests, R"("Content-Encoding":"gzip")") == requests.size());
  CHECK(count_with(requests, R"("Content-Type":"application/json")") == requests.size());
  CHECK(count_with(requests, std::string(R"("DD-API-KEY":")") + kApiKey + "\"") == requests.size());
  CHECK(count_with(requests, R"("DD-EVP-ORIGIN":"sluice")") == requests.size());
  CHECK(sluice->err().find(kApiKey) == std::string::npos);
}

TEST_CASE("datadog: a 429 with Retry-After is waited out, then every record stored once", "[e2e][datadog]") {
  TempDir dir;
  Intake intake(dir);
  write_file(dir.file("control"), "429");
  write_app_log(dir, 5);
  auto sluice = start_sluice_with(dir, tail_to_output_yaml(dir, "datadog", intake.keys()));
  REQUIRE(wait_until([&] { return !intake.requests().empty(); }, 30s));
  write_file(dir.file("control"), "");
  bool done = wait_until([&] { return intake.entries().size() >= 5; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  CHECK(seq_counts(intake.entries()) == once_each(0, 5));
  CHECK(read_lines(dir.file("dead.jsonl")).empty());
}

TEST_CASE("datadog: a wrong API key dead-letters the records with Datadog's 403, the key printed nowhere",
          "[e2e][datadog]") {
  TempDir dir;
  Intake intake(dir);
  write_app_log(dir, 3);
  const std::string wrong = "00000000wrongapikey0000000000000";
  auto sluice = start_sluice_with(dir, tail_to_output_yaml(dir, "datadog", intake.keys(wrong)));
  bool done = wait_until([&] { return read_lines(dir.file("dead.jsonl")).size() >= 3; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  auto dead = read_lines(dir.file("dead.jsonl"));
  CHECK(seq_counts(dead) == once_each(0, 3));
  CHECK(count_with(dead, "Datadog answered 403: Forbidden") == 3);
  CHECK(intake.entries().empty());
  CHECK(sluice->err().find(wrong) == std::string::npos);
  CHECK(sluice->out().find(wrong) == std::string::npos);
  CHECK(read_file(dir.file("dead.jsonl")).find(wrong) == std::string::npos);
}

TEST_CASE("datadog: Fluent Bit's classic datadog section (provider ecs, dd_tags, compress) runs as it is",
          "[e2e][datadog]") {
  TempDir dir;
  Intake intake(dir);
  write_app_log(dir, 4, [](int i) {
    return R"(,"log":"line )" + std::to_string(i) +
           R"(","container_id":"c0ffee","ecs_cluster":"arn:aws:ecs:eu-west-1:123456789012:cluster/prod")";
  });
  std::string conf = "[SERVICE]\n    Flush 1\n    Log_Level info\n    Parsers_File parsers.conf\n"
                     "[INPUT]\n    Name tail\n    Tag app\n    Path " + dir.file("app.log") +
                     "\n    Read_From_Head On\n"
                     "[FILTER]\n    Name parser\n    Match app\n    Key_Name log\n    Parser json\n"
                     "[OUTPUT]\n    Name        datadog\n    Match       *\n    Host        127.0.0.1\n"
                     "    Port        " + std::to_string(intake.peer.port()) +
                     "\n    TLS         off\n    compress    gzip\n    apikey      " + kApiKey +
                     "\n    dd_service  checkout\n    dd_source   python\n    dd_tags     team:logs,foo:bar\n"
                     "    provider    ecs\n    Retry_Limit False\n";
  write_file(dir.file("fluent-bit.conf"), conf);
  write_file(dir.file("parsers.conf"), "[PARSER]\n    Name json\n    Format json\n");
  Process sluice({SLUICE_BINARY, "-c", dir.file("fluent-bit.conf")});
  bool done = wait_until([&] { return intake.entries().size() >= 4; }, 60s);
  INFO(sluice.err());
  REQUIRE(done);
  stop_sluice(sluice);
  auto entries = intake.entries();
  CHECK(seq_counts(entries) == once_each(0, 4));
  CHECK(count_with(entries, R"("ddsource":"python","service":"checkout")") == 4);
  CHECK(count_with(entries, R"("message":"line )") == 4);  // the record's `log`, Fluent Bit's dd_message_key
  CHECK(count_with(entries, R"("ddtags":"container_id:c0ffee,cluster_name:prod,team:logs,foo:bar"})") == 4);
  CHECK(count_with(entries, R"("container_id":)") == 0);
  CHECK(count_with(entries, R"("ecs_cluster":)") == 0);
  CHECK(sluice.err().find(kApiKey) == std::string::npos);
}

}  // namespace SLUICE_UNITY_ID
