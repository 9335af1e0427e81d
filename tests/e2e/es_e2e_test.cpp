// End to end with the real binary: tail → parser json → es → an Elasticsearch
// stand-in (tests/peers/es_standin.py). No Elasticsearch can run here, so the
// peer is a stand-in written from the _bulk API's specification; it logs
// every item it receives and every document it stores, and fails on cue
// (per-item 429/400/503, whole-request 429 with Retry-After, 503, dropped
// connections, slow answers, 413). The tests assert exactly which records
// were resent, dead-lettered and stored.
#include <catch2/catch.hpp>

#include <signal.h>

#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include "tests/e2e/es_standin.hpp"
#include "tests/support/net.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {


size_t count_with(const std::vector<std::string>& lines, const std::string& text) {
  size_t n = 0;
  for (const auto& l : lines) n += l.find(text) != std::string::npos;
  return n;
}

std::string record(int seq, const std::string& extra = "") {
  return R"({"seq":)" + std::to_string(seq) + extra + R"(,"msg":"request handled"})" + "\n";
}

std::string config(const TempDir& dir, uint16_t port, const std::string& es_keys, const std::string& filters = "",
                   const std::string& retry = "      retry_base: 200ms\n      retry_cap: 1s\n") {
  return "service:\n  flush: 100ms\n  grace: 10s\n  log_level: info\n"
         "pipeline:\n  inputs:\n    - name: tail\n      tag: app\n      path: " + dir.file("app.log") +
         "\n      read_from_head: on\n"
         "  filters:\n    - name: parser\n      match: app\n      key_name: log\n      parser: json\n" + filters +
         "  outputs:\n    - name: es\n      match: '*'\n      host: 127.0.0.1\n      port: " + std::to_string(port) +
         "\n" + retry + "      dead_letter_file: " + dir.file("dead.jsonl") + "\n" +
         es_keys;
}

std::unique_ptr<Process> start_sluice(const TempDir& dir, const std::string& yaml) {
  write_file(dir.file("sluice.yaml"), yaml);
  return std::make_unique<Process>(std::vector<std::string>{SLUICE_BINARY, "-c", dir.file("sluice.yaml")});
}



}  // namespace

