// The JSON-array codecs of the azure_logs_ingestion, ibm_cloud_logs, logdna
// and oci_logging outputs on the HTTP sink, against a scripted transport (no
// network): the bodies (golden), requests cut under each API's limits, a
// record too large refused without being sent, a 413 sent again in halves,
// and each backend's refusals sorted.
#include <catch2/catch.hpp>

#include <simdjson.h>

#include "agent/config/yaml_loader.hpp"
#include "agent/zlib_codec.hpp"
#include "outputs/azure/azure_codec.hpp"
#include "outputs/ibm/ibm_codec.hpp"
#include "outputs/logdna/logdna_codec.hpp"
#include "outputs/logdna/logdna_output.hpp"
#include "outputs/oci/oci_codec.hpp"
#include "tests/outputs/sink_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

constexpr int64_t kTime = 1'795'256'430'123'456'789;  // 2026-11-21T10:20:30.123456789Z
constexpr auto D = Outcome::Delivered;
constexpr auto R = Outcome::Retry;
constexpr auto P = Outcome::Permanent;

template <class Read>
auto settings(const config::PluginSchema& schema, const std::string& yaml, Read read) {
  return read(config::load_component(schema, "output", yaml), BuildContext{});
}

template <class Read>
std::string config_error(const config::PluginSchema& schema, const std::string& yaml, Read read) {
  try {
    settings(schema, yaml, read);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

const std::string kAzure = "dce_url: https://dce-1.westeurope-1.ingest.monitor.azure.com\n"
                           "dcr_id: dcr-0123456789abcdef0123456789abcdef\ntable_name: App_CL\n";

SinkHarness azure_harness(const std::string& extra = "") {
  return SinkHarness(std::make_unique<azure::Codec>(settings(azure::schema(), kAzure + extra, azure::read_settings)),
                     "azure_logs_ingestion.0");
}

std::vector<std::pair<int64_t, std::string>> records(int n, size_t pad = 10) {
  std::vector<std::pair<int64_t, std::string>> v;
  for (int i = 0; i < n; ++i) v.emplace_back(kTime + i, R"({"i":)" + std::to_string(i) + R"(,"pad":")" + std::string(pad, 'x') + "\"}");
  return v;
}

}  // namespace

TEST_CASE("azure: a JSON array per call to the DCR's stream, TimeGenerated from the record's time", "[azure]") {
  auto h = azure_harness("time_generated: on\ntime_key: TimeGenerated\ncompress: gzip\n");
  FlushResult r = h.flush(batch_of("app", {{kTime, R"({"msg":"hello","n":1})"}, {kTime, R"({"TimeGenerated":"own"})"}}));
  CHECK(r.outcome == D);
  REQUIRE(h.requests.size() == 1);
  const http::Request& req = h.requests[0];
  CHECK(req.method == "POST");
  CHECK(req.target ==
        "/dataCollectionRules/dcr-0123456789abcdef0123456789abcdef/streams/Custom-App_CL?api-version=2023-01-01");
  CHECK(req.content_encoding == "gzip");
  CHECK(*header_of(req, "Content-Type") == "application/json");
  std::string body;
  REQUIRE_FALSE(zlib::inflate(req.body, zlib::Wrapper::Gzip, 1 << 20, body));
  CHECK(body == R"([{"TimeGenerated":"2026-11-21T10:20:30.123456789Z","msg":"hello","n":1},{"TimeGenerated":"own"}])");
}

