// End to end with the real binary: tail → parser json → google_cloud_logging
// → the Google stand-in (tests/peers/google_standin.js: the OAuth2 token
// endpoint, the metadata server and entries:write in one process). No Google
// service can be reached here, so the peer is a stand-in written from
// Google's references and checked against Google's own clients
// (tests/peers/check_standins.js); it verifies our JWT with jose against the
// service account's public key, accepts only tokens it issued, checks each
// entry, and stores entries deduplicated as Cloud Logging does (same
// insertId and timestamp: one entry).
#include <catch2/catch.hpp>

#include <signal.h>

#include <simdjson.h>

#include <chrono>
#include <map>
#include <regex>
#include <set>

#include "tests/e2e/node_standin.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {


std::string line(int seq, const std::string& extra = "") {
  return R"({"seq":)" + std::to_string(seq) + R"(,"ts":)" + std::to_string(now_seconds()) +
         R"(,"level":"warn","traceId":"4bf92f3577b34da6a3ce929d0e0e4736","msg":"slow request")" + extra + "}\n";
}

std::string config(const TempDir& dir, const NodeStandIn& g, const std::string& keys) {
  return "service:\n  flush: 100ms\n  grace: 10s\n  log_level: info\n"
         "pipeline:\n  inputs:\n    - name: tail\n      tag: app\n      path: " + dir.file("app.log") +
         "\n      read_from_head: on\n"
         "  filters:\n    - name: parser\n      match: app\n      key_name: log\n      parser: epoch\n"
         "  outputs:\n    - name: google_cloud_logging\n      match: '*'\n"
         "      cloud_logging_base_url: " + g.url() + "\n      retry_base: 100ms\n      retry_cap: 500ms\n"
         "      dead_letter_file: " + dir.file("dead.jsonl") + "\n      severity_key: level\n"
         "      trace_key: traceId\n      autoformat_stackdriver_trace: on\n" + keys +
         "parsers:\n  - name: epoch\n    format: json\n    time_key: ts\n    time_format: '%s'\n";
}

std::unique_ptr<Process> start_sluice(const TempDir& dir, const std::string& yaml, std::vector<std::string> env = {}) {
  write_file(dir.file("sluice.yaml"), yaml);
  env.push_back("GOOGLE_APPLICATION_CREDENTIALS=");
  return std::make_unique<Process>(std::vector<std::string>{SLUICE_BINARY, "-c", dir.file("sluice.yaml")}, env);
}




// Log lines whose fields have these values (as JSON text: "\"token\"", "200").
size_t count_where(const std::vector<std::string>& lines, std::map<std::string, std::string> fields) {
  simdjson::dom::parser p;
  size_t n = 0;
  for (const auto& l : lines) {
    simdjson::dom::object o;
    if (p.parse(l).get(o)) continue;
    bool all = true;
    for (const auto& [k, v] : fields) {
      simdjson::dom::element e;
      all = all && !o[k].get(e) && simdjson::minify(e) == v;
    }
    n += all;
  }
  return n;
}

// The generated service account key's fields.
std::string key_field(const std::string& key_file, const char* field) {
  simdjson::dom::parser p;
  return std::string(std::string_view(p.load(key_file)[field]));
}

}  // namespace

