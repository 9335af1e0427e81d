// Records into Loki streams: grouping by label set, stable time order within
// a stream, the line (json / key_value, label and remove_keys left out,
// drop_single_key) and structured metadata.
#include "tests/outputs/loki_test_support.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::loki;
using loki_test::Built;
using loki_test::chunk_of;

using Lines = std::vector<std::string>;
using Pairs = std::vector<std::pair<std::string, std::string>>;

namespace {

Lines lines_of(const std::string& yaml, const char* record) { return Built(yaml, chunk_of({{1, record}})).lines(); }

}  // namespace

TEST_CASE("loki streams: grouped by label set, sorted by time, stable", "[loki]") {
  auto chunk = chunk_of({{30, R"({"level":"info","n":1})"},
                         {10, R"({"level":"warn","n":2})"},
                         {20, R"({"level":"info","n":3})"},
                         {10, R"({"level":"info","n":4})"},
                         {20, R"({"level":"info","n":5})"},
                         {5, R"({"n":6})"}});
  Built b("labels: job=web, $level", chunk);
  REQUIRE(b.batch.streams.size() == 3);
  // Streams in order of first appearance; a record without `level` has only job.
  CHECK(b.batch.streams[0].selector == R"({job="web", level="info"})");
  CHECK(b.batch.streams[1].selector == R"({job="web", level="warn"})");
  CHECK(b.batch.streams[2].selector == R"({job="web"})");
  const auto& info = b.batch.streams[0];
  CHECK(info.first == 0);
  CHECK(info.count == 4);
  // Ascending time; records with equal times keep their order (n 3 before n 5).
  Lines info_lines;
  for (uint32_t i = info.first; i < info.first + info.count; ++i) info_lines.push_back(b.line(i));
  CHECK(info_lines == Lines{R"({"n":4})", R"({"n":3})", R"({"n":5})", R"({"n":1})"});
  CHECK(b.batch.entries[info.first].time_ns == 10);
  CHECK(b.line(b.batch.streams[1].first) == R"({"n":2})");
  CHECK(b.line(b.batch.streams[2].first) == R"({"n":6})");
}

TEST_CASE("loki streams: fixed labels make one stream, the default is job=sluice", "[loki]") {
  auto chunk = chunk_of({{1, R"({"a":1})"}, {2, R"({"a":2})"}, {2, R"({"a":3})"}});
  Built fixed("labels: job=web, env=prod", chunk);
  REQUIRE(fixed.batch.streams.size() == 1);
  CHECK(fixed.batch.streams[0].selector == R"({env="prod", job="web"})");
  CHECK(fixed.batch.streams[0].labels == Pairs{{"env", "prod"}, {"job", "web"}});
  CHECK(fixed.lines() == Lines{R"({"a":1})", R"({"a":2})", R"({"a":3})"});

  Built plain("", chunk);
  REQUIRE(plain.batch.streams.size() == 1);
  CHECK(plain.batch.streams[0].selector == R"({job="sluice"})");
}

TEST_CASE("loki lines: json without the label and removed keys", "[loki]") {
  const char* record = R"({"level":"info","msg":"hi","k8s":{"ns":"prod","pod":"p1"},"tags":["a","b"],"n":1.5})";
  CHECK(lines_of("", record) == Lines{record});
  CHECK(lines_of("labels: $level", record) == Lines{R"({"msg":"hi","k8s":{"ns":"prod","pod":"p1"},"tags":["a","b"],"n":1.5})"});
  CHECK(lines_of("labels: ns=$k8s['ns']\nremove_keys: n, $tags[0]", record) ==
        Lines{R"({"level":"info","msg":"hi","k8s":{"pod":"p1"},"tags":["b"]})"});
  CHECK(lines_of("label_keys: $k8s['ns'], level\nremove_keys: $k8s['pod'], missing", record) ==
        Lines{R"({"msg":"hi","k8s":{},"tags":["a","b"],"n":1.5})"});
}