TEST_CASE("azure: calls cut under 1 MB before compression, a 413 halves the call, refusals sorted", "[azure]") {
  auto h = azure_harness();
  SECTION("3,000 records of ~700 bytes: three calls, none over 1 MB") {
    h.flush(batch_of("app", records(3000, 700)));
    REQUIRE(h.requests.size() == 3);
    size_t items = 0;
    for (const auto& req : h.requests) {
      CHECK(req.body.size() <= azure::kMaxCallBytes);
      simdjson::dom::parser p;
      items += simdjson::dom::array(p.parse(req.body)).size();
    }
    CHECK(items == 3000);
  }
  SECTION("a record over 1 MB is refused, the others go") {
    auto b = batch_of("app", {{kTime, R"({"a":1})"}, {kTime, R"({"big":")" + std::string(1'100'000, 'x') + "\"}"}});
    FlushResult r = h.flush(b);
    CHECK(outcomes_of(r, 2) == std::vector<Outcome>{D, P});
    CHECK(r.per_record[1].reason.find("above Azure Monitor's") != std::string::npos);
  }
  SECTION("413: the call again as two halves") {
    h.answer(413, R"({"error":{"code":"ContentLengthLimitExceeded","message":"Maximum request body size exceeded"}})");
    FlushResult r = h.flush(batch_of("app", records(4)));
    CHECK(r.outcome == D);
    REQUIRE(h.requests.size() == 3);
    simdjson::dom::parser p;
    CHECK(simdjson::dom::array(p.parse(h.requests[1].body)).size() == 2);
    CHECK(simdjson::dom::array(p.parse(h.requests[2].body)).size() == 2);
  }
  SECTION("401 retried with a new token, 429 with its Retry-After, 403 and 404 refused with Azure's code") {
    h.answer(401, R"({"error":{"code":"InvalidToken","message":"Token expired"}})");
    CHECK(h.flush(batch_of("app", records(1))).outcome == R);
    h.answer(429, "", 7s);
    FlushResult busy = h.flush(batch_of("app", records(1)));
    CHECK(busy.outcome == R);
    CHECK(busy.retry_after == 7s);
    h.answer(403, R"({"error":{"code":"OperationFailed","message":"The authentication token provided does not have access to ingest data for the data collection rule"}})");
    FlushResult denied = h.flush(batch_of("app", records(1)));
    CHECK(denied.outcome == P);
    CHECK(denied.reason == "Azure Monitor answered HTTP 403 OperationFailed: The authentication token provided does not "
                           "have access to ingest data for the data collection rule");
    h.answer(404, R"({"error":{"code":"NotFound","message":"Data collection rule not found"}})");
    CHECK(h.flush(batch_of("app", records(1))).outcome == P);
  }
}

TEST_CASE("azure config: endpoint, DCR, stream and the retired azure output", "[azure]") {
  auto cfg_error = [](const std::string& yaml) { return config_error(azure::schema(), yaml, azure::read_settings); };
  CHECK_THAT(cfg_error("dce_url: https://x.ingest.monitor.azure.com\ndcr_id: dcr-zz\ntable_name: T"),
             Catch::Contains("key 'dcr_id': expects the rule's immutable id, dcr-<32 hex digits>, got 'dcr-zz'"));
  CHECK_THAT(cfg_error("dce_url: https://x.ingest.monitor.azure.com\ndcr_id: dcr-0123456789abcdef0123456789abcdef"),
             Catch::Contains("key 'table_name': is required (or stream_name)"));
  auto s = settings(azure::schema(), kAzure + "stream_name: Microsoft-Syslog\napi_version: 2021-11-01-preview\n",
                    azure::read_settings);
  CHECK(s.target == "/dataCollectionRules/dcr-0123456789abcdef0123456789abcdef/streams/Microsoft-Syslog"
                    "?api-version=2021-11-01-preview");
  CHECK(s.http.client.host == "dce-1.westeurope-1.ingest.monitor.azure.com");
  CHECK(s.http.client.tls.enabled);
  // Fluent Bit's azure_logs_ingestion takes compress as a boolean.
  CHECK(settings(azure::schema(), kAzure + "compress: on\n", azure::read_settings).http.gzip);
  CHECK(settings(azure::schema(), kAzure + "compress: True\n", azure::read_settings).http.gzip);
  CHECK_FALSE(settings(azure::schema(), kAzure + "compress: off\n", azure::read_settings).http.gzip);
  CHECK(settings(azure::schema(), kAzure + "compress: gzip\n", azure::read_settings).http.gzip);
  // Fluent Bit's auth_url: https, or http to the loopback (a stand-in) only.
  CHECK(settings(azure::schema(), kAzure + "auth_url: https://login.example.net/t/oauth2/v2.0/token\n",
                 azure::read_settings)
            .credentials.token_url == "https://login.example.net/t/oauth2/v2.0/token");
  CHECK(settings(azure::schema(), kAzure + "auth_url: http://localhost:8080/token\n", azure::read_settings)
            .credentials.token_url == "http://localhost:8080/token");
  CHECK_THAT(cfg_error(kAzure + "auth_url: http://10.0.0.5/token\n"),
             Catch::Contains("key 'auth_url': expects an https:// URL, or http:// to localhost or 127.0.0.1, got "
                             "'http://10.0.0.5/token'"));
  CHECK_THAT(cfg_error(kAzure + "auth_url: login.example.net\n"), Catch::Contains("key 'auth_url': expects"));
}