TEST_CASE("google: entries written with our JWT's token, through 429, 503 and a revoked token", "[e2e][google]") {
  TempDir dir;
  NodeStandIn g(dir, "google_standin.js", {"--generate-key-file", dir.file("sa.json")});
  const std::string project = key_field(dir.file("sa.json"), "project_id");
  g.control(R"({"faults":[{"type":"status","status":429},{"type":"status","status":401},)"
            R"({"type":"status","status":503}]})");
  std::string log;
  for (int i = 0; i < 50; ++i) log += line(i);
  write_file(dir.file("app.log"), log);
  auto sluice = start_sluice(dir, config(dir, g, "      google_service_credentials: " + dir.file("sa.json") +
                                                     "\n      resource: generic_node\n      location: europe-west1\n"
                                                     "      namespace: shop\n      node_id: node-1\n"));
  bool done = wait_until([&] { return g.store().size() >= 50; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);

  auto stored = g.store();
  CHECK(seq_counts(stored) == once_each(0, 50));
  simdjson::dom::parser p;
  simdjson::dom::element first = p.parse(stored[0]);
  CHECK(std::string_view(first["logName"]) == "projects/" + project + "/logs/app");
  CHECK(std::string_view(first["severity"]) == "WARNING");
  CHECK(std::string_view(first["trace"]) == "projects/" + project + "/traces/4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(std::string_view(first["resource"]["type"]) == "generic_node");
  CHECK(std::string_view(first["resource"]["labels"]["node_id"]) == "node-1");
  CHECK(std::string_view(first["insertId"]).size() == 32);
  auto requests = g.log();
  // Our JWT was accepted (iss, aud = the key's token_uri, scope), and after
  // the 401 a second token was fetched rather than the revoked one reused.
  CHECK(count_where(requests, {{"endpoint", R"("token")"}, {"status", "200"}}) == 2);
  CHECK(count_with(requests, R"("scope":"https://www.googleapis.com/auth/logging.write")") == 2);
  CHECK(count_where(requests, {{"endpoint", R"("write")"}, {"status", "401"}}) == 1);
  CHECK(count_with(requests, R"("result":"error")") == 0);
  CHECK_THAT(sluice->err(), Catch::Contains("50 records delivered") && Catch::Contains(", 0 dead-lettered"));
  // Neither the key nor a token appears in the log.
  std::string key = key_field(dir.file("sa.json"), "private_key");
  std::string err = sluice->err();
  CHECK(err.find(key.substr(40, 64)) == std::string::npos);
  CHECK(err.find("ya29") == std::string::npos);
  CHECK(err.find("Bearer") == std::string::npos);
}

TEST_CASE("google: an answer lost after storing is resent and Cloud Logging keeps one copy (insertId)",
          "[e2e][google]") {
  TempDir dir;
  NodeStandIn g(dir, "google_standin.js", {"--generate-key-file", dir.file("sa.json")});
  g.control(R"({"faults":[{"type":"drop_after_store"}]})");
  std::string log;
  for (int i = 0; i < 30; ++i) log += line(i);
  write_file(dir.file("app.log"), log);
  auto sluice = start_sluice(dir, config(dir, g, "      google_service_credentials: " + dir.file("sa.json") + "\n"));
  bool done = wait_until([&] {
    auto l = g.log();
    return g.store().size() >= 30 && count_with(l, R"("result":"duplicate")") > 0;
  }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  CHECK(seq_counts(g.store()) == once_each(0, 30));
  // The resent batch met its own entries: every one of them a duplicate.
  auto requests = g.log();
  size_t duplicates = count_with(requests, R"("result":"duplicate")");
  CHECK(duplicates == count_with(requests, R"("entry":)") - 30);
}

TEST_CASE("google: entries refused one by one are dead-lettered, the rest written (partialSuccess)", "[e2e][google]") {
  TempDir dir;
  NodeStandIn g(dir, "google_standin.js", {"--generate-key-file", dir.file("sa.json")});
  std::string log;
  for (int i = 0; i < 10; ++i) {
    std::string extra;
    if (i == 3) extra = R"(,"standin_fail":"3")";     // INVALID_ARGUMENT: for good
    if (i == 6) extra = R"(,"standin_fail":"14x1")";  // UNAVAILABLE once: retried
    log += line(i, extra);
  }
  write_file(dir.file("app.log"), log);
  auto sluice = start_sluice(dir, config(dir, g, "      google_service_credentials: " + dir.file("sa.json") + "\n"));
  bool done = wait_until([&] { return g.store().size() >= 9 && read_lines(dir.file("dead.jsonl")).size() >= 1; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  std::map<int, int> expected = once_each(0, 10);
  expected.erase(3);
  CHECK(seq_counts(g.store()) == expected);
  auto dead = read_lines(dir.file("dead.jsonl"));
  CHECK(seq_counts(dead) == std::map<int, int>{{3, 1}});
  CHECK(count_with(dead, "Cloud Logging refused the entry (code 3 INVALID_ARGUMENT)") == 1);
  // Only the entry that failed with UNAVAILABLE went again.
  auto requests = g.log();
  CHECK(count_where(requests, {{"endpoint", R"("write")"}}) == 2);
}

TEST_CASE("google: on GCE/GKE the metadata server gives the token and the project", "[e2e][google]") {
  TempDir dir;
  NodeStandIn g(dir, "google_standin.js", {"--generate-key-file", dir.file("sa.json"), "--project", "gke-project"});
  std::string log;
  for (int i = 0; i < 5; ++i) log += line(i);
  write_file(dir.file("app.log"), log);
  auto sluice = start_sluice(dir, config(dir, g, "      metadata_server: " + g.url() + "\n"));
  bool done = wait_until([&] { return g.store().size() >= 5; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  CHECK(count_with(g.store(), R"("logName":"projects/gke-project/logs/app")") == 5);
  auto requests = g.log();
  CHECK(count_with(requests, R"("path":"/computeMetadata/v1/project/project-id")") >= 1);
  CHECK(count_with(requests, "/computeMetadata/v1/instance/service-accounts/default/token") >= 1);
  CHECK(count_where(requests, {{"endpoint", R"("token")"}}) == 0);  // no JWT grant: the metadata server's token
}

TEST_CASE("google: a service account's secret given in the config is printed nowhere", "[e2e][google]") {
  // Fluent Bit's service_account_email + service_account_secret: the JWT's
  // audience is Google's token URL, posted to the stand-in's (token_endpoint).
  TempDir dir;
  NodeStandIn g(dir, "google_standin.js",
                {"--generate-key-file", dir.file("sa.json"), "--accept-audience", "https://oauth2.googleapis.com/token"});
  std::string key = key_field(dir.file("sa.json"), "private_key");
  std::string email = key_field(dir.file("sa.json"), "client_email");
  std::string escaped;  // the PEM as one YAML double-quoted line
  for (char c : key) escaped += c == '\n' ? std::string("\\n") : std::string(1, c);
  write_file(dir.file("app.log"), line(0));
  std::string yaml = config(dir, g, "      service_account_email: " + email + "\n      service_account_secret: \"" +
                                        escaped + "\"\n      token_endpoint: " + g.url() + "/token\n"
                                        "      export_to_project_id: " + key_field(dir.file("sa.json"), "project_id") + "\n");
  write_file(dir.file("sluice.yaml"), yaml);
  Process dry({SLUICE_BINARY, "--dry-run", "-c", dir.file("sluice.yaml")});
  REQUIRE(dry.wait(30s) == 0);
  auto sluice = start_sluice(dir, yaml);
  bool done = wait_until([&] { return g.store().size() >= 1; }, 60s);
  INFO(sluice->err());
  REQUIRE(done);
  stop_sluice(*sluice);
  const std::string secret_part = key.substr(40, 64);
  for (const std::string& text : {dry.out() + dry.err(), sluice->err() + sluice->out()}) CHECK(text.find(secret_part) == std::string::npos);
}

}  // namespace SLUICE_UNITY_ID
