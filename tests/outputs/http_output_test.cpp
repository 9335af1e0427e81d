// The `http` output: its config (and the HTTP keys every HTTP output
// shares), the classification of answers, golden bodies per format, and
// flushes that arrive at a recording peer (tests/peers/http_sink.py).
#include <catch2/catch.hpp>

#include <cstdlib>

#include "agent/config/yaml_loader.hpp"
#include "agent/metrics.hpp"
#include "agent/parse/json_format.hpp"
#include "outputs/common/http_output_config.hpp"
#include "outputs/http/http_output.hpp"
#include "tests/outputs/http_test_peers.hpp"
#include "tests/support/output_context.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

constexpr int64_t kTime = 1700000000123456789;

Batch two_chunks() {
  Batch batch;
  auto json = make_json_format();
  for (const char* tag : {"app.web", "app.db"}) {
    auto chunk = std::make_shared<Chunk>(tag);
    for (int i = 0; i < 2; ++i) {
      Value v;
      REQUIRE(json->parse(std::string("{\"k\":\"") + tag + "\",\"n\":" + std::to_string(i) + "}", chunk->arena, v));
      chunk->events.push_back(Event{kTime + i, v});
    }
    batch.parts.push_back({chunk, {}});
  }
  return batch;
}

// One chunk of tag holding records (JSON texts), all at kTime.
Batch batch_of(const char* tag, std::initializer_list<const char*> records) {
  Batch batch;
  auto json = make_json_format();
  auto chunk = std::make_shared<Chunk>(tag);
  for (const char* record : records) {
    Value v;
    REQUIRE(json->parse(record, chunk->arena, v));
    chunk->events.push_back(Event{kTime, v});
  }
  batch.parts.push_back({chunk, {}});
  return batch;
}

config::ComponentConfig load(const std::string& yaml) {
  return config::load_component(http_output_schema(), "output", yaml);
}

