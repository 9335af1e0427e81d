// The es output's configuration: defaults, each key's effect on the settings,
// Elastic Cloud ids, API keys, and every configuration error a user can meet.
#include <catch2/catch.hpp>

#include "tests/outputs/es_test_support.hpp"
#include "outputs/es/es_output.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::es;
using namespace sluice::es::test;

namespace {

std::string config_error(const std::string& yaml) {
  try {
    BuildContext ctx;
    make_es_output(config::load_component(es_output_schema(), "output", yaml), ctx);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "";
}

const http::Header* find_header(const EsSettings& s, std::string_view name) {
  for (const auto& h : s.http.headers)
    if (h.name == name) return &h;
  return nullptr;
}

}  // namespace

TEST_CASE("es settings: defaults", "[es][es_config]") {
  EsSettings s = settings_of("");
  CHECK(s.http.client.host == "127.0.0.1");
  CHECK(s.http.client.port == 9200);
  CHECK_FALSE(s.http.client.tls.enabled);
  CHECK_FALSE(s.http.gzip);
  CHECK(s.target == "/_bulk");
  CHECK(s.encoder.op_type == OpType::Create);
  CHECK(s.encoder.index == "fluent-bit");
  CHECK(s.encoder.type.empty());
  CHECK(s.encoder.time_key == "@timestamp");
  CHECK(s.encoder.tag_key.empty());
  CHECK_FALSE(s.encoder.generate_id);
  CHECK_FALSE(s.encoder.id_key);
  CHECK(s.encoder.max_request_bytes == 5u << 20);
  CHECK(find_header(s, "Authorization") == nullptr);
}

TEST_CASE("es settings: keys", "[es][es_config]") {
  SECTION("path and pipeline make the request target") {
    CHECK(settings_of("path: /es/\npipeline: my pipe&x").target == "/es/_bulk?pipeline=my%20pipe%26x");
    CHECK(settings_of("path: proxy").target == "/proxy/_bulk");
  }
  SECTION("shared HTTP keys") {
    EsSettings s = settings_of("host: es.local\nport: 9243\ncompress: gzip\nworkers: 3\nheader: X-Team logs");
    CHECK(s.http.client.host == "es.local");
    CHECK(s.http.client.port == 9243);
    CHECK(s.http.gzip);
    CHECK(s.http.client.max_connections == 3);
    REQUIRE(find_header(s, "X-Team") != nullptr);
  }
  SECTION("basic auth from http_user/http_passwd") {
    EsSettings s = settings_of("http_user: elastic\nhttp_passwd: changeme");
    REQUIRE(find_header(s, "Authorization") != nullptr);
    CHECK(find_header(s, "Authorization")->value == "Basic ZWxhc3RpYzpjaGFuZ2VtZQ==");
  }
  SECTION("http_api_key as id:key or already encoded") {
    CHECK(find_header(settings_of("http_api_key: VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw"), "Authorization")
              ->value == "ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==");
    CHECK(find_header(settings_of("http_api_key: VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="),
                      "Authorization")
              ->value == "ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==");
  }
  SECTION("cloud_id sets host, port and TLS; cloud_auth is basic auth") {
    // base64("us-east-1.aws.found.io$abc123$def456")
    EsSettings s = settings_of(
        "cloud_id: 'my-deployment:dXMtZWFzdC0xLmF3cy5mb3VuZC5pbyRhYmMxMjMkZGVmNDU2'\ncloud_auth: elastic:secret");
    CHECK(s.http.client.host == "abc123.us-east-1.aws.found.io");
    CHECK(s.http.client.port == 443);
    CHECK(s.http.client.tls.enabled);
    CHECK(find_header(s, "Authorization")->value == "Basic ZWxhc3RpYzpzZWNyZXQ=");
  }
  SECTION("suppress_type_name drops type") {
    CHECK(settings_of("type: _doc").encoder.type == "_doc");
    CHECK(settings_of("type: _doc\nsuppress_type_name: on").encoder.type.empty());
  }
  SECTION("buffer_size is accepted for Fluent Bit configurations") {
    CHECK_NOTHROW(settings_of("buffer_size: 'false'"));
  }
}

TEST_CASE("es settings: Elastic Cloud ids", "[es][es_config]") {
  std::string error;
  // base64("eu-west-1.aws.cloud.es.io:9243$es0$kb0")
  auto e = decode_cloud_id("x:ZXUtd2VzdC0xLmF3cy5jbG91ZC5lcy5pbzo5MjQzJGVzMCRrYjA=", &error);
  REQUIRE(e);
  CHECK(e->host == "es0.eu-west-1.aws.cloud.es.io");
  CHECK(e->port == 9243);
  CHECK_FALSE(decode_cloud_id("x:!!!", &error));
  CHECK_FALSE(decode_cloud_id("x:" + base64_encode("no-dollar-signs"), &error));
  CHECK(base64_decode(base64_encode("any\x01\xff bytes")) == std::string("any\x01\xff bytes"));
}

TEST_CASE("es settings: configuration errors", "[es][es_config]") {
  CHECK_THAT(config_error("logstash_prefix_key: $ns"),
             Catch::Contains("logstash_prefix_key needs logstash_format on"));
  CHECK_THAT(config_error("write_operation: create\nop_type: index"),
             Catch::Contains("op_type and write_operation disagree; set only one of them"));
  CHECK_THAT(config_error("write_operation: update"),
             Catch::Contains("key 'write_operation': update needs id_key or generate_id"));
  CHECK_THAT(config_error("write_operation: upsert"),
             Catch::Contains("key 'write_operation': upsert needs id_key or generate_id"));
  CHECK_THAT(config_error("write_operation: delete"), Catch::Contains("expects one of create, index, update, upsert"));
  CHECK_THAT(config_error("id_key: \"$a['b\""), Catch::Contains("expected a record accessor"));
  CHECK_THAT(config_error("index: logs-%"), Catch::Contains("a strftime pattern can't end with a single `%`"));
  CHECK_THAT(config_error("index: ''"), Catch::Contains("expected a non-empty name"));
  CHECK_THAT(config_error("include_tag_key: on\ntag_key: ''"), Catch::Contains("expected a field name for the tag"));
  CHECK_THAT(config_error("max_request_bytes: 100"), Catch::Contains("expected at least 1k"));
  CHECK_THAT(config_error("cloud_id: 'x:%%%'"), Catch::Contains("the part after ':' is not base64"));
  CHECK_THAT(config_error("cloud_id: 'x:bm9wZQ=='"), Catch::Contains("is not `host$es_uuid$kibana_uuid`"));
  CHECK_THAT(config_error("cloud_id: 'x:dXMtZWFzdC0xLmF3cy5mb3VuZC5pbyRhYmMxMjMkZGVmNDU2'\nhost: es.local"),
             Catch::Contains("host and cloud_id both name the endpoint"));
  CHECK_THAT(config_error("cloud_id: 'x:dXMtZWFzdC0xLmF3cy5mb3VuZC5pbyRhYmMxMjMkZGVmNDU2'\ntls: off"),
             Catch::Contains("Elastic Cloud (cloud_id) needs tls on"));
  CHECK_THAT(config_error("http_user: u\nhttp_api_key: id:key"),
             Catch::Contains("set only one of http_user, http_api_key and cloud_auth"));
  CHECK_THAT(config_error("cloud_auth: nocolon"), Catch::Contains("expected `user:password`"));
  CHECK_THAT(config_error("http_api_key: ''"), Catch::Contains("expected `id:key` or its base64 encoding"));
  CHECK_THAT(config_error("idnex: logs"), Catch::Contains("did you mean 'index'"));
}

}  // namespace SLUICE_UNITY_ID
