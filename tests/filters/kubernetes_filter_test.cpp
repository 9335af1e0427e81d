// The kubernetes filter's pieces: tags, the `kubernetes` map from a Pod
// object, the fluentbit.io/ annotations, merge_log, and the filter without
// a network (use_tag_for_meta, dummy_meta, a preload folder). The API
// server itself is tested end to end (tests/e2e/kubernetes_e2e_test.cpp).
#include <catch2/catch.hpp>

#include "agent/json_writer.hpp"
#include "agent/parse/json_format.hpp"
#include "agent/parse/parser.hpp"
#include "filters/kubernetes/kube_metadata.hpp"
#include "filters/kubernetes/kube_record.hpp"
#include "filters/kubernetes/kube_tag.hpp"
#include "filters/kubernetes/kubernetes_filter.hpp"
#include "tests/filters/filter_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::kube;
using sluice::testing::FilterHarness;

const std::string kId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kTag = "kube.var.log.containers.web-7d9c-x2b4q_shop_app-" + kId + ".log";

// A Pod as the API server answers it (abridged).
const char* kPod = R"({"kind":"Pod","apiVersion":"v1",
 "metadata":{"name":"web-7d9c-x2b4q","namespace":"shop","uid":"9f1c-22","labels":{"app":"web","app.kubernetes.io/part-of":"shop"},
   "annotations":{"prometheus.io/scrape":"true"},
   "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-7d9c","uid":"aa-1","controller":true}]},
 "spec":{"nodeName":"node-3","containers":[{"name":"app","image":"shop/web:1.4"}]},
 "status":{"podIP":"10.1.2.3",
   "initContainerStatuses":[{"name":"init","containerID":"containerd://1111","imageID":"docker.io/busybox@sha256:01","image":"busybox:1"}],
   "containerStatuses":[{"name":"sidecar","containerID":"containerd://2222","imageID":"sha256:02","image":"envoy:1"},
                        {"name":"app","containerID":"containerd://3333","imageID":"docker.io/shop/web@sha256:03","image":"docker.io/shop/web:1.4"}]}})";

Value parse(std::string_view text, Arena& arena) {
  Value v;
  REQUIRE(make_json_format()->parse(text, arena, v));
  return v;
}

PodRef app_ref() {
  TagReader reader("kube.var.log.containers.", nullptr);
  auto ref = reader.read(kTag);
  REQUIRE(ref);
  return *ref;
}

TEST_CASE("kubernetes: the tag of a /var/log/containers file names its pod, namespace, container and id",
          "[kubernetes]") {
  PodRef ref = app_ref();
  CHECK(ref.pod_name == "web-7d9c-x2b4q");
  CHECK(ref.namespace_name == "shop");
  CHECK(ref.container_name == "app");
  CHECK(ref.docker_id == kId);
  CHECK(ref.pod_key() == "shop/web-7d9c-x2b4q");

  TagReader reader("kube.var.log.containers.", nullptr);
  CHECK_FALSE(reader.read("app.web"));                                             // another prefix
  CHECK_FALSE(reader.read("kube.var.log.containers.web_shop_app-123.log"));        // not a 64-character id
  CHECK_FALSE(reader.read("kube.var.log.containers.web_shop_app-" + kId + ".txt"));  // not .log
  // A container name may hold dashes; the id is the last 64 characters.
  auto dashed = reader.read("kube.var.log.containers.api-0_prod_log-shipper-" + kId + ".log");
  REQUIRE(dashed);
  CHECK(dashed->container_name == "log-shipper");
  CHECK(dashed->pod_name == "api-0");
  // A StatefulSet's pod with dots in its name (a DNS subdomain).
  auto dotted = reader.read("kube.var.log.containers.db.primary-0_data_pg-" + kId + ".log");
  REQUIRE(dotted);
  CHECK(dotted->pod_name == "db.primary-0");

  TagReader custom("k8s.", nullptr);
  CHECK(custom.read("k8s.web_shop_app-" + kId + ".log"));
}