TEST_CASE("ibm cloud logs: entries with application, subsystem, severity and the record as text", "[ibm]") {
  auto s = settings(ibm::schema(),
                    "endpoint: https://abc.ingress.eu-de.logs.cloud.ibm.com\napi_key: k\n"
                    "application_name: $kubernetes['namespace_name']\nsubsystem_name: api-$TAG[1]\ncomputer_name: n1\n",
                    ibm::read_settings);
  SinkHarness h(std::make_unique<ibm::Codec>(std::move(s)), "ibm_cloud_logs.0");
  h.flush(batch_of("kube.web", {{kTime, R"({"level":"WARN","msg":"slow","kubernetes":{"namespace_name":"shop"}})"},
                                {kTime, R"({"level":7,"msg":"x"})"}, {kTime, R"({"msg":"no level"})"}}));
  REQUIRE(h.requests.size() == 1);
  CHECK(h.requests[0].target == "/logs/v1/singles");
  CHECK(h.requests[0].body ==
        R"([{"applicationName":"shop","subsystemName":"api-web","computerName":"n1","timestamp":1795256430123.456,)"
        R"("severity":4,"text":{"level":"WARN","msg":"slow","kubernetes":{"namespace_name":"shop"}}},)"
        R"({"applicationName":"sluice","subsystemName":"api-web","computerName":"n1","timestamp":1795256430123.456,)"
        R"("severity":1,"text":{"level":7,"msg":"x"}},)"
        R"({"applicationName":"sluice","subsystemName":"api-web","computerName":"n1","timestamp":1795256430123.456,)"
        R"("severity":3,"text":{"msg":"no level"}}])");
  h.answer(401);
  CHECK(h.flush(batch_of("kube.web", records(1))).outcome == R);
  h.answer(403, "missing role");
  FlushResult r = h.flush(batch_of("kube.web", records(1)));
  CHECK(r.outcome == P);
  CHECK(r.reason == "IBM Cloud Logs answered HTTP 403 Forbidden: missing role");
  CHECK_THAT(config_error(ibm::schema(), "api_key: k", ibm::read_settings),
             Catch::Contains("key 'endpoint': is required (or instance_id and region)"));
  auto regional = settings(ibm::schema(), "instance_id: 1234-abcd\nregion: eu-de\nprivate_endpoint: on\napi_key: k\n",
                           ibm::read_settings);
  CHECK(regional.http.client.host == "1234-abcd.ingress.private.eu-de.logs.cloud.ibm.com");
  CHECK(regional.iam_endpoint == "https://private.iam.cloud.ibm.com");
}

