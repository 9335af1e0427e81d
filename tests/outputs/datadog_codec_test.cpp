// The datadog codec on the HTTP sink, against a scripted transport (no
// network): the keys and their errors, the body as Fluent Bit's out_datadog
// writes it (golden: key order, milliseconds, the added fields, the message
// key, the tag, ECS tags), requests cut under Datadog's limits, and the
// intake's answers sorted.
#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "agent/config/yaml_loader.hpp"
#include "outputs/datadog/datadog_codec.hpp"
#include "outputs/datadog/datadog_output.hpp"
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
constexpr const char* kKey = "0123456789abcdef0123456789abcdef";

datadog::Settings read(const std::string& yaml) {
  return datadog::read_settings(config::load_component(datadog_output_schema(), "output", yaml), BuildContext{});
}

std::string config_error(const std::string& yaml) {
  try {
    read(yaml);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

SinkHarness harness(const std::string& yaml) {
  return SinkHarness(std::make_unique<datadog::Codec>(read(std::string("apikey: ") + kKey + "\n" + yaml)), "datadog.0",
                     "http-intake.logs.datadoghq.com");
}

std::string body_of(const std::string& yaml, const std::vector<std::pair<int64_t, std::string>>& records,
                    const std::string& tag = "app") {
  auto h = harness(yaml);
  CHECK(h.flush(batch_of(tag, records)).outcome == D);
  REQUIRE(h.requests.size() == 1);
  return h.requests[0].body;
}

}  // namespace

TEST_CASE("datadog: the keys, Fluent Bit's defaults, and errors naming the key", "[datadog]") {
  auto s = read(std::string("apikey: ") + kKey + "\n");
  CHECK(s.http.client.host == "http-intake.logs.datadoghq.com");
  CHECK(s.http.client.port == 443);
  CHECK(s.http.client.tls.enabled);
  CHECK_FALSE(s.http.gzip);
  CHECK(s.json_date_key == "timestamp");
  CHECK(s.tag_key.empty());
  CHECK(s.message_key == "log");
  CHECK_FALSE(s.remap_ecs);
  REQUIRE(s.http.headers.size() == 3);
  CHECK(s.http.headers[0].name == "DD-API-KEY");
  CHECK(s.http.headers[0].value == kKey);
  CHECK(s.http.headers[1].name == "DD-EVP-ORIGIN");
  CHECK(s.http.headers[2].name == "DD-EVP-ORIGIN-VERSION");

  SECTION("another Datadog site: TLS on 443 too") {
    auto eu = read("apikey: k\nhost: http-intake.logs.datadoghq.eu\n");
    CHECK(eu.http.client.tls.enabled);
    CHECK(eu.http.client.port == 443);
    CHECK(datadog::is_datadog_host("http-intake.logs.us5.datadoghq.com"));
    CHECK(datadog::is_datadog_host("http-intake.logs.ddog-gov.com"));
    CHECK_FALSE(datadog::is_datadog_host("datadoghq.com.example.org"));
    CHECK_FALSE(datadog::is_datadog_host("notdatadoghq.com"));
  }
  SECTION("another host (a local agent or pipeline): Fluent Bit's default, no TLS on port 80") {
    auto local = read("apikey: k\nhost: dd-relay.internal\n");
    CHECK_FALSE(local.http.client.tls.enabled);
    CHECK(local.http.client.port == 80);
    auto tls = read("apikey: k\nhost: dd-relay.internal\ntls: on\n");
    CHECK(tls.http.client.tls.enabled);
    CHECK(tls.http.client.port == 443);
    auto off = read("apikey: k\ntls: off\nport: 8080\n");
    CHECK_FALSE(off.http.client.tls.enabled);
    CHECK(off.http.client.port == 8080);
  }
  SECTION("every key") {
    auto all = read("apikey: k\ncompress: gzip\ninclude_tag_key: on\ntag_key: fluent_tag\ndd_source: nginx\n"
                    "dd_service: shop\ndd_tags: env:prod\ndd_hostname: web-1\ndd_message_key: msg\n"
                    "json_date_key: Off\nprovider: ecs\nheader: X-Team logs\n");
    CHECK(all.http.gzip);
    CHECK(all.tag_key == "fluent_tag");
    CHECK(all.dd_source == "nginx");
    CHECK(all.dd_service == "shop");
    CHECK(all.dd_tags == "env:prod");
    CHECK(all.dd_hostname == "web-1");
    CHECK(all.message_key == "msg");
    CHECK(all.json_date_key.empty());
    CHECK(all.remap_ecs);
    REQUIRE(all.http.headers.size() == 4);
    CHECK(all.http.headers[3].name == "X-Team");
    // tag_key alone does nothing: include_tag_key is off.
    CHECK(read("apikey: k\ntag_key: t\n").tag_key.empty());
  }
  SECTION("errors") {
    CHECK_THAT(config_error("dd_service: shop\n"), Catch::Contains("missing required key 'apikey'"));
    CHECK_THAT(config_error("apikey: ''\n"), Catch::Contains("key 'apikey'"));
    CHECK_THAT(config_error("apikey: k\nport: 0\n"), Catch::Contains("key 'port'"));
    CHECK_THAT(config_error("apikey: k\nprovider: eks\n"), Catch::Contains("provider"));
    CHECK_THAT(config_error("apikey: k\njson_date_key: ''\n"), Catch::Contains("key 'json_date_key'"));
    CHECK_THAT(config_error("apikey: k\ninclude_tag_key: on\ntag_key: ''\n"), Catch::Contains("key 'tag_key'"));
    CHECK_THAT(config_error("apikey: k\ndd_message_key: ''\n"), Catch::Contains("key 'dd_message_key'"));
    CHECK_THAT(config_error("apikey: k\ncompress: zstd\n"), Catch::Contains("compress"));
    CHECK_THAT(config_error("apikey: k\napi_key: k\n"), Catch::Contains("unknown key 'api_key'"));
    // A key with a line break is refused without being quoted.
    std::string broken = config_error("apikey: \"secret-part\\r\\nX: y\"\n");
    CHECK_THAT(broken, Catch::Contains("key 'apikey'"));
    CHECK(broken.find("secret-part") == std::string::npos);
  }
}

TEST_CASE("datadog: a JSON array of the records as Fluent Bit writes them, to /api/v2/logs with the key", "[datadog]") {
  auto h = harness("include_tag_key: on\ndd_source: nginx\ndd_service: shop\ndd_tags: env:prod,team:web\n"
                   "dd_hostname: web-1\n");
  // Milliseconds rounded to the nearest, as Fluent Bit rounds them.
  FlushResult r = h.flush(batch_of("app.web", {{kTime, R"({"log":"GET / 200","status":200,"user":{"id":7}})"},
                                               {1'795'256'430'000'000'001, R"({"msg":"plain","n":1.5})"}}));
  CHECK(r.outcome == D);
  REQUIRE(h.requests.size() == 1);
  const http::Request& req = h.requests[0];
  CHECK(req.method == "POST");
  CHECK(req.target == "/api/v2/logs");
  CHECK(*header_of(req, "Content-Type") == "application/json");
  CHECK(*header_of(req, "DD-API-KEY") == kKey);
  CHECK(*header_of(req, "DD-EVP-ORIGIN") == "sluice");
  CHECK(req.content_encoding.empty());
  CHECK(req.body ==
        R"([{"timestamp":1795256430123,"tagkey":"app.web","ddsource":"nginx","service":"shop","hostname":"web-1",)"
        R"("message":"GET / 200","status":200,"user":{"id":7},"ddtags":"env:prod,team:web"},)"
        R"({"timestamp":1795256430000,"tagkey":"app.web","ddsource":"nginx","service":"shop","hostname":"web-1",)"
        R"("msg":"plain","n":1.5,"ddtags":"env:prod,team:web"}])");
  CHECK(datadog::Codec::timestamp_ms(1'000'000'499'999) == 1'000'000);
  CHECK(datadog::Codec::timestamp_ms(1'000'000'500'000) == 1'000'001);
  CHECK(datadog::Codec::timestamp_ms(-1'500'000) == -1);  // before 1970, rounded like a timespec
}

TEST_CASE("datadog: the defaults add only the time, json_date_key off adds nothing, dd_message_key renames",
          "[datadog]") {
  CHECK(body_of("", {{kTime, R"({"log":"hello","level":"info"})"}}) ==
        R"([{"timestamp":1795256430123,"message":"hello","level":"info"}])");
  CHECK(body_of("json_date_key: false\n", {{kTime, R"({"log":"hello"})"}}) == R"([{"message":"hello"}])");
  CHECK(body_of("json_date_key: date\ndd_message_key: msg\n", {{kTime, R"({"log":"raw","msg":"hello"})"}}) ==
        R"([{"date":1795256430123,"log":"raw","message":"hello"}])");
  auto gzipped = harness("compress: gzip\n");
  gzipped.flush(batch_of("app", {{kTime, "{}"}}));
  REQUIRE(gzipped.requests.size() == 1);
  CHECK(gzipped.requests[0].content_encoding == "gzip");
}

TEST_CASE("datadog: a key the record has too is written once, the last one, as Fluent Bit's JSON writer does",
          "[datadog]") {
  // Fluent Bit packs the added keys before the record and ddtags after it,
  // and writes only the last of a repeated key: the record's hostname,
  // service and timestamp win, dd_tags wins over the record's ddtags, and of
  // `log` (renamed) and `message` the later (as Fluent Bit 5.1.1 sent them).
  CHECK(body_of("dd_hostname: web-1\ndd_service: shop\ndd_source: nginx\ndd_tags: env:prod\n",
                {{kTime, R"({"timestamp":"2026-11-21T10:20:30Z","hostname":"own","ddtags":"mine","log":"a",)"
                         R"("message":"b","service":"own-svc"})"}}) ==
        R"([{"ddsource":"nginx","timestamp":"2026-11-21T10:20:30Z","hostname":"own","message":"b",)"
        R"("service":"own-svc","ddtags":"env:prod"}])");
  CHECK(body_of("", {{kTime, R"({"message":"b","log":"a"})"}}) == R"([{"timestamp":1795256430123,"message":"a"}])");
  // Without dd_tags the record's ddtags is its own field.
  CHECK(body_of("", {{kTime, R"({"ddtags":"mine"})"}}) == R"([{"timestamp":1795256430123,"ddtags":"mine"}])");
  // The tag key named like the time key: the tag is written last.
  CHECK(body_of("include_tag_key: on\ntag_key: timestamp\n", {{kTime, "{}"}}, "app") == R"([{"timestamp":"app"}])");
}

TEST_CASE("datadog: provider ecs moves the ECS attributes into ddtags before dd_tags", "[datadog]") {
  std::string body = body_of(
      "provider: ecs\ndd_tags: env:prod\njson_date_key: off\n",
      {{kTime, R"({"container_id":"abc123","container_name":"/ecs-web-1","container_image":"nginx:1.27",)"
               R"("ecs_cluster":"arn:aws:ecs:us-east-1:123456789012:cluster/prod",)"
               R"("ecs_task_definition":"web:42",)"
               R"("ecs_task_arn":"arn:aws:ecs:us-east-1:123456789012:task/prod/0f1e2d","log":"up","pid":1})"},
       {kTime, R"({"ecs_cluster":"prod","ecs_task_definition":"web","ecs_task_arn":"t-1","container_id":""})"}});
  CHECK(body == R"([{"message":"up","pid":1,"ddtags":"container_id:abc123,container_name:ecs-web-1,)"
                R"(container_image:nginx:1.27,cluster_name:prod,task_family:web,task_version:42,)"
                R"(task_arn:arn:aws:ecs:us-east-1:123456789012:task/prod/0f1e2d,region:us-east-1,)"
                R"(task_id:prod/0f1e2d,env:prod"},)"
                // Not in their usual form: kept as they are; an empty value is not an ECS attribute.
                R"({"container_id":"","ddtags":"cluster_name:prod,ecs_task_definition:web,task_arn:t-1,task_id:t-1,)"
                R"(env:prod"}])");
  // Without dd_tags, the ECS tags alone; without ECS attributes, no ddtags.
  CHECK(body_of("provider: ecs\njson_date_key: off\n", {{kTime, R"({"container_id":"c1"})"}, {kTime, R"({"a":1})"}}) ==
        R"([{"ddtags":"container_id:c1"},{"a":1}])");
}