TEST_CASE("kubernetes: strip_scheme takes a container id's or image id's runtime scheme off", "[kubernetes]") {
  CHECK(strip_scheme("containerd://3333") == "3333");
  CHECK(strip_scheme("docker://abc") == "abc");
  CHECK(strip_scheme("cri-o://x") == "x");
  CHECK(strip_scheme("docker-pullable://fluent/fluent-bit@sha256:7a") == "fluent/fluent-bit@sha256:7a");
  CHECK(strip_scheme("sha256:abcd") == "sha256:abcd");
  CHECK(strip_scheme("docker.io/library/nginx@sha256:01") == "docker.io/library/nginx@sha256:01");
  CHECK(strip_scheme("") == "");
}

TEST_CASE("kubernetes: the kubernetes map holds the pod's metadata in Fluent Bit's order", "[kubernetes]") {
  Arena arena;
  Value pod = parse(kPod, arena);
  PodRef ref = app_ref();
  MapOptions all;
  all.owner_references = true;
  CHECK(json::to_string(kubernetes_map(ref, &pod, all, arena)) ==
        R"({"pod_name":"web-7d9c-x2b4q","namespace_name":"shop","pod_id":"9f1c-22",)"
        R"("labels":{"app":"web","app.kubernetes.io/part-of":"shop"},"annotations":{"prometheus.io/scrape":"true"},)"
        R"("ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-7d9c","uid":"aa-1","controller":true}],)"
        R"("host":"node-3","pod_ip":"10.1.2.3","container_name":"app","docker_id":")" + kId +
            R"(","container_hash":"docker.io/shop/web@sha256:03","container_image":"docker.io/shop/web:1.4"})");

  SECTION("the cache keeps only what the map and the annotations read") {
    Arena big;
    std::string with_extras = std::string(kPod);
    with_extras.insert(with_extras.find("\"labels\""),
                       R"("managedFields":[{"manager":"kubelet","fieldsV1":{"f:status":{"f:conditions":{}}}}],)");
    Value full = parse(with_extras, big);
    Arena small;
    Value trimmed = trimmed_pod(full, small);
    CHECK(json::to_string(kubernetes_map(ref, &trimmed, all, arena)) ==
          json::to_string(kubernetes_map(ref, &full, all, arena)));
    CHECK(json::to_string(trimmed).find("managedFields") == std::string::npos);
    CHECK(json::to_string(trimmed).find("\"containers\"") == std::string::npos);  // spec's containers
    CHECK(small.used() < big.used());
  }
  SECTION("labels, annotations and ownerReferences can be left out") {
    MapOptions none;
    none.labels = false;
    none.annotations = false;
    std::string out = json::to_string(kubernetes_map(ref, &pod, none, arena));
    CHECK(out.find("labels") == std::string::npos);
    CHECK(out.find("annotations") == std::string::npos);
    CHECK(out.find("ownerReferences") == std::string::npos);
    CHECK(out.find(R"("host":"node-3")") != std::string::npos);
  }
  SECTION("an init container is found too; without an id in the tag the status's is taken") {
    PodRef init = ref;
    init.container_name = "init";
    init.docker_id.clear();
    std::string out = json::to_string(kubernetes_map(init, &pod, MapOptions{}, arena));
    CHECK(out.find(R"("container_name":"init","docker_id":"1111","container_hash":"docker.io/busybox@sha256:01","container_image":"busybox:1")") !=
          std::string::npos);
  }
  SECTION("a container the pod doesn't list gets no hash or image; no pod gives the tag's names") {
    PodRef gone = ref;
    gone.container_name = "old";
    std::string out = json::to_string(kubernetes_map(gone, &pod, MapOptions{}, arena));
    CHECK(out.find("container_hash") == std::string::npos);
    CHECK(out.find("container_image") == std::string::npos);
    CHECK(json::to_string(kubernetes_map(ref, nullptr, MapOptions{}, arena)) ==
          R"({"pod_name":"web-7d9c-x2b4q","namespace_name":"shop","container_name":"app","docker_id":")" + kId + R"("})");
  }
}