TEST_CASE("logdna: Fluent Bit's lines, query and basic auth, Mezmo's answers", "[logdna]") {
  auto read = [](const std::string& yaml) {
    return settings(logdna_output_schema(), yaml, logdna::read_settings);
  };
  auto s = read("api_key: ingest-key\nendpoint: http://127.0.0.1:1/logs/ingest\nhostname: web-1\n"
                "tags: [prod, eu west]\nfile: /var/log/app.log\n");
  CHECK(s.target_prefix == "/logs/ingest?hostname=web-1&mac=&ip=&tags=prod,eu%20west");
  SinkHarness h(std::make_unique<logdna::Codec>(std::move(s)), "logdna.0");
  h.flush(batch_of("app", {{kTime, R"({"level":"warn","app":"shop","msg":"slow"})"}, {kTime, R"({"msg":"plain"})"}}));
  REQUIRE(h.requests.size() == 1);
  const http::Request& req = h.requests[0];
  CHECK(req.target.rfind("/logs/ingest?hostname=web-1&mac=&ip=&tags=prod,eu%20west&now=", 0) == 0);
  CHECK(*header_of(req, "Authorization") == http::basic_auth("ingest-key", ""));
  CHECK(req.body == R"({"lines":[)"
                    R"({"level":"warn","file":"/var/log/app.log","app":"shop","timestamp":1795256430123,)"
                    R"("line":"{\"level\":\"warn\",\"app\":\"shop\",\"msg\":\"slow\"}"},)"
                    R"({"file":"/var/log/app.log","app":"sluice","timestamp":1795256430123,"line":"{\"msg\":\"plain\"}"}]})");
  h.answer(403, "bad key");
  CHECK(h.flush(batch_of("app", records(1))).outcome == P);  // a static key: no point asking again
  h.answer(503);
  CHECK(h.flush(batch_of("app", records(1))).outcome == R);
  // 207: each line's own status (what @logdna/logger reads): 200 delivered,
  // 400 refused for good, 503 sent again.
  h.answer(207, R"({"status":[200,400,503],"batchID":"b:1"})");
  FlushResult partial = h.flush(batch_of("app", records(3)));
  CHECK(outcomes_of(partial, 3) == std::vector<Outcome>{D, P, R});
  // A 207 that doesn't say which line failed: all sent again, none lost.
  h.answer(207, R"({"status":"ok"})");
  CHECK(outcomes_of(h.flush(batch_of("app", records(2))), 2) == std::vector<Outcome>{R, R});
  h.answer(207, R"({"status":[200]})");
  CHECK(outcomes_of(h.flush(batch_of("app", records(2))), 2) == std::vector<Outcome>{R, R});
  auto header = read("api_key: ingest-key\nauth_header: apikey\n");
  REQUIRE(header.http.headers.size() == 1);
  CHECK(header.http.headers[0].name == "apikey");
  CHECK(header.http.headers[0].value == "ingest-key");
  CHECK_THAT(config_error(logdna_output_schema(), "logdna_port: 0\napi_key: k", logdna::read_settings),
             Catch::Contains("key 'logdna_port': expects a port from 1 to 65535"));
  CHECK_THAT(config_error(logdna_output_schema(), "hostname: h", logdna::read_settings),
             Catch::Contains("missing required key 'api_key'"));
}

