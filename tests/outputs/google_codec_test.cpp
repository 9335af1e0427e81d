// The Google Cloud Logging codec on the HTTP sink against a scripted
// transport (no network): the LogEntry each record becomes (golden), the
// special fields lifted out of jsonPayload, resources, stable insertIds, the
// request limits, and answers read per entry (partialSuccess).
#include <catch2/catch.hpp>

#include <simdjson.h>

#include <deque>
#include <functional>

#include "agent/config/yaml_loader.hpp"
#include "agent/parse/json_format.hpp"
#include "outputs/google/google_codec.hpp"
#include "outputs/google/google_settings.hpp"
#include "tests/outputs/sink_harness.hpp"
#include "tests/support/output_context.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using sluice::test::outcomes_of;
using namespace sluice::google;

namespace {

constexpr int64_t kTime = 1'795'256'430'123'456'789;  // 2026-11-21T10:20:30.123456789Z

Settings settings_of(const std::string& yaml) {
  return read_settings(config::load_component(schema("google_cloud_logging"), "output", yaml.empty() ? "{}" : yaml),
                       BuildContext{});
}

std::string config_error(const std::string& yaml) {
  try {
    settings_of(yaml);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

SharedChunk chunk_of(const std::string& tag, const std::vector<std::string>& records) {
  auto c = std::make_shared<Chunk>(tag);
  auto json = make_json_format();
  for (const auto& text : records) {
    Value v;
    REQUIRE(json->parse(text, c->arena, v));
    c->events.push_back({kTime, v});
  }
  return c;
}

Batch batch_of(SharedChunk c) {
  Batch b;
  b.parts.push_back({std::move(c), {}});
  return b;
}

struct Harness {
  explicit Harness(const std::string& yaml = "", std::string project = "my-proj")
      : ctx("google_cloud_logging.0"),
        sink(
            [this](http::Request req, http::ResponseHandler done) {
              requests.push_back(req);
              http::Response r;
              r.status = 200;
              r.body = "{}";
              if (!script.empty()) {
                r = script.front()(req);
                script.pop_front();
              }
              done(r);
            },
            "logging.googleapis.com", std::make_unique<Codec>(settings_of(yaml), project)) {
    sink.start(ctx);
  }
  FlushResult flush(const Batch& b) {
    std::optional<FlushResult> result;
    sink.flush(b, [&](FlushResult r) { result = std::move(r); });
    REQUIRE(result);
    return std::move(*result);
  }
  // The entries of request i, each as compact JSON.
  std::vector<std::string> entries(size_t i = 0) {
    std::vector<std::string> out;
    simdjson::dom::parser p;
    simdjson::dom::element doc = p.parse(requests.at(i).body);
    for (auto e : simdjson::dom::array(doc["entries"])) out.push_back(simdjson::minify(e));
    return out;
  }
  sluice::test::FakeOutputContext ctx;
  std::vector<http::Request> requests;
  std::deque<std::function<http::Response(const http::Request&)>> script;
  http::HttpSink sink;
};

http::Response google_error(int status, const std::string& name, const std::string& message,
                            const std::string& details = "") {
  http::Response r;
  r.status = status;
  r.body = R"({"error":{"code":)" + std::to_string(status) + R"(,"message":")" + message + R"(","status":")" + name +
           "\"" + (details.empty() ? "" : ",\"details\":[" + details + "]") + "}}";
  return r;
}


constexpr auto D = Outcome::Delivered;
constexpr auto R = Outcome::Retry;
constexpr auto P = Outcome::Permanent;

}  // namespace

TEST_CASE("google: a record becomes a LogEntry, special keys lifted out of jsonPayload", "[google]") {
  Harness h("labels: [env=prod]\nseverity_key: level\ntrace_key: traceId\nautoformat_stackdriver_trace: on\n");
  auto c = chunk_of("app.web", {R"({"level":"warn","traceId":"4bf92f3577b34da6a3ce929d0e0e4736",)"
                                R"("logging.googleapis.com/spanId":"00f067aa0ba902b7",)"
                                R"("logging.googleapis.com/labels":{"team":"core","n":1},)"
                                R"("logging.googleapis.com/http_request":{"requestMethod":"GET","status":200},)"
                                R"("message":"slow","latencyMs":912})"});
  FlushResult r = h.flush(batch_of(c));
  CHECK(r.outcome == D);
  REQUIRE(h.requests.size() == 1);
  CHECK(h.requests[0].target == "/v2/entries:write");
  simdjson::dom::parser p;
  simdjson::dom::element doc = p.parse(h.requests[0].body);
  CHECK(simdjson::minify(doc["resource"]) == R"({"type":"global","labels":{"project_id":"my-proj"}})");
  CHECK(simdjson::minify(doc["labels"]) == R"({"env":"prod"})");
  CHECK(bool(doc["partialSuccess"]));
  auto entries = h.entries();
  REQUIRE(entries.size() == 1);
  std::string id = std::string(std::string_view(p.parse(entries[0])["insertId"]));
  CHECK(entries[0] ==
        R"({"logName":"projects/my-proj/logs/app.web","timestamp":"2026-11-21T10:20:30.123456789Z",)"
        R"("severity":"WARNING","insertId":")" + id + R"(","labels":{"team":"core","n":"1"},)"
        R"("trace":"projects/my-proj/traces/4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7",)"
        R"("httpRequest":{"requestMethod":"GET","status":200},"jsonPayload":{"message":"slow","latencyMs":912}})");
  CHECK(id.size() == 32);
}

TEST_CASE("google: insertIds are stable across retries, so Cloud Logging keeps one copy", "[google]") {
  Harness h;
  auto c = chunk_of("app", {R"({"m":"a"})", R"({"m":"b"})", R"({"m":"a","logging.googleapis.com/insertId":"mine"})"});
  h.flush(batch_of(c));
  h.flush(batch_of(c));
  auto first = h.entries(0), again = h.entries(1);
  CHECK(first == again);
  simdjson::dom::parser p;
  auto id = [&](const std::string& e) { return std::string(std::string_view(p.parse(e)["insertId"])); };
  CHECK(id(first[0]) != id(first[1]));
  CHECK(id(first[2]) == "mine");
}

TEST_CASE("google: severities, log names, textPayload", "[google]") {
  auto parse = [](const std::string& text) {
    static auto json = make_json_format();
    static Arena arena;
    Value v;
    REQUIRE(json->parse("{\"v\":" + text + "}", arena, v));
    return severity_of(*v.find("v"));
  };
  CHECK(parse(R"("ERROR")") == "ERROR");
  CHECK(parse(R"("err")") == "ERROR");
  CHECK(parse(R"("Fatal")") == "CRITICAL");
  CHECK(parse(R"("warn")") == "WARNING");
  CHECK(parse("300") == "NOTICE");
  CHECK(parse("3") == "ERROR");  // syslog
  CHECK(parse(R"("verbose")").empty());
  CHECK(log_id("kube/var:log") == "kube%2Fvar_log");

  Harness h("severity_key: level\nlog_name_key: log\ntext_payload_key: message\n");
  auto c = chunk_of("t", {R"({"message":"just text"})", R"({"level":"verbose","message":"kept","log":"custom/name"})"});
  h.flush(batch_of(c));
  auto entries = h.entries();
  CHECK(entries[0].find(R"("textPayload":"just text")") != std::string::npos);
  CHECK(entries[1].find(R"("logName":"projects/my-proj/logs/custom%2Fname")") != std::string::npos);
  // An unknown severity stays in the payload, and no severity is sent.
  CHECK(entries[1].find(R"("jsonPayload":{"level":"verbose","message":"kept"})") != std::string::npos);
  CHECK(entries[1].find("\"severity\"") == std::string::npos);
}

TEST_CASE("google: k8s_container resources from the record or the tag", "[google]") {
  Harness h("resource: k8s_container\nk8s_cluster_name: c1\nk8s_cluster_location: europe-west1\n"
            "resource_labels:\n  - team=$labels['team']\n");
  auto c = chunk_of("kube.var.log.containers.web-7d9f_shop_nginx-" + std::string(64, 'a') + ".log",
                    {R"({"log":"from the tag"})",
                     R"({"kubernetes":{"namespace_name":"ns","pod_name":"p1","container_name":"c"},"labels":{"team":"t"}})",
                     R"({"logging.googleapis.com/local_resource_id":"k8s_container.ns2.p2.c2"})"});
  h.flush(batch_of(c));
  auto entries = h.entries();
  simdjson::dom::parser p;
  auto resource = [&](const std::string& e) { return std::string(simdjson::minify(p.parse(e)["resource"])); };
  CHECK(resource(entries[0]) ==
        R"({"type":"k8s_container","labels":{"project_id":"my-proj","location":"europe-west1","cluster_name":"c1",)"
        R"("namespace_name":"shop","pod_name":"web-7d9f","container_name":"nginx"}})");
  CHECK(resource(entries[1]).find(R"("namespace_name":"ns","pod_name":"p1","container_name":"c","team":"t"})") !=
        std::string::npos);
  CHECK(resource(entries[2]).find(R"("namespace_name":"ns2","pod_name":"p2","container_name":"c2"})") !=
        std::string::npos);
  CHECK(entries[2].find("local_resource_id") == std::string::npos);  // lifted out of the payload
}

TEST_CASE("google: an entry over 256 KiB is dead-lettered, requests hold at most 1,000 entries", "[google]") {
  Harness h;
  std::vector<std::string> records;
  for (int i = 0; i < 1500; ++i) records.push_back(R"({"i":)" + std::to_string(i) + "}");
  records.push_back(R"({"big":")" + std::string(300 * 1024, 'x') + "\"}");
  FlushResult r = h.flush(batch_of(chunk_of("app", records)));
  REQUIRE(h.requests.size() == 2);
  CHECK(h.entries(0).size() == 1000);
  CHECK(h.entries(1).size() == 500);
  REQUIRE(r.per_record.size() == 1501);
  CHECK(r.per_record[1500].outcome == P);
  CHECK(r.per_record[1500].reason.find("above Cloud Logging's 256 KiB per entry") != std::string::npos);
  CHECK(h.ctx.counter("sluice_output_google_entries_too_large_total") == 1);
}