TEST_CASE("kubernetes: a pod is found by exact name in the kubelet's pod list", "[kubernetes]") {
  Arena arena;
  Value list = parse(R"({"kind":"PodList","items":[{"metadata":{"name":"web-1","namespace":"shop"}},)"
                     R"({"metadata":{"name":"web","namespace":"other"}},{"metadata":{"name":"web","namespace":"shop","uid":"u"}}]})",
                     arena);
  const Value* pod = find_pod_in_list(list, "shop", "web");
  REQUIRE(pod != nullptr);
  CHECK(json::to_string(*pod) == R"({"metadata":{"name":"web","namespace":"shop","uid":"u"}})");
  CHECK(find_pod_in_list(list, "shop", "we") == nullptr);  // no prefix match
}

TEST_CASE("kubernetes: the namespace map holds its name and, when asked, labels and annotations", "[kubernetes]") {
  Arena arena;
  Value ns = parse(R"({"metadata":{"name":"shop","labels":{"team":"a"},"annotations":{"owner":"b"}}})", arena);
  CHECK(json::to_string(namespace_map("shop", &ns, true, false, arena)) == R"({"name":"shop","labels":{"team":"a"}})");
  CHECK(json::to_string(namespace_map("shop", &ns, true, true, arena)) ==
        R"({"name":"shop","labels":{"team":"a"},"annotations":{"owner":"b"}})");
  CHECK(json::to_string(namespace_map("shop", nullptr, true, true, arena)) == R"({"name":"shop"})");
}

LogProps props_of(std::string_view annotations, std::string_view container, bool parser = true, bool exclude = true,
                  std::vector<std::string>* warnings = nullptr) {
  Arena arena;
  Value pod = parse(std::string(R"({"metadata":{"annotations":)") + std::string(annotations) + "}}", arena);
  return log_props(
      &pod, container, parser, exclude, [](std::string_view name) { return name == "nginx" || name == "json" || name == "apache"; },
      [&](const std::string& w) {
        if (warnings) warnings->push_back(w);
      });
}

TEST_CASE("kubernetes: fluentbit.io/ annotations choose a parser or exclude a pod's logs, per stream and container",
          "[kubernetes]") {
  LogProps p = props_of(R"({"fluentbit.io/parser":"nginx","fluentbit.io/exclude_stderr":"true"})", "app");
  CHECK(p.parser("stdout") == "nginx");
  CHECK(p.parser("stderr") == "nginx");
  CHECK(p.parser("") == "nginx");  // the same for both streams: a record without one gets it too
  CHECK_FALSE(p.excluded("stdout"));
  CHECK(p.excluded("stderr"));
  CHECK_FALSE(p.excluded(""));  // only when both streams are excluded

  SECTION("a container's own annotation overrides the pod's; another container's is ignored") {
    LogProps q = props_of(R"({"fluentbit.io/parser-app":"apache","fluentbit.io/parser":"nginx","fluentbit.io/parser-db":"json"})",
                          "app");
    CHECK(q.parser("stdout") == "apache");
    LogProps r = props_of(R"({"fluentbit.io/parser":"nginx","fluentbit.io/parser_stderr-app":"json"})", "app");
    CHECK(r.parser("stdout") == "nginx");
    CHECK(r.parser("stderr") == "json");
    CHECK(r.parser("") == "");  // they differ
  }
  SECTION("among the pod's own annotations the first one wins") {
    LogProps q = props_of(R"({"fluentbit.io/parser":"nginx","fluentbit.io/parser_stdout":"json"})", "app");
    CHECK(q.parser("stdout") == "nginx");
  }
  SECTION("exclude reads true, on and yes in any case; anything else is false") {
    CHECK(props_of(R"({"fluentbit.io/exclude":"TRUE"})", "app").excluded(""));
    CHECK(props_of(R"({"fluentbit.io/exclude":"yes"})", "app").excluded("stdout"));
    CHECK_FALSE(props_of(R"({"fluentbit.io/exclude":"1"})", "app").excluded("stdout"));
  }
  SECTION("not allowed, malformed or naming an unknown parser: ignored with a warning") {
    std::vector<std::string> w;
    LogProps q = props_of(R"({"fluentbit.io/parser":"nginx","fluentbit.io/exclude":"true","fluentbit.io/excludes":"true",)"
                          R"("fluentbit.io/parser_stdout-app":"nope","fluentbit.io/other":"x","other.io/parser":"json"})",
                          "app", /*parser=*/true, /*exclude=*/false, &w);
    CHECK(q.parser("stdout") == "nginx");
    CHECK_FALSE(q.excluded(""));
    REQUIRE(w.size() == 4);
    CHECK(w[0] == "annotation 'fluentbit.io/exclude' is not allowed (k8s-logging.exclude is off): ignored");
    CHECK(w[1].find("'fluentbit.io/excludes' is malformed") != std::string::npos);
    CHECK(w[2] == "annotation 'fluentbit.io/parser_stdout-app' names parser 'nope', which is not defined: ignored");
    CHECK(w[3].find("'fluentbit.io/other' is not one of") != std::string::npos);
  }
}