TEST_CASE("oci logging: one batch per request, entries with a stable UUID, the record as data", "[oci]") {
  auto read = [] {
    return settings(oci::schema(),
                    "log_id: ocid1.log.oc1.iad.amaaaaaa\nregion: us-ashburn-1\nsource: web-1\ntype: com.example.app\n"
                    "subject: checkout\n",
                    oci::read_settings);
  };
  auto s = read();
  CHECK(s.http.client.host == "ingestion.logging.us-ashburn-1.oci.oraclecloud.com");
  CHECK(s.target == "/20200831/logs/ocid1.log.oc1.iad.amaaaaaa/actions/push");
  SinkHarness h(std::make_unique<oci::Codec>(std::move(s)), "oci_logging.0");
  auto b = batch_of("app", {{kTime, R"({"msg":"a"})"}, {kTime, R"({"msg":"b"})"}});
  h.flush(b);
  h.flush(b);
  REQUIRE(h.requests.size() == 2);
  simdjson::dom::parser p;
  simdjson::dom::element doc = p.parse(h.requests[0].body);
  CHECK(std::string_view(doc["specversion"]) == "1.0");
  simdjson::dom::element batch = simdjson::dom::array(doc["logEntryBatches"]).at(0);
  CHECK(std::string_view(batch["source"]) == "web-1");
  CHECK(std::string_view(batch["type"]) == "com.example.app");
  CHECK(std::string_view(batch["subject"]) == "checkout");
  auto entries = simdjson::dom::array(batch["entries"]);
  REQUIRE(entries.size() == 2);
  simdjson::dom::element e0 = entries.at(0);
  CHECK(std::string_view(e0["data"]) == R"({"msg":"a"})");
  CHECK(std::string_view(e0["time"]) == "2026-11-21T10:20:30.123456789Z");
  std::string id{std::string_view(e0["id"])};
  CHECK(id.size() == 36);
  CHECK(id[14] == '8');  // UUID version 8
  // The same record in the second request: the same id (a retry carries it again).
  simdjson::dom::parser p2;
  simdjson::dom::element again = simdjson::dom::array(simdjson::dom::array(p2.parse(h.requests[1].body)["logEntryBatches"]).at(0)["entries"]).at(0);
  CHECK(std::string_view(again["id"]) == id);
  CHECK(oci::uuid_from_hex("0123456789abcdef0123456789abcdef") == "01234567-89ab-8def-8123-456789abcdef");

  h.answer(409, R"({"code":"IncorrectState","message":"conflict"})");
  CHECK(h.flush(b).outcome == R);
  h.answer(404, R"({"code":"NotAuthorizedOrNotFound","message":"Authorization failed or requested resource not found"})");
  FlushResult r = h.flush(b);
  CHECK(r.outcome == P);
  CHECK(r.reason == "OCI Logging answered HTTP 404 NotAuthorizedOrNotFound: Authorization failed or requested "
                    "resource not found");
  CHECK_THAT(config_error(oci::schema(), "log_id: ocid1.bucket.x\nregion: r", oci::read_settings),
             Catch::Contains("key 'log_id': expects the log's OCID"));
  // No region and no endpoint: the host waits for the credentials' region.
  auto later = settings(oci::schema(), "log_id: ocid1.log.oc1.iad.x\n", oci::read_settings);
  CHECK(later.endpoint_from_credentials);
  CHECK(oci::ingestion_host("eu-frankfurt-1", "oraclecloud.com") == "ingestion.logging.eu-frankfurt-1.oci.oraclecloud.com");
}

TEST_CASE("oci logging: an entry of 1 MB or more is dead-lettered alone, log_key sends one field", "[oci]") {
  auto s = settings(oci::schema(), "log_id: ocid1.log.oc1.iad.x\nregion: us-ashburn-1\nlog_key: msg\n", oci::read_settings);
  SinkHarness h(std::make_unique<oci::Codec>(std::move(s)), "oci_logging.0");
  const std::string big(1'000'001, 'x');
  FlushResult r = h.flush(batch_of("app", {{kTime, R"({"msg":"small"})"}, {kTime, R"({"msg":")" + big + R"("})"},
                                           {kTime, R"({"other":1})"}}));
  CHECK(outcomes_of(r, 3) == std::vector<Outcome>{D, P, P});
  REQUIRE(h.requests.size() == 1);
  CHECK(h.requests[0].body.find(R"("data":"small")") != std::string::npos);
  CHECK(h.requests[0].body.size() < 1000);
  REQUIRE(r.per_record.size() == 3);
  CHECK_THAT(r.per_record[1].reason, Catch::Contains("above OCI Logging's"));
  CHECK_THAT(r.per_record[2].reason, Catch::Contains("the record has no msg field (log_key)"));
}

}  // namespace SLUICE_UNITY_ID