TEST_CASE("google: answers sorted per entry, retried, re-authenticated or refused", "[google]") {
  auto c = chunk_of("app", {R"({"i":0})", R"({"i":1})", R"({"i":2})"});
  SECTION("partialSuccess: the listed entries failed, the others were written") {
    Harness h;
    h.script.push_back([](const http::Request&) {
      return google_error(400, "INVALID_ARGUMENT", "Log entry with timestamp 2026-11-23 is invalid",
                          R"({"@type":"type.googleapis.com/google.logging.v2.WriteLogEntriesPartialErrors",)"
                          R"("logEntryErrors":{"1":{"code":3,"message":"Timestamp is over a day in the future"},)"
                          R"("2":{"code":14,"message":"try again"}}})");
    });
    FlushResult r = h.flush(batch_of(c));
    CHECK(outcomes_of(r, 3) == std::vector<Outcome>{D, P, R});
    CHECK(r.per_record[1].reason ==
          "Cloud Logging refused the entry (code 3 INVALID_ARGUMENT): Timestamp is over a day in the future");
  }
  SECTION("401: a new token, the records retried") {
    Harness h;
    h.script.push_back([](const http::Request&) { return google_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."); });
    FlushResult r = h.flush(batch_of(c));
    CHECK(r.outcome == R);
    CHECK(r.reason == "Cloud Logging answered HTTP 401 UNAUTHENTICATED: Request had invalid authentication credentials.");
  }
  SECTION("429 and 503 retried, 403 without details refused") {
    Harness h;
    h.script.push_back([](const http::Request&) { return google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded"); });
    CHECK(h.flush(batch_of(c)).outcome == R);
    h.script.push_back([](const http::Request&) { return google_error(503, "UNAVAILABLE", "The service is unavailable."); });
    CHECK(h.flush(batch_of(c)).outcome == R);
    h.script.push_back([](const http::Request&) { return google_error(403, "PERMISSION_DENIED", "Permission 'logging.logEntries.create' denied"); });
    FlushResult r = h.flush(batch_of(c));
    CHECK(r.outcome == P);
    CHECK(r.reason.find("PERMISSION_DENIED") != std::string::npos);
  }
  SECTION("no project yet: retried, nothing sent") {
    Harness h("", "");
    FlushResult r = h.flush(batch_of(c));
    CHECK(r.outcome == R);
    CHECK(r.reason.find("project is not known yet") != std::string::npos);
    CHECK(h.requests.empty());
  }
}

TEST_CASE("google config: keys and errors", "[google]") {
  Settings s = settings_of("cloud_logging_base_url: http://127.0.0.1:9099/api\nexport_to_project_id: p\ncompress: gzip");
  CHECK(s.http.client.host == "127.0.0.1");
  CHECK(s.http.client.port == 9099);
  CHECK_FALSE(s.http.client.tls.enabled);
  CHECK(s.path_prefix == "/api");
  CHECK(s.project_id == "p");
  CHECK(s.http.gzip);
  CHECK(settings_of("").http.client.host == "logging.googleapis.com");
  using Catch::Contains;
  CHECK_THAT(config_error("resource: generic_node\nlocation: x\nnamespace: y"),
             Contains("key 'node_id': is required with resource generic_node"));
  CHECK_THAT(config_error("resource: k8s_container"), Contains("key 'k8s_cluster_name': is required with resource k8s_container"));
  CHECK_THAT(config_error("service_account_email: a@b"),
             Contains("key 'service_account_email': needs service_account_secret (the service account's private key) too"));
  CHECK_THAT(config_error("labels: [novalue]"), Contains("key 'labels': expects name=value entries, got 'novalue'"));
  CHECK_THAT(config_error("resource: aws_ec2"), Contains("key 'resource' expects one of"));
}

}  // namespace SLUICE_UNITY_ID