TEST_CASE("kubernetes: merge_log_trim cuts trailing newlines, raw or escaped", "[kubernetes]") {
  CHECK(trim_newlines("text\n") == "text");
  CHECK(trim_newlines("text\r\n") == "text");
  CHECK(trim_newlines("text\\n") == "text");
  CHECK(trim_newlines("text\\r\\n\n") == "text");
  CHECK(trim_newlines("a\nb") == "a\nb");
  CHECK(trim_newlines("\n") == "");
}

struct Enriched {
  std::string record;
  int64_t time_ns;
  Merged merged;
};

Enriched run_enrich(std::string_view record, const MergeSettings& settings, const Parser* parser = nullptr) {
  Arena arena;
  Event e{7, parse(record, arena)};
  Value k8s = parse(R"({"pod_name":"p"})", arena);
  std::vector<Member> scratch;
  auto json = make_json_format();
  Merged m = enrich(e, arena, settings, parser, *json, k8s, Value(), scratch);
  return {json::to_string(e.record), e.time_ns, m};
}

TEST_CASE("kubernetes: merge_log adds the fields of a JSON log line to its record", "[kubernetes]") {
  MergeSettings on;
  on.merge_log = true;
  Enriched r = run_enrich(R"({"log":"{\"level\":\"warn\",\"msg\":\"slow\\n\",\"n\":{\"a\":\"x\\n\"}}\n","stream":"stdout"})", on);
  CHECK(r.merged == Merged::Merged);
  CHECK(r.record ==
        R"({"log":"{\"level\":\"warn\",\"msg\":\"slow\\n\",\"n\":{\"a\":\"x\\n\"}}\n","stream":"stdout","level":"warn","msg":"slow","n":{"a":"x\n"},"kubernetes":{"pod_name":"p"}})");
  CHECK(r.time_ns == 7);

  SECTION("keep_log off drops log once merged, and only then") {
    MergeSettings drop = on;
    drop.keep_log = false;
    CHECK(run_enrich(R"({"log":"{\"a\":1}","stream":"stdout"})", drop).record ==
          R"({"stream":"stdout","a":1,"kubernetes":{"pod_name":"p"}})");
    Enriched text = run_enrich(R"({"log":"plain text","stream":"stdout"})", drop);
    CHECK(text.merged == Merged::NotParsed);
    CHECK(text.record == R"({"log":"plain text","stream":"stdout","kubernetes":{"pod_name":"p"}})");
  }
  SECTION("merge_log_key nests the fields; an empty object adds nothing") {
    MergeSettings nest = on;
    nest.merge_log_key = "app";
    CHECK(run_enrich(R"({"log":"{\"a\":\"x\\n\"}"})", nest).record == R"({"log":"{\"a\":\"x\\n\"}","app":{"a":"x"},"kubernetes":{"pod_name":"p"}})");
    CHECK(run_enrich(R"({"log":"{}"})", nest).record == R"({"log":"{}","kubernetes":{"pod_name":"p"}})");
  }
  SECTION("only one JSON object merges: arrays, strings and text after the object don't") {
    CHECK(run_enrich(R"({"log":"[1,2]"})", on).merged == Merged::NotParsed);
    CHECK(run_enrich(R"({"log":"\"s\""})", on).merged == Merged::NotParsed);
    CHECK(run_enrich(R"({"log":"{\"a\":1} {\"b\":2}"})", on).merged == Merged::NotParsed);
  }
  SECTION("a log that is already a map merges as it is; no log, nothing to merge") {
    Enriched m = run_enrich(R"({"log":{"a":"x\n"}})", on);
    CHECK(m.merged == Merged::Merged);
    CHECK(m.record == R"({"log":{"a":"x\n"},"a":"x\n","kubernetes":{"pod_name":"p"}})");
    CHECK(run_enrich(R"({"message":"x"})", on).merged == Merged::NoLog);
  }
  SECTION("a merged key replaces the record's own, and a record's kubernetes key is replaced") {
    CHECK(run_enrich(R"({"log":"{\"stream\":\"mine\"}","stream":"stdout","kubernetes":1})", on).record ==
          R"({"log":"{\"stream\":\"mine\"}","stream":"mine","kubernetes":{"pod_name":"p"}})");
  }
  SECTION("merge_log off: the map is added, log is left alone") {
    Enriched off = run_enrich(R"({"log":"{\"a\":1}"})", MergeSettings{});
    CHECK(off.merged == Merged::NotAsked);
    CHECK(off.record == R"({"log":"{\"a\":1}","kubernetes":{"pod_name":"p"}})");
  }
}

TEST_CASE("kubernetes: merge_log with a parser takes the parser's fields and its time", "[kubernetes]") {
  test::TempDir dir;
  test::write_file(dir.file("p.yaml"),
                   "parsers:\n  - name: access\n    format: regex\n    regex: '^(?<host>\\S+) (?<code>\\d+) (?<time>\\S+)$'\n"
                   "    time_key: time\n    time_format: '%Y-%m-%dT%H:%M:%S'\n    types: code:integer\n"
                   "pipeline:\n  inputs:\n    - name: dummy\n  outputs:\n    - name: null\n");
  config::PipelineConfig cfg = config::load_file(dir.file("p.yaml"));
  ParserSet parsers = ParserSet::build(cfg.parsers);
  const Parser* access = parsers.find("access");
  REQUIRE(access != nullptr);
  MergeSettings on;
  on.merge_log = true;
  on.keep_log = false;
  Enriched r = run_enrich(R"({"log":"10.0.0.1 200 2026-12-07T10:00:00\n","stream":"stdout"})", on, access);
  CHECK(r.merged == Merged::Merged);
  CHECK(r.record == R"({"stream":"stdout","host":"10.0.0.1","code":200,"kubernetes":{"pod_name":"p"}})");
  CHECK(r.time_ns == 1796637600LL * 1000000000LL);
  CHECK(run_enrich(R"({"log":"not an access line"})", on, access).merged == Merged::NotParsed);
}

TEST_CASE("kubernetes: use_tag_for_meta gives each record its tag's names, with no lookup", "[kubernetes]") {
  FilterHarness h(kubernetes_filter_schema(), make_kubernetes_filter, "use_tag_for_meta: on\nmerge_log: on\n");
  Chunk chunk(kTag);
  auto json = make_json_format();
  for (const char* text : {R"({"log":"{\"a\":1}\n","stream":"stdout"})", R"({"log":"x","stream":"stderr"})"}) {
    Value v;
    REQUIRE(json->parse(text, chunk.arena, v));
    chunk.events.push_back(Event{1, v});
  }
  h.filter->filter(chunk);
  REQUIRE(chunk.events.size() == 2);
  const std::string names = R"("kubernetes":{"pod_name":"web-7d9c-x2b4q","namespace_name":"shop","container_name":"app","docker_id":")" + kId + R"("}})";
  CHECK(json::to_string(chunk.events[0].record) == R"({"log":"{\"a\":1}\n","stream":"stdout","a":1,)" + names);
  CHECK(json::to_string(chunk.events[1].record) == R"({"log":"x","stream":"stderr",)" + names);
  // Each record has its own map: changing one in place leaves the other alone.
  CHECK(chunk.events[0].record.find("kubernetes")->members().data() !=
        chunk.events[1].record.find("kubernetes")->members().data());
  CHECK(h.ctx.counter("sluice_filter_kubernetes_records_total") == 2);
  CHECK(h.ctx.counter("sluice_filter_kubernetes_merged_records_total") == 1);
  CHECK(h.ctx.counter("sluice_filter_kubernetes_merge_failures_total") == 1);

  SECTION("a tag that names no pod passes unchanged, counted") {
    Chunk other("app.web");
    Value v;
    REQUIRE(json->parse(R"({"log":"{\"a\":1}"})", other.arena, v));
    other.events.push_back(Event{1, v});
    h.filter->filter(other);
    CHECK(json::to_string(other.events[0].record) == R"({"log":"{\"a\":1}"})");
    CHECK(h.ctx.counter("sluice_filter_kubernetes_unmatched_records_total") == 1);
  }
}

TEST_CASE("kubernetes: dummy_meta adds a dummy map to every record", "[kubernetes]") {
  FilterHarness h(kubernetes_filter_schema(), make_kubernetes_filter, "dummy_meta: on\n");
  auto out = h.run({R"({"log":"x"})"});
  REQUIRE(out.size() == 1);
  CHECK_THAT(out[0], Catch::StartsWith(R"({"log":"x","kubernetes":{"dummy":")"));
}

TEST_CASE("kubernetes: a preload folder's pod file answers without the API server, and the chunk is held until then",
          "[kubernetes]") {
  test::TempDir dir;
  test::write_file(dir.file("shop_web-7d9c-x2b4q.meta"), kPod);
  FilterHarness h(kubernetes_filter_schema(), make_kubernetes_filter,
                  "kube_meta_preload_cache_dir: " + dir.path() +
                      "\nkube_url: http://127.0.0.1:9\nkube_token_file: " + dir.file("none") +
                      "\nk8s-logging.exclude: on\n");
  auto make = [&](std::vector<const char*> records) {
    auto chunk = std::make_unique<Chunk>(kTag);
    auto json = make_json_format();
    for (const char* text : records) {
      Value v;
      REQUIRE(json->parse(text, chunk->arena, v));
      chunk->events.push_back(Event{1, v});
    }
    return chunk;
  };
  auto first = make({R"({"log":"a","stream":"stdout"})"});
  h.filter->filter(*first);
  CHECK(first->events.empty());  // held behind the lookup
  auto second = make({R"({"log":"b","stream":"stdout"})"});
  h.filter->filter(*second);
  CHECK(second->events.empty());  // held behind the first, in order
  h.ctx.io().run_for(std::chrono::seconds(5));
  REQUIRE(h.ctx.emitted.size() == 2);
  CHECK_THAT(json::to_string(h.ctx.emitted[0]->events.at(0).record),
             Catch::StartsWith(R"({"log":"a","stream":"stdout","kubernetes":{"pod_name":"web-7d9c-x2b4q","namespace_name":"shop","pod_id":"9f1c-22",)"));
  CHECK(json::to_string(h.ctx.emitted[1]->events.at(0).record).find(R"("log":"b")") != std::string::npos);
  // Now cached: enriched in place.
  auto third = make({R"({"log":"c","stream":"stdout"})"});
  h.filter->filter(*third);
  REQUIRE(third->events.size() == 1);
  CHECK(json::to_string(third->events[0].record).find(R"("host":"node-3")") != std::string::npos);
  CHECK(h.ctx.counter("sluice_filter_kubernetes_lookups_total") == 1);
}

TEST_CASE("kubernetes: records held for a lookup go on at shutdown with their tag's names", "[kubernetes]") {
  test::TempDir dir;
  // Nothing listens on port 9 of 127.0.0.1: the lookup is still connecting when flush() comes.
  FilterHarness h(kubernetes_filter_schema(), make_kubernetes_filter,
                  "kube_url: http://127.0.0.1:9\nkube_token_file: " + dir.file("none") + "\n");
  Chunk chunk(kTag);
  Value v;
  REQUIRE(make_json_format()->parse(R"({"log":"a"})", chunk.arena, v));
  chunk.events.push_back(Event{1, v});
  h.filter->filter(chunk);
  CHECK(chunk.events.empty());
  h.filter->flush();
  REQUIRE(h.ctx.emitted.size() == 1);
  CHECK(json::to_string(h.ctx.emitted[0]->events.at(0).record) ==
        R"({"log":"a","kubernetes":{"pod_name":"web-7d9c-x2b4q","namespace_name":"shop","container_name":"app","docker_id":")" + kId + R"("}})");
}

TEST_CASE("kubernetes: past 16 MiB of records waiting for lookups, a waiting pod's records go on in order",
          "[kubernetes]") {
  test::TempDir dir;
  FilterHarness h(kubernetes_filter_schema(), make_kubernetes_filter,
                  "kube_url: http://127.0.0.1:9\nkube_token_file: " + dir.file("none") + "\n");
  auto make = [&](const char* text, size_t first_block) {
    auto chunk = std::make_unique<Chunk>(kTag, first_block);
    Value v;
    REQUIRE(make_json_format()->parse(text, chunk->arena, v));
    chunk->events.push_back(Event{1, v});
    return chunk;
  };
  auto small = make(R"({"log":"first"})", 4096);
  h.filter->filter(*small);
  CHECK(small->events.empty());  // waits for the lookup (the io_context isn't run)
  auto big = make(R"({"log":"second"})", size_t{17} << 20);
  h.filter->filter(*big);
  // The first went on first, then the second, both with the tag's names.
  REQUIRE(h.ctx.emitted.size() == 1);
  CHECK_THAT(json::to_string(h.ctx.emitted[0]->events.at(0).record),
             Catch::StartsWith(R"({"log":"first","kubernetes":{"pod_name":"web-7d9c-x2b4q")"));
  REQUIRE(big->events.size() == 1);
  CHECK_THAT(json::to_string(big->events[0].record),
             Catch::StartsWith(R"({"log":"second","kubernetes":{"pod_name":"web-7d9c-x2b4q")"));
}

TEST_CASE("kubernetes: configuration errors say what is wrong", "[kubernetes]") {
  using sluice::testing::config_error;
  CHECK_THAT(config_error(kubernetes_filter_schema(), make_kubernetes_filter, "use_journal: on\n"),
             Catch::Contains("journald mode is not supported"));
  CHECK_THAT(config_error(kubernetes_filter_schema(), make_kubernetes_filter, "merge_parser: nope\n"),
             Catch::Contains("unknown parser 'nope'; known parsers: "));
  CHECK_THAT(config_error(kubernetes_filter_schema(), make_kubernetes_filter, "regex_parser: nope\n"),
             Catch::Contains("unknown parser 'nope'"));
  CHECK_THAT(config_error(kubernetes_filter_schema(), make_kubernetes_filter, "kube_url: kubernetes.default.svc\n"),
             Catch::Contains("kube_url") && Catch::Contains("expects http(s)://host[:port]"));
  CHECK_THAT(config_error(kubernetes_filter_schema(), make_kubernetes_filter,
                          "namespace_metadata_only: on\n"),
             Catch::Contains("set namespace_labels or namespace_annotations too"));
  CHECK_THAT(config_error(kubernetes_filter_schema(), make_kubernetes_filter, "kube_ca_file: /nonexistent/ca.crt\n"),
             Catch::Contains("/nonexistent/ca.crt"));
  CHECK_THAT(config_error(kubernetes_filter_schema(), make_kubernetes_filter, "merge_lgo: on\n"),
             Catch::Contains("did you mean 'merge_log'"));
}

TEST_CASE("kubernetes: Fluent Bit's classic [FILTER] section of its DaemonSet configuration loads", "[kubernetes]") {
  config::ComponentConfig cfg = sluice::testing::classic_filter(
      "kubernetes",
      "    Kube_URL            https://kubernetes.default.svc:443\n"
      "    Kube_Tag_Prefix     kube.var.log.containers.\n"
      "    Merge_Log           On\n"
      "    Merge_Log_Key       log_processed\n"
      "    Keep_Log            Off\n"
      "    K8S-Logging.Parser  On\n"
      "    K8S-Logging.Exclude On\n"
      "    Buffer_Size         0\n"
      "    Labels              On\n"
      "    Annotations         Off\n");
  CHECK(cfg.get_bool("merge_log"));
  CHECK(cfg.get_string("merge_log_key") == "log_processed");
  CHECK_FALSE(cfg.get_bool("keep_log"));
  CHECK(cfg.get_bool("k8s-logging.parser"));
  CHECK(cfg.get_bool("k8s-logging.exclude"));
  CHECK_FALSE(cfg.get_bool("annotations"));
}

}  // namespace SLUICE_UNITY_ID