TEST_CASE("loki lines: key_value", "[loki]") {
  const char* record = R"({"level":"info","msg":"say \"hi\"\n","n":42,"ok":false,"none":null,"m":{"a":"x"},"arr":[1,2]})";
  CHECK(lines_of("line_format: key_value", record) ==
        Lines{R"(level="info" msg="say \"hi\"\n" n=42 ok=false none=null m="{\"a\":\"x\"}" arr="[1,2]")"});
  CHECK(lines_of("line_format: key_value\nlabels: $level\nremove_keys: $m['a'], arr, none, ok", record) ==
        Lines{R"(msg="say \"hi\"\n" n=42 m="{}")"});
}

TEST_CASE("loki lines: drop_single_key", "[loki]") {
  const char* record = R"({"level":"info","log":"the \"message\""})";
  CHECK(lines_of("labels: $level\ndrop_single_key: off", record) == Lines{R"({"log":"the \"message\""})"});
  CHECK(lines_of("labels: $level\ndrop_single_key: on", record) == Lines{R"("the \"message\"")"});
  CHECK(lines_of("labels: $level\ndrop_single_key: raw", record) == Lines{R"(the "message")"});
  CHECK(lines_of("labels: $level\ndrop_single_key: on\nline_format: key_value", record) == Lines{R"(the "message")"});
  // A single non-string value is its JSON text; two keys left are a record.
  CHECK(lines_of("drop_single_key: raw", R"({"n":{"a":1}})") == Lines{R"({"a":1})"});
  CHECK(lines_of("drop_single_key: on\nline_format: key_value", R"({"n":7})") == Lines{"7"});
  CHECK(lines_of("drop_single_key: raw", record) == Lines{record});
}

TEST_CASE("loki structured metadata", "[loki]") {
  const char* record =
      R"({"msg":"hi","trace":"abc","span":7,"k8s":{"pod":"p1","ns":"prod","ids":[1]},"level":"info"})";
  Built b("structured_metadata: trace_id=$trace, $span, cluster=eu1, $missing\nlabels: $level", chunk_of({{1, record}}));
  CHECK(b.metadata(0) == Pairs{{"trace_id", "abc"}, {"span", "7"}, {"cluster", "eu1"}});
  // Keys read into metadata and labels are not repeated in the line.
  CHECK(b.line(0) == R"({"msg":"hi","k8s":{"pod":"p1","ns":"prod","ids":[1]}})");

  SECTION("map keys: every entry of the map, non-strings as JSON; structured_metadata wins") {
    Built m("structured_metadata_map_keys: $k8s\nstructured_metadata: pod=override", chunk_of({{1, record}}));
    CHECK(m.metadata(0) == Pairs{{"pod", "override"}, {"ns", "prod"}, {"ids", "[1]"}});
    CHECK(m.line(0) == R"({"msg":"hi","trace":"abc","span":7,"level":"info"})");
  }
  SECTION("records without metadata values have none") {
    Built none("structured_metadata: $nope", chunk_of({{1, record}}));
    CHECK(none.metadata(0).empty());
  }
}

TEST_CASE("loki streams: auto_kubernetes_labels adds the pod's labels", "[loki]") {
  // Records as Fluent Bit's kubernetes filter enriches them.
  auto chunk = chunk_of({{1, R"({"log":"a","kubernetes":{"pod_name":"web-1","labels":{"app":"web","app.kubernetes.io/part-of":"shop","tier":"front","replicas":3}}})"},
                         {2, R"({"log":"b","kubernetes":{"labels":{"tier":"front","app":"web","app.kubernetes.io/part-of":"shop"}}})"},
                         {3, R"({"log":"c","kubernetes":{"labels":{"app":"api","job":"from-pod"}}})"},
                         {4, R"({"log":"d"})"}});
  Built b("labels: job=k8s\nauto_kubernetes_labels: on", chunk);
  REQUIRE(b.batch.streams.size() == 4);
  // Names sanitized and in order; a number is not a label (as Fluent Bit: strings only).
  CHECK(b.batch.streams[0].selector == R"({app="web", app_kubernetes_io_part_of="shop", job="k8s", tier="front"})");
  CHECK(b.batch.streams[0].labels ==
        Pairs{{"app", "web"}, {"app_kubernetes_io_part_of", "shop"}, {"job", "k8s"}, {"tier", "front"}});
  // The same labels in another order: the same selector.
  CHECK(b.batch.streams[1].selector == b.batch.streams[0].selector);
  // A configured label wins a clash with a pod's.
  CHECK(b.batch.streams[2].selector == R"({app="api", job="k8s"})");
  CHECK(b.batch.streams[3].selector == R"({job="k8s"})");
  // The map stays in the line.
  CHECK(b.line(b.batch.streams[2].first) == R"({"log":"c","kubernetes":{"labels":{"app":"api","job":"from-pod"}}})");

  Built off("labels: job=k8s", chunk);
  REQUIRE(off.batch.streams.size() == 1);
  CHECK(off.batch.streams[0].selector == R"({job="k8s"})");

  Built alone("auto_kubernetes_labels: on", chunk_of({{1, R"({"log":"x"})"}}));
  CHECK(alone.batch.streams[0].selector == R"({job="sluice"})");
}

}  // namespace SLUICE_UNITY_ID