TEST_CASE("es: per-item failures resend only the 429/503 items and dead-letter the 400s", "[e2e][es]") {
  TempDir dir;
  EsStandIn es(dir);
  std::string log;
  for (int i = 0; i < 20; ++i) {
    std::string extra;
    if (i == 3 || i == 7) extra = R"(,"fail":"429x1")";   // rejected once, then stored
    if (i == 13) extra = R"(,"fail":"503x2")";            // unavailable twice
    if (i == 5 || i == 11) extra = R"(,"fail":"400")";    // a mapping error: never stored
    log += record(i, extra);
  }
  write_file(dir.file("app.log"), log);
  auto sluice = start_sluice(dir, config(dir, es.port(), ""));
  bool done = wait_until([&] { return es.stored().size() >= 18 && read_lines(dir.file("dead.jsonl")).size() >= 2; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);

  CHECK(seq_counts(es.stored()) == once_each(0, 20, {5, 11}));
  // Received: the failed-and-retryable items again, nothing else.
  std::map<int, int> received = once_each(0, 20);
  received[3] = received[7] = 2;
  received[13] = 3;
  CHECK(seq_counts(es.items()) == received);

  auto dead = read_lines(dir.file("dead.jsonl"));
  CHECK(seq_counts(dead) == std::map<int, int>{{5, 1}, {11, 1}});
  for (const auto& line : dead)
    CHECK(line.find(R"("reason":"400 mapper_parsing_exception: failed to parse field [fail] of type [long] in document")") !=
          std::string::npos);
  CHECK(sluice->err().find("18 records delivered") != std::string::npos);
  CHECK(sluice->err().find(", 2 dead-lettered") != std::string::npos);
}

TEST_CASE("es: whole-request failures are retried, honouring Retry-After", "[e2e][es]") {
  TempDir dir;
  std::string log;
  for (int i = 0; i < 10; ++i) log += record(i);
  write_file(dir.file("app.log"), log);

  SECTION("429 with Retry-After: 1") {
    write_file(dir.file("control.json"), R"({"faults":[{"type":"status","status":429,"retry_after":"1"}]})");
    EsStandIn es(dir);
    // A backoff far longer than the test: only Retry-After can bring the retry in time.
    auto sluice = start_sluice(dir, config(dir, es.port(), "", "", "      retry_base: 1h\n      retry_cap: 1h\n"));
    bool done = wait_until([&] { return es.stored().size() >= 10; }, 60s);
    INFO(sluice->err());
    REQUIRE(done);
    stop_sluice(*sluice);
    CHECK(sluice->err().find("10 records will be retried in 1000 ms") != std::string::npos);
    CHECK(count_with(es.requests(), R"("status":429)") == 1);
    CHECK(seq_counts(es.stored()) == once_each(0, 10));
  }
  SECTION("503 twice") {
    write_file(dir.file("control.json"), R"({"faults":[{"type":"status","status":503,"count":2}]})");
    EsStandIn es(dir);
    auto sluice = start_sluice(dir, config(dir, es.port(), ""));
    bool done = wait_until([&] { return es.stored().size() >= 10; }, 60s);
    INFO(sluice->err());
    REQUIRE(done);
    stop_sluice(*sluice);
    CHECK(count_with(es.requests(), R"("status":503)") == 2);
    CHECK(seq_counts(es.stored()) == once_each(0, 10));
    CHECK(sluice->err().find("503") != std::string::npos);
  }
}

TEST_CASE("es: lost answers with generated ids store every record exactly once", "[e2e][es]") {
  TempDir dir;
  std::string log;
  for (int i = 0; i < 30; ++i) log += record(i);
  write_file(dir.file("app.log"), log);
  std::string fault;
  // Only the slow answer needs a short request_timeout: elsewhere a loaded
  // machine must not turn a slow first answer into a resend (and a 409).
  std::string keys = "      generate_id: on\n";
  SECTION("connection dropped before storing") { fault = R"({"type":"drop"})"; }
  SECTION("connection dropped after storing") { fault = R"({"type":"drop_after_store"})"; }
  SECTION("answer slower than request_timeout, after storing") {
    fault = R"({"type":"slow","delay":3})";
    keys += "      request_timeout: 1s\n";
  }
  write_file(dir.file("control.json"), R"({"faults":[)" + fault + "]}");
  EsStandIn es(dir);
  auto sluice = start_sluice(dir, config(dir, es.port(), keys));
  bool done = wait_until([&] { return es.stored().size() >= 30; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  // SIGTERM drains: the retry of the batch whose answer was lost still goes out.
  stop_sluice(*sluice);
  CHECK(seq_counts(es.stored()) == once_each(0, 30));
  CHECK(sluice->err().find("30 records delivered") != std::string::npos);
  CHECK(sluice->err().find(" 0 dead-lettered") != std::string::npos);
  // A retry of stored documents met them under the same ids.
  size_t conflicts = count_with(es.items(), R"("status":409)");
  CHECK((conflicts > 0) == (fault.find("\"drop\"") == std::string::npos));
}

TEST_CASE("es: a 413 splits the batch until Elasticsearch takes it", "[e2e][es]") {
  TempDir dir;
  std::string log;
  for (int i = 0; i < 40; ++i) log += record(i);
  write_file(dir.file("app.log"), log);
  EsStandIn es(dir, {"--max-content-length", "1500"});
  auto sluice = start_sluice(dir, config(dir, es.port(), ""));
  bool done = wait_until([&] { return es.stored().size() >= 40; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  CHECK(seq_counts(es.stored()) == once_each(0, 40));
  CHECK(sluice->err().find("413") != std::string::npos);
}

TEST_CASE("es: API key, gzip, pipeline, index pattern and data stream", "[e2e][es]") {
  TempDir dir;
  std::string log;
  for (int i = 0; i < 5; ++i) log += record(i);
  write_file(dir.file("app.log"), log);
  EsStandIn es(dir, {"--auth", "ApiKey aWQ6a2V5", "--data-stream", "logs-"});
  auto sluice = start_sluice(dir, config(dir, es.port(),
                                         "      http_api_key: id:key\n      compress: gzip\n      pipeline: enrich\n"
                                         "      index: logs-app-%Y\n"
                                         "    - name: es\n      alias: wrong_key\n      match: '*'\n"
                                         "      port: " + std::to_string(es.port()) +
                                         "\n      http_api_key: id:wrong\n      index: other\n"
                                         "      dead_letter_file: " + dir.file("dead-wrong.jsonl") + "\n"));
  bool done = wait_until([&] {
    return es.stored().size() >= 5 && read_lines(dir.file("dead-wrong.jsonl")).size() >= 5;
  }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  auto stored = es.stored();
  CHECK(seq_counts(stored) == once_each(0, 5));
  static const std::regex index_re("\"_index\":\"logs-app-(\\d{4})\"");
  for (const auto& line : stored) {
    CHECK(std::regex_search(line, index_re));
    CHECK(line.find("\"@timestamp\":\"") != std::string::npos);  // data streams need it
  }
  bool gzip_with_pipeline = false;
  for (const auto& r : es.requests())
    gzip_with_pipeline = gzip_with_pipeline || (r.find(R"("target":"/_bulk?pipeline=enrich","gzip":true)") != std::string::npos);
  CHECK(gzip_with_pipeline);
  // The wrong key is refused as a whole (401): permanent, with Elasticsearch's text.
  auto dead = read_lines(dir.file("dead-wrong.jsonl"));
  CHECK(seq_counts(dead) == once_each(0, 5));
  CHECK(dead[0].find("401") != std::string::npos);
  CHECK(dead[0].find("security_exception") != std::string::npos);
}

TEST_CASE("es: HTTPS with the test CA and basic auth, a wrong CA fails with a clear error", "[e2e][es]") {
  TempDir dir;
  TestPki pki = make_test_pki(dir.path());
  std::string log;
  for (int i = 0; i < 5; ++i) log += record(i);
  write_file(dir.file("app.log"), log);
  // "elastic:changeme" in base64, as a cluster with security on expects it.
  EsStandIn es(dir, {"--tls-cert", pki.server_crt, "--tls-key", pki.server_key, "--auth", "Basic ZWxhc3RpYzpjaGFuZ2VtZQ=="});
  auto keys = [&](const std::string& ca) {
    return "      http_user: elastic\n      http_passwd: changeme\n      tls: on\n      tls.ca_file: " + ca + "\n";
  };
  SECTION("the right CA: every record stored once") {
    auto sluice = start_sluice(dir, config(dir, es.port(), keys(pki.ca_crt)));
    bool done = wait_until([&] { return es.stored().size() >= 5; }, 60s);
    INFO(sluice->err());
    REQUIRE(done);
    stop_sluice(*sluice);
    CHECK(seq_counts(es.stored()) == once_each(0, 5));
    CHECK(read_lines(dir.file("dead.jsonl")).empty());
  }
  SECTION("a CA that didn't sign the server's certificate: retried, nothing stored, and the log says why") {
    std::string yaml = config(dir, es.port(), keys(pki.other_ca_crt));
    yaml.replace(yaml.find("grace: 10s"), 10, "grace: 1s");  // nothing can be delivered: don't wait for it
    auto sluice = start_sluice(dir, yaml);
    bool retried = wait_until([&] { return sluice->err().find("will be retried") != std::string::npos; }, 30s);
    INFO(sluice->err());
    REQUIRE(retried);
    stop_sluice(*sluice);
    CHECK(es.stored().empty());
    CHECK_THAT(sluice->err(), Catch::Contains("5 records will be retried in") &&
                                  Catch::Contains("certificate verify failed (unable to get local issuer certificate)"));
    // Retried (5 records each time), never dead-lettered; left for the next start.
    std::smatch summary;
    std::string err = sluice->err();
    REQUIRE(std::regex_search(err, summary, std::regex("output es.0: 0 records delivered, (\\d+) retried, 0 dead-lettered")));
    CHECK(std::stoi(summary[1]) >= 5);
    CHECK(std::stoi(summary[1]) % 5 == 0);
    CHECK_THAT(err, Catch::Contains("output es.0: 5 records not delivered within grace"));
    CHECK_FALSE(std::filesystem::exists(dir.file("dead.jsonl")));
  }
}

TEST_CASE("es: behind the trace aggregator every traceId is exactly one document", "[e2e][es][trace_aggregate]") {
  TempDir dir;
  Process gen({"/usr/bin/python3", std::string(SLUICE_SOURCE_DIR) + "/bench/gen_traces.py", "4000", dir.file("app.log"),
               "--seed", "7"});
  REQUIRE(gen.wait(60s) == 0);
  std::smatch m;
  std::string gen_err = gen.err();
  REQUIRE(std::regex_search(gen_err, m, std::regex("requests=(\\d+)")));
  const size_t requests = std::stoul(m[1]);
  // Trouble on the way: a 503, a lost answer after storing, a slow answer.
  write_file(dir.file("control.json"),
             R"({"faults":[{"type":"status","status":503},{"type":"drop_after_store"},{"type":"slow","delay":3}]})");
  EsStandIn es(dir);
  std::string lua = "    - name: lua\n      match: app\n      script: " + std::string(SLUICE_SOURCE_DIR) +
                    "/lua/trace_aggregate.lua\n      call: aggregate\n      timer_call: aggregate_timer\n"
                    "      flush_call: aggregate_flush\n";
  auto sluice = start_sluice(dir, config(dir, es.port(),
                                         "      generate_id: on\n      request_timeout: 1s\n      batch_max_records: 500\n",
                                         lua));
  bool done = wait_until([&] { return es.stored().size() >= requests; }, 120s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  static const std::regex trace_re("\"traceId\":\"([0-9a-f]{32})\"");
  std::map<std::string, int> per_trace;
  for (const auto& line : es.stored()) {
    std::smatch t;
    if (std::regex_search(line, t, trace_re)) ++per_trace[t[1]];
  }
  CHECK(per_trace.size() == requests);
  size_t not_once = 0;
  for (const auto& [trace, n] : per_trace) not_once += n != 1;
  CHECK(not_once == 0);
  CHECK(es.stored().size() == requests);
}

TEST_CASE("es: aws_auth signs every _bulk request with SigV4 for Amazon OpenSearch (es and aoss)", "[e2e][es][aws]") {
  // The stand-in checks each request's signature with its own SigV4
  // (tests/peers/sigv4_check.py), as Amazon OpenSearch Service does.
  TempDir dir;
  std::string log;
  for (int i = 0; i < 10; ++i) log += record(i);
  write_file(dir.file("app.log"), log);
  const std::string secret = "es+e2e/secret/key/for/sigv4", token = "IQoJb3JpZ2luX2VjEsluiceEsToken";
  std::vector<std::string> env = {"AWS_ACCESS_KEY_ID=AKIDESE2E", "AWS_SECRET_ACCESS_KEY=" + secret,
                                  "AWS_SESSION_TOKEN=" + token, "AWS_EC2_METADATA_DISABLED=true"};
  std::string service;
  SECTION("OpenSearch Service") { service = "es"; }
  SECTION("OpenSearch Serverless (X-Amz-Content-Sha256 signed too)") { service = "aoss"; }
  EsStandIn es(dir, {"--aws-sigv4", "AKIDESE2E:" + secret + ":" + token, "--aws-service", service});
  write_file(dir.file("sluice.yaml"),
             config(dir, es.port(), "      aws_auth: on\n      aws_region: eu-west-1\n      aws_service_name: " + service +
                                        "\n      compress: gzip\n"));
  Process sluice({SLUICE_BINARY, "-c", dir.file("sluice.yaml")}, env);
  bool done = wait_until([&] { return es.stored().size() >= 10; }, 60s);
  INFO(sluice.err());
  REQUIRE(done);
  stop_sluice(sluice);
  CHECK(seq_counts(es.stored()) == once_each(0, 10));
  auto requests = es.requests();
  CHECK(count_with(requests, R"("sigv4":"verified")") == requests.size());
  CHECK(sluice.err().find(secret) == std::string::npos);
  CHECK(sluice.err().find(token) == std::string::npos);
}

// Fluent Bit's write_operation update / upsert: each line of a request is a
// partial document for the request's _id (id_key); the stand-in merges them
// as Elasticsearch does. update on a missing document is a permanent error.
TEST_CASE("es: write_operation upsert merges the lines of one id, update refuses a missing one", "[e2e][es]") {
  TempDir dir;
  EsStandIn es(dir);
  std::string log;
  for (int r = 0; r < 3; ++r) {
    std::string id = "req-" + std::to_string(r);
    log += R"({"rid":")" + id + R"(","stage":"started","user":"u)" + std::to_string(r) + "\"}\n";
    log += R"({"rid":")" + id + R"(","stage":"done","status":200})" + "\n";
  }
  write_file(dir.file("app.log"), log);
  auto sluice = start_sluice(dir, config(dir, es.port(), "      write_operation: upsert\n      id_key: rid\n"
                                                         "      index: requests\n"));
  bool done = wait_until([&] { return es.items().size() >= 6; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  // The last stored state of each document: both lines merged.
  std::map<std::string, std::string> last;
  for (const auto& line : es.stored()) {
    auto at = line.find(R"("_id":")");
    REQUIRE(at != std::string::npos);
    last[line.substr(at + 7, 5)] = line;
  }
  REQUIRE(last.size() == 3);
  for (const auto& [id, line] : last) {
    INFO(line);
    CHECK(line.find(R"("stage":"done")") != std::string::npos);
    CHECK(line.find(R"("status":200)") != std::string::npos);
    CHECK(line.find(R"("user":"u)") != std::string::npos);
  }
  CHECK(count_with(es.items(), R"("op":"update")") == 6);

  SECTION("update: a document that doesn't exist is dead-lettered with Elasticsearch's reason") {
    TempDir dir2;
    EsStandIn es2(dir2);
    write_file(dir2.file("app.log"), R"({"rid":"nobody","stage":"done"})" "\n");
    auto s2 = start_sluice(dir2, config(dir2, es2.port(), "      write_operation: update\n      id_key: rid\n"));
    bool dead = wait_until([&] { return read_lines(dir2.file("dead.jsonl")).size() >= 1; }, 60s);
    INFO(s2->err());
    REQUIRE(dead);
    stop_sluice(*s2);
    CHECK_THAT(read_lines(dir2.file("dead.jsonl"))[0],
               Catch::Contains("404 document_missing_exception: [nobody]: document missing"));
    CHECK(es2.stored().empty());
  }
}

}  // namespace SLUICE_UNITY_ID

namespace SLUICE_UNITY_ID {

// Fluent Bit's `opensearch` output, from its classic configuration as
// Amazon OpenSearch Service users write it: the es output under that name.
TEST_CASE("es: Fluent Bit's opensearch output section (AWS_Auth, Suppress_Type_Name) runs as it is",
          "[e2e][es][aws]") {
  TempDir dir;
  std::string log;
  for (int i = 0; i < 10; ++i) log += record(i);
  write_file(dir.file("app.log"), log);
  const std::string secret = "opensearch/e2e/secret";
  std::vector<std::string> env = {"AWS_ACCESS_KEY_ID=AKIDOSE2E", "AWS_SECRET_ACCESS_KEY=" + secret,
                                  "AWS_EC2_METADATA_DISABLED=true"};
  EsStandIn es(dir, {"--aws-sigv4", "AKIDOSE2E:" + secret, "--aws-service", "es"});
  write_file(dir.file("fluent-bit.conf"),
             "[SERVICE]\n    Flush 1\n    Log_Level info\n"
             "[INPUT]\n    Name tail\n    Tag app\n    Path " + dir.file("app.log") + "\n    Read_From_Head On\n"
             "[FILTER]\n    Name parser\n    Match app\n    Key_Name log\n    Parser json\n"
             "[OUTPUT]\n    Name opensearch\n    Match *\n    Host 127.0.0.1\n    Port " + std::to_string(es.port()) +
                 "\n    Index app-logs\n    AWS_Auth On\n    AWS_Region eu-west-1\n    Suppress_Type_Name On\n"
                 "    Trace_Error On\n    Replace_Dots On\n    Retry_Limit False\n");
  Process sluice({SLUICE_BINARY, "-c", dir.file("fluent-bit.conf")}, env);
  bool done = wait_until([&] { return es.stored().size() >= 10; }, 60s);
  INFO(sluice.err());
  REQUIRE(done);
  stop_sluice(sluice);
  CHECK(seq_counts(es.stored()) == once_each(0, 10));
  auto requests = es.requests();
  CHECK(count_with(requests, R"("sigv4":"verified")") == requests.size());
  CHECK(count_with(es.items(), R"("_index":"app-logs")") == 10);
  CHECK(sluice.err().find("output opensearch.0") != std::string::npos);
}

}  // namespace SLUICE_UNITY_ID