TEST_CASE("datadog: requests cut at 1,000 entries and 5 MB, a record above 1 MB sent, one above 5 MB refused",
          "[datadog]") {
  auto h = harness("json_date_key: off\n");
  std::vector<std::pair<int64_t, std::string>> many;
  for (int i = 0; i < 2'500; ++i) many.emplace_back(kTime, R"({"i":)" + std::to_string(i) + "}");
  CHECK(h.flush(batch_of("app", many)).outcome == D);
  REQUIRE(h.requests.size() == 3);
  CHECK(h.requests[0].body.starts_with(R"([{"i":0},)"));
  CHECK(h.requests[1].body.starts_with(R"([{"i":1000},)"));
  CHECK(h.requests[2].body.ends_with(R"({"i":2499}])"));

  h.requests.clear();
  const std::string mb2 = std::string(2'000'000, 'x');
  FlushResult big = h.flush(batch_of("app", {{kTime, R"({"log":")" + mb2 + "\"}"},
                                             {kTime, R"({"log":")" + mb2 + "\"}"},
                                             {kTime, R"({"log":")" + mb2 + "\"}"},
                                             {kTime, R"({"log":")" + std::string(5'000'000, 'y') + "\"}"}}));
  CHECK(outcomes_of(big, 4) == std::vector<Outcome>{D, D, D, P});
  REQUIRE(h.requests.size() == 2);  // 2 MB + 2 MB, then 2 MB
  for (const auto& req : h.requests) CHECK(req.body.size() <= 5'000'000);
  CHECK_THAT(big.per_record[3].reason, Catch::Contains("above Datadog's"));
}

