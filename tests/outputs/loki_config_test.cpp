// The loki output's configuration (defaults, each key, every user-facing
// error) and how it sorts Loki's answers.
#include <filesystem>
#include <fstream>

#include "tests/outputs/loki_test_support.hpp"
#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::loki;

namespace {

LokiOutputConfig config_of(const std::string& yaml, const BuildContext& ctx = {}) {
  return read_loki_config(config::load_component(loki_output_schema(), "output", yaml.empty() ? "{}" : yaml), ctx);
}

std::string config_error(const std::string& yaml, const BuildContext& ctx = {}) {
  try {
    make_loki_output(config::load_component(loki_output_schema(), "output", yaml), ctx);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

bool has_error(const std::string& yaml, const std::string& text) {
  std::string e = config_error(yaml);
  INFO(e);
  return e.find(text) != std::string::npos;
}

http::Response answer(int status, std::string body = "", std::optional<std::chrono::milliseconds> retry_after = {}) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  r.retry_after = retry_after;
  if (status == 0) r.error = "connection refused";
  return r;
}

}  // namespace

TEST_CASE("loki config: defaults", "[loki]") {
  auto c = config_of("");
  CHECK(c.http.client.host == "127.0.0.1");
  CHECK(c.http.client.port == 3100);
  CHECK(c.uri == "/loki/api/v1/push");
  CHECK(c.format == PushFormat::Protobuf);
  CHECK(c.tenant_id.empty());
  CHECK_FALSE(c.tenant_id_key);
  CHECK(c.streams.labels.rules().size() == 1);
  CHECK(c.streams.labels.rules()[0].name == "job");
  CHECK(c.streams.labels.rules()[0].fixed == "sluice");
  CHECK(c.streams.line_format == LineFormat::Json);
  CHECK(c.streams.drop_single_key == DropSingleKey::Off);
  CHECK(c.streams.removed.empty());
  CHECK(c.streams.metadata.empty());
}

TEST_CASE("loki config: every key", "[loki]") {
  auto c = config_of(
      "host: loki.example\nport: 8080\nuri: /api/prom/push\nformat: json\ncompress: gzip\ntenant_id: team-a\n"
      "tenant_id_key: $tenant\nlabels: job=x, $app\nlabel_keys: level\nstructured_metadata: $trace\n"
      "structured_metadata_map_keys: $k8s\nremove_keys: secret\ndrop_single_key: raw\nline_format: key_value\n"
      "bearer_token: s3cret");
  CHECK(c.http.client.host == "loki.example");
  CHECK(c.http.client.port == 8080);
  CHECK(c.uri == "/api/prom/push");
  CHECK(c.format == PushFormat::Json);
  CHECK(c.http.gzip);
  CHECK(c.tenant_id == "team-a");
  REQUIRE(c.tenant_id_key);
  CHECK(c.tenant_id_key->top_key() == "tenant");
  REQUIRE(c.streams.labels.rules().size() == 3);
  CHECK(c.streams.labels.rules()[0].name == "app");
  CHECK(c.streams.labels.rules()[1].name == "job");
  CHECK(c.streams.labels.rules()[2].name == "level");
  CHECK(c.streams.metadata.size() == 1);
  CHECK(c.streams.metadata_maps.size() == 1);
  // remove_keys, then every accessor of labels and metadata.
  CHECK(c.streams.removed.size() == 5);
  CHECK(c.streams.drop_single_key == DropSingleKey::Raw);
  CHECK(c.streams.line_format == LineFormat::KeyValue);
  CHECK(c.bearer_token == "s3cret");
  CHECK(config_of("drop_single_key: on").streams.drop_single_key == DropSingleKey::On);
}

TEST_CASE("loki config: label_map_path", "[loki]") {
  sluice::test::TempDir tmp;
  std::filesystem::path dir = tmp.path();
  std::ofstream(dir / "map.json") << R"({"sub": {"stream": "stream", "id": "sub_id"}, "app": "application"})";
  std::ofstream(dir / "bad.json") << R"({"sub": 1})";
  BuildContext ctx;
  ctx.base_dir = dir.string();
  auto c = config_of("label_map_path: map.json\nlabels: job=x", ctx);
  auto chunk = loki_test::chunk_of({{1, R"({"sub":{"stream":"stdout","id":"i1"},"app":"web","msg":"m"})"}});
  std::string sel, scratch;
  c.streams.labels.append_selector(sel, chunk->events[0].record, scratch);
  CHECK(sel == R"({application="web", job="x", stream="stdout", sub_id="i1"})");
  CHECK(config_error("label_map_path: bad.json", ctx).find("key 'label_map_path': the value at $sub must be a label name") !=
        std::string::npos);
  CHECK(config_error("label_map_path: nope.json", ctx).find("key 'label_map_path': cannot read " + (dir / "nope.json").string()) !=
        std::string::npos);
}

TEST_CASE("loki config: relative tls.* files are found beside the config file", "[loki]") {
  // Read from the config file's folder, as every other path of the file is,
  // not from wherever sluice was started.
  sluice::test::TempDir conf_dir;
  auto pki = sluice::test::make_test_pki(conf_dir.path());
  std::filesystem::copy_file(pki.ca_crt, std::filesystem::path(conf_dir.path()) / "loki-ca.pem");
  BuildContext ctx;
  ctx.base_dir = conf_dir.path();
  auto c = config_of("tls: on\ntls.ca_file: loki-ca.pem", ctx);
  CHECK(c.http.client.tls.ca_file == conf_dir.file("loki-ca.pem"));
  CHECK(config_error("tls: on\ntls.ca_file: missing.pem", ctx)
            .find("key 'tls.ca_file': cannot read " + conf_dir.file("missing.pem")) != std::string::npos);
}

TEST_CASE("loki config: errors", "[loki]") {
  CHECK(has_error("uri: loki/api/v1/push", "key 'uri': must start with '/', e.g. /loki/api/v1/push"));
  CHECK(has_error("labels: job", "key 'labels': 'job' is neither name=value nor a $record_accessor"));
  CHECK(has_error("labels: job=a, job=$b", "key 'labels': label 'job' is set twice"));
  CHECK(has_error("labels: $app\nlabel_keys: app", "key 'label_keys': label 'app' is set twice"));
  CHECK(has_error("label_keys: $a[", "key 'label_keys': invalid record accessor '$a['"));
  CHECK(has_error("structured_metadata: trace", "key 'structured_metadata': 'trace' is neither name=value"));
  CHECK(has_error("structured_metadata_map_keys: k8s",
                  "key 'structured_metadata_map_keys': 'k8s' must be a record accessor starting with '$'"));
  CHECK(has_error("remove_keys: $a['b", "key 'remove_keys': invalid record accessor"));
  CHECK(has_error("tenant_id_key: $t[", "key 'tenant_id_key': invalid record accessor"));
  CHECK(has_error("drop_single_key: maybe", "key 'drop_single_key': expected on, off or raw, got 'maybe'"));
  CHECK(has_error("line_format: logfmt", "line_format"));
  CHECK(has_error("format: msgpack", "format"));
  CHECK(has_error("compress: gzip",
                  "key 'compress': gzip applies to format json; the protobuf body is snappy-compressed already"));
  CHECK(has_error("bearer_token: t\nhttp_user: u\nhttp_passwd: p",
                  "key 'bearer_token': set either bearer_token or http_user/http_passwd, not both"));
  CHECK(has_error("lables: job=x", "did you mean 'labels'?"));
}

TEST_CASE("loki answers: delivered, permanent, retried", "[loki]") {
  using namespace std::chrono_literals;
  CHECK(classify_push_answer(answer(204)).outcome == Outcome::Delivered);
  CHECK(classify_push_answer(answer(200)).outcome == Outcome::Delivered);

  std::string loki_400 =
      "entry with timestamp 2026-11-21 00:00:00 +0000 UTC ignored, reason: 'entry too far behind, oldest acceptable "
      "timestamp is: 2026-11-21T09:00:00Z' for stream: {job=\"sluice\"},\ntotal ignored: 1 out of 2\n";
  auto bad = classify_push_answer(answer(400, loki_400));
  CHECK(bad.outcome == Outcome::Permanent);
  CHECK(bad.reason == "HTTP 400 from Loki: " + loki_400.substr(0, loki_400.size() - 1));
  CHECK(classify_push_answer(answer(400)).reason == "HTTP 400 from Loki: (no reason given)");
  auto huge = classify_push_answer(answer(400, std::string(5000, 'x')));
  CHECK(huge.reason.size() < 1100);

  auto limited = classify_push_answer(answer(429, "Ingestion rate limit exceeded", 3s));
  CHECK(limited.outcome == Outcome::Retry);
  CHECK(limited.retry_after == std::optional<std::chrono::milliseconds>(3s));
  CHECK(limited.reason == "HTTP 429 from Loki: Ingestion rate limit exceeded");
  CHECK(classify_push_answer(answer(500, "internal")).outcome == Outcome::Retry);
  CHECK(classify_push_answer(answer(503)).outcome == Outcome::Retry);
  CHECK(classify_push_answer(answer(0)).outcome == Outcome::Retry);
  CHECK(classify_push_answer(answer(401, "no org id")).outcome == Outcome::Permanent);
  CHECK(classify_push_answer(answer(401, "no org id")).reason == "HTTP 401 from Loki: no org id");
}

}  // namespace SLUICE_UNITY_ID