std::string config_error(const std::string& yaml) {
  try {
    BuildContext ctx;
    make_http_output(load(yaml), ctx);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

using TestContext = FakeOutputContext;

FlushResult flush(Output& out, TestContext& ctx, const Batch& batch) { return flush_and_wait(out, ctx, batch); }

}  // namespace

TEST_CASE("http output: shared HTTP keys", "[http_output]") {
  ScopedEnv p1("HTTP_PROXY", nullptr), p2("http_proxy", nullptr), p3("HTTPS_PROXY", nullptr), p4("https_proxy", nullptr);

  SECTION("defaults") {
    auto s = http::read_http_output_settings(load(""), "");
    CHECK(s.client.host == "127.0.0.1");
    CHECK(s.client.port == 80);
    CHECK_FALSE(s.client.tls.enabled);
    CHECK(s.client.tls.verify);
    CHECK(s.client.connect_timeout == 10s);
    CHECK(s.client.request_timeout == 30s);
    CHECK(s.client.max_connections == 1);
    CHECK(s.client.proxy.empty());
    CHECK_FALSE(s.gzip);
    CHECK(s.headers.empty());
  }
  SECTION("each key") {
    const TestPki& pki = shared_test_pki();
    auto s = http::read_http_output_settings(load(
        "host: logs.example\nport: 8443\ntls: on\ntls.verify: off\ntls.ca_file: " + pki.ca_crt +
        "\ntls.crt_file: " + pki.client_crt + "\ntls.key_file: " + pki.client_key +
        "\ntls.vhost: vhost.example\nhttp_user: me\nhttp_passwd: secret\ncompress: gzip\n"
        "header: [\"X-A one\", \"X-B two words\"]\nconnect_timeout: 2s\nrequest_timeout: 500ms\n"
        "proxy: http://proxy:3128\nworkers: 3"), "");
    CHECK(s.client.host == "logs.example");
    CHECK(s.client.port == 8443);
    CHECK(s.client.tls.enabled);
    CHECK_FALSE(s.client.tls.verify);
    CHECK(s.client.tls.ca_file == pki.ca_crt);
    CHECK(s.client.tls.crt_file == pki.client_crt);
    CHECK(s.client.tls.key_file == pki.client_key);
    CHECK(s.client.tls.vhost == "vhost.example");
    CHECK(s.gzip);
    REQUIRE(s.headers.size() == 3);
    CHECK(s.headers[0].name == "X-A");
    CHECK(s.headers[0].value == "one");
    CHECK(s.headers[1].value == "two words");
    CHECK(s.headers[2].name == "Authorization");
    CHECK(s.headers[2].value == "Basic bWU6c2VjcmV0");
    CHECK(s.client.connect_timeout == 2s);
    CHECK(s.client.request_timeout == 500ms);
    CHECK(s.client.proxy == "http://proxy:3128");
    CHECK(s.client.max_connections == 3);
  }
  SECTION("relative TLS files are found beside the config file") {
    const TestPki& pki = shared_test_pki();
    std::string dir = pki.ca_crt.substr(0, pki.ca_crt.rfind('/'));
    auto s = http::read_http_output_settings(load("tls: on\ntls.ca_file: ca.crt"), dir);
    CHECK(s.client.tls.ca_file == dir + "/ca.crt");
  }
  SECTION("the proxy comes from the environment unless NO_PROXY names the host") {
    ScopedEnv https("HTTPS_PROXY", "http://corp:3128");
    ScopedEnv none("NO_PROXY", "internal.example");
    ScopedEnv none2("no_proxy", nullptr);
    CHECK(http::read_http_output_settings(load("host: es.cloud\ntls: on"), "").client.proxy == "http://corp:3128");
    CHECK(http::read_http_output_settings(load("host: es.cloud"), "").client.proxy.empty());
    CHECK(http::read_http_output_settings(load("host: es.internal.example\ntls: on"), "").client.proxy.empty());
    CHECK(http::read_http_output_settings(load("host: es.cloud\ntls: on\nproxy: \"\""), "").client.proxy.empty());
  }
  SECTION("errors name the key and what was expected") {
    CHECK_THAT(config_error("header: X-Only"),
               Catch::Contains("key 'header': expects \"Name value\" (a header name, a space, its value), got \"X-Only\""));
    CHECK_THAT(config_error("port: 70000"), Catch::Contains("key 'port': expects a port number from 1 to 65535"));
    CHECK_THAT(config_error("tls: on\ntls.ca_file: /nonexistent/ca.pem"),
               Catch::Contains("key 'tls.ca_file': cannot read /nonexistent/ca.pem: No such file or directory"));
    const TestPki& pki = shared_test_pki();
    CHECK_THAT(config_error("tls: on\ntls.crt_file: " + pki.client_crt),
               Catch::Contains("key 'tls.crt_file': needs tls.key_file (its private key)"));
    CHECK_THAT(config_error("tls: on\ntls.key_file: " + pki.client_key),
               Catch::Contains("key 'tls.key_file': needs tls.crt_file (the certificate)"));
    CHECK_THAT(config_error("tls: on\ntls.crt_file: " + pki.client_crt + "\ntls.key_file: " + pki.server_key),
               Catch::Contains("key 'tls.key_file': tls.key_file " + pki.server_key + " does not match tls.crt_file"));
    CHECK_THAT(config_error("tls: on\ntls.ca_file: " + pki.client_key),
               Catch::Contains("key 'tls.ca_file': cannot use tls.ca_file " + pki.client_key + ": "));
    CHECK_THAT(config_error("http_passwd: x"), Catch::Contains("key 'http_passwd': needs http_user"));
    CHECK_THAT(config_error("proxy: https://proxy:3128"),
               Catch::Contains("key 'proxy': expects http://[user:password@]host:port, got \"https://proxy:3128\""));
    CHECK_THAT(config_error("request_timeout: 0s"), Catch::Contains("key 'request_timeout': expects a duration of at least 1ms"));
    CHECK_THAT(config_error("compress: zip"), Catch::Contains("key 'compress' expects one of"));
    CHECK_THAT(config_error("hots: x"), Catch::Contains("unknown key 'hots'"));
  }
}

TEST_CASE("http output: its own keys", "[http_output]") {
  CHECK_THAT(config_error("uri: logs"), Catch::Contains("key 'uri': expects a path starting with '/'"));
  CHECK_THAT(config_error("format: msgpack"), Catch::Contains("key 'format' expects one of"));
  CHECK_THAT(config_error("http_method: GET"), Catch::Contains("key 'http_method' expects one of"));
  CHECK(config_error("uri: /in?x=1\nformat: ndjson\nhttp_method: put\njson_date_key: false") == "no error");
  CHECK_THAT(config_error("body_key: $body"),
             Catch::Contains("key 'body_key': body_key and headers_key go together (as in Fluent Bit)"));
  CHECK_THAT(config_error("headers_key: $h"), Catch::Contains("key 'headers_key': body_key and headers_key go together"));
  CHECK(parse_http_format("NDJSON") == HttpFormat::JsonLines);
  CHECK(http_content_type(HttpFormat::JsonLines) == "application/x-ndjson");
  CHECK(http_content_type(HttpFormat::Json) == "application/json");
}

TEST_CASE("http output: answers sorted into delivered, retry and permanent", "[http_output]") {
  auto answer = [](int status, std::string body = "") {
    http::Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
  };
  for (int status : {200, 201, 202, 204, 299}) CHECK(http::classify_response(answer(status)).outcome == Outcome::Delivered);
  for (int status : {408, 429, 500, 502, 503, 504, 507}) {
    CAPTURE(status);
    CHECK(http::classify_response(answer(status)).outcome == Outcome::Retry);
  }
  for (int status : {301, 400, 401, 403, 404, 409, 413, 422, 501}) {
    CAPTURE(status);
    CHECK(http::classify_response(answer(status)).outcome == Outcome::Permanent);
  }
  http::Response none;
  none.error = "cannot connect to 127.0.0.1:9: Connection refused";
  FlushResult r = http::classify_response(none);
  CHECK(r.outcome == Outcome::Retry);
  CHECK(r.reason == none.error);
  auto busy = answer(429, "slow down\n");
  busy.retry_after = 7s;
  r = http::classify_response(busy);
  CHECK(r.reason == "HTTP 429 Too Many Requests: slow down");
  CHECK(r.retry_after == std::chrono::milliseconds(7000));
  r = http::classify_response(answer(400, "{\"error\":\"bad\"}\r\n" + std::string(1000, 'x')));
  CHECK(r.reason == "HTTP 400 Bad Request: {\"error\":\"bad\"}  " + std::string(512 - 17, 'x'));
  CHECK(http::classify_response(answer(418)).reason == "HTTP 418");
}

// The events of a batch, in order.
std::vector<const Event*> events_of(const Batch& batch) {
  std::vector<const Event*> out;
  batch.for_each([&](const std::string&, const Event& e) { out.push_back(&e); });
  return out;
}

TEST_CASE("http output: bodies per format", "[http_output]") {
  Batch batch = two_chunks();
  json_lines::Options o;
  std::string out;
  encode_http_body(out, events_of(batch), HttpFormat::Json, o);
  CHECK(out ==
        "[{\"date\":1700000000.123456,\"k\":\"app.web\",\"n\":0},{\"date\":1700000000.123456,\"k\":\"app.web\",\"n\":1},"
        "{\"date\":1700000000.123456,\"k\":\"app.db\",\"n\":0},{\"date\":1700000000.123456,\"k\":\"app.db\",\"n\":1}]");
  out.clear();
  o.date_key = "ts";
  o.date_format = json_lines::DateFormat::Iso8601;
  Batch one;
  one.parts.push_back({batch.parts[1].chunk, {1}});
  encode_http_body(out, events_of(one), HttpFormat::JsonLines, o);
  CHECK(out == "{\"ts\":\"2023-11-14T22:13:20.123456Z\",\"k\":\"app.db\",\"n\":1}\n");
  out.clear();
  o.date_key.clear();
  encode_http_body(out, events_of(batch), HttpFormat::JsonStream, o);
  CHECK(out == "{\"k\":\"app.web\",\"n\":0}{\"k\":\"app.web\",\"n\":1}{\"k\":\"app.db\",\"n\":0}{\"k\":\"app.db\",\"n\":1}");
}

TEST_CASE("http output: records arrive at an HTTP endpoint", "[http_output]") {
  TempDir dir;
  PythonPeer sink("http_sink.py", {"--out", dir.file("requests.jsonl")});
  std::string target = "host: 127.0.0.1\nport: " + std::to_string(sink.port()) + "\n";
  TestContext ctx;
  BuildContext build;
  auto run = [&](const std::string& yaml, const Batch& batch = two_chunks()) {
    auto out = make_http_output(load(target + yaml), build);
    out->start(ctx);
    FlushResult r = flush(*out, ctx, batch);
    out->stop();
    return r;
  };

  SECTION("json: one array per request, POST to uri with the user's headers and basic auth") {
    CHECK(run("uri: /ingest?src=sluice\nheader: X-Api-Key abc123\nhttp_user: me\nhttp_passwd: pw\n"
              "json_date_format: epoch").outcome == Outcome::Delivered);
    auto seen = sink_requests(dir.file("requests.jsonl"));
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].method == "POST");
    CHECK(seen[0].path == "/ingest?src=sluice");
    CHECK(seen[0].header("Content-Type") == "application/json");
    CHECK(seen[0].header("X-Api-Key") == "abc123");
    CHECK(seen[0].header("Authorization") == http::basic_auth("me", "pw"));
    CHECK(seen[0].body ==
          "[{\"date\":1700000000,\"k\":\"app.web\",\"n\":0},{\"date\":1700000000,\"k\":\"app.web\",\"n\":1},"
          "{\"date\":1700000000,\"k\":\"app.db\",\"n\":0},{\"date\":1700000000,\"k\":\"app.db\",\"n\":1}]");
  }
  SECTION("json_lines, gzipped, with PUT") {
    CHECK(run("format: json_lines\ncompress: gzip\nhttp_method: PUT\njson_date_key: false").outcome ==
          Outcome::Delivered);
    auto seen = sink_requests(dir.file("requests.jsonl"));
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].method == "PUT");
    CHECK(seen[0].header("Content-Encoding") == "gzip");
    CHECK(seen[0].header("Content-Type") == "application/x-ndjson");
    CHECK(seen[0].body ==
          "{\"k\":\"app.web\",\"n\":0}\n{\"k\":\"app.web\",\"n\":1}\n{\"k\":\"app.db\",\"n\":0}\n{\"k\":\"app.db\",\"n\":1}\n");
  }
  SECTION("ndjson and json_stream") {
    CHECK(run("format: ndjson\njson_date_key: false").outcome == Outcome::Delivered);
    CHECK(run("format: json_stream\njson_date_key: false").outcome == Outcome::Delivered);
    auto seen = sink_requests(dir.file("requests.jsonl"));
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].body.find("}\n{") != std::string::npos);
    CHECK(seen[1].body == "{\"k\":\"app.web\",\"n\":0}{\"k\":\"app.web\",\"n\":1}{\"k\":\"app.db\",\"n\":0}{\"k\":\"app.db\",\"n\":1}");
  }
  SECTION("header_tag: one request per tag, the tag in that header") {
    CHECK(run("header_tag: X-Tag\nformat: json_lines\njson_date_key: false").outcome == Outcome::Delivered);
    auto seen = sink_requests(dir.file("requests.jsonl"));
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].header("X-Tag") == "app.web");
    CHECK(seen[0].body == "{\"k\":\"app.web\",\"n\":0}\n{\"k\":\"app.web\",\"n\":1}\n");
    CHECK(seen[1].header("X-Tag") == "app.db");
  }
  SECTION("gelf: one GELF 1.1 object per line, as Fluent Bit's format gelf; a record without a message is dead-lettered") {
    Batch batch = batch_of("app.web", {R"({"msg":"disk full","severity":"error","node":"web-1","user":"ann"})",
                                       R"({"n":1})", R"({"msg":"ok","node":"web-2"})"});
    FlushResult r = run("format: gelf\ngelf_short_message_key: msg\ngelf_level_key: severity\ngelf_host_key: node\n", batch);
    REQUIRE(r.per_record.size() == 3);
    CHECK(r.per_record[0].outcome == Outcome::Delivered);
    CHECK(r.per_record[1].outcome == Outcome::Permanent);
    CHECK(r.per_record[1].reason.find("short_message") != std::string::npos);
    CHECK(r.per_record[2].outcome == Outcome::Delivered);
    auto seen = sink_requests(dir.file("requests.jsonl"));
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].header("Content-Type") == "application/json");
    CHECK(seen[0].body ==
          R"({"version":"1.1","host":"web-1","short_message":"disk full","timestamp":1700000000.123,"level":3,"_user":"ann"})"
          "\n"
          R"({"version":"1.1","host":"web-2","short_message":"ok","timestamp":1700000000.123,"level":6})"
          "\n");
  }
  SECTION("body_key and headers_key: each record is its own request, as the record says (Fluent Bit's relay)") {
    Batch batch = batch_of("relay", {R"({"req":{"body":"raw text 1","headers":{"X-Req":"1","Content-Type":"text/plain","n":5}}})",
                                     R"({"req":{"body":"no headers"}})",
                                     R"({"req":{"body":"{\"a\":2}","headers":{"X-Req":"2"}}})"});
    FlushResult r = run("body_key: $req['body']\nheaders_key: $req['headers']\n", batch);
    REQUIRE(r.per_record.size() == 3);
    CHECK(r.per_record[0].outcome == Outcome::Delivered);
    CHECK(r.per_record[1].outcome == Outcome::Permanent);
    CHECK(r.per_record[1].reason == "the record has no string at $req['body'] or no map at $req['headers'] (body_key, headers_key)");
    CHECK(r.per_record[2].outcome == Outcome::Delivered);
    auto seen = sink_requests(dir.file("requests.jsonl"));
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].body == "raw text 1");
    CHECK(seen[0].header("X-Req") == "1");
    CHECK(seen[0].header("Content-Type") == "text/plain");  // the record's, not the format's
    CHECK(seen[1].body == "{\"a\":2}");
    CHECK(seen[1].header("X-Req") == "2");
    CHECK(seen[1].header("Content-Type") == "application/json");
  }
  SECTION("a 503 is retried with its Retry-After, a 400 is permanent with the backend's text") {
    FlushResult r = run("uri: /status/503?retry_after=12");
    CHECK(r.outcome == Outcome::Retry);
    CHECK(r.reason == "HTTP 503 Service Unavailable: status 503");
    CHECK(r.retry_after == std::chrono::milliseconds(12'000));
    r = run("uri: /status/400");
    CHECK(r.outcome == Outcome::Permanent);
    CHECK(r.reason == "HTTP 400 Bad Request: status 400");
  }
  SECTION("no server: retry with the connection error") {
    uint16_t closed_port = free_tcp_port();
    auto out = make_http_output(load("port: " + std::to_string(closed_port)), build);
    out->start(ctx);
    FlushResult r = flush(*out, ctx, two_chunks());
    CHECK(r.outcome == Outcome::Retry);
    CHECK(r.reason == "cannot connect to 127.0.0.1:" + std::to_string(closed_port) + ": Connection refused");
    out->stop();
  }
}

}  // namespace SLUICE_UNITY_ID