TEST_CASE("datadog: 202 delivered, 408, 429 and 5xx retried, 400, 401 and 403 refused, 413 halved", "[datadog]") {
  auto h = harness("");
  auto one = [&] { return h.flush(batch_of("app", {{kTime, R"({"log":"x"})"}})); };
  h.answer(202, "{}");
  CHECK(one().outcome == D);
  h.answer(429, R"({"errors":["Too many requests"]})", 2s);
  FlushResult limited = one();
  CHECK(limited.outcome == R);
  CHECK(limited.retry_after == std::chrono::milliseconds(2000));
  CHECK(limited.reason == "Datadog answered 429: Too many requests");
  for (int status : {408, 500, 502, 503, 504}) {
    h.answer(status, "");
    INFO(status);
    CHECK(one().outcome == R);
  }
  h.answer(403, R"({"errors":["Forbidden"]})");
  FlushResult forbidden = one();
  CHECK(forbidden.outcome == P);
  CHECK(forbidden.reason == "Datadog answered 403: Forbidden");
  CHECK(forbidden.reason.find(kKey) == std::string::npos);
  h.answer(401, R"({"errors":["Unauthorized"]})");
  CHECK(one().outcome == P);
  h.answer(400, "not json at all");
  FlushResult bad = one();
  CHECK(bad.outcome == P);
  CHECK(bad.reason == "Datadog answered HTTP 400 Bad Request: not json at all");
  // 413 (a lower limit on the way): the request again in two halves.
  h.requests.clear();
  h.answer(413, R"({"errors":["Payload too large"]})");
  FlushResult halved = h.flush(batch_of("app", {{kTime, R"({"i":0})"}, {kTime, R"({"i":1})"}}));
  CHECK(outcomes_of(halved, 2) == std::vector<Outcome>{D, D});
  CHECK(h.requests.size() == 3);
  CHECK(datadog::read_errors(R"({"errors":["a","b"]})") == "a; b");
  CHECK(datadog::read_errors(R"({"status":"ok"})").empty());
}

}  // namespace SLUICE_UNITY_ID
