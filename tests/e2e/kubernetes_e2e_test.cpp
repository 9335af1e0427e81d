// End to end: container log files named as the kubelet names them, tailed
// with `tag kube.*`, through the kubernetes filter to a file output. The
// API server and the kubelet are tests/peers/kube_apiserver_standin.py, a
// stand-in written from the Kubernetes API reference (no cluster runs here),
// over TLS with a CA of the test's own and a bearer token.
#include <catch2/catch.hpp>

#include <simdjson.h>

#include <filesystem>

#include "tests/outputs/http_test_peers.hpp"
#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

const std::string kWebId(64, 'a');
const std::string kDbId(64, 'b');
const std::string kGoneId(64, 'c');

std::string web_file() { return "web-7d9c-x2b4q_shop_app-" + kWebId + ".log"; }
std::string db_file() { return "db-0_data_postgres-" + kDbId + ".log"; }
std::string gone_file() { return "old-1_shop_app-" + kGoneId + ".log"; }

const char* kPods = R"([
 {"metadata":{"name":"web-7d9c-x2b4q","namespace":"shop","uid":"uid-web","labels":{"app":"web"},
   "annotations":{"fluentbit.io/exclude_stderr":"true","fluentbit.io/parser_stdout":"access"}},
  "spec":{"nodeName":"node-3"},
  "status":{"podIP":"10.1.2.3","containerStatuses":[{"name":"app","containerID":"containerd://aaaa",
     "imageID":"docker.io/shop/web@sha256:01","image":"docker.io/shop/web:1.4"}]}},
 {"metadata":{"name":"db-0","namespace":"data","uid":"uid-db","labels":{"app":"db"}},
  "spec":{"nodeName":"node-3"},
  "status":{"podIP":"10.1.2.4","containerStatuses":[{"name":"postgres","containerID":"containerd://bbbb",
     "imageID":"docker.io/library/postgres@sha256:02","image":"postgres:16"}]}}
])";

const char* kNamespaces = R"([{"metadata":{"name":"shop","labels":{"team":"checkout"}}},
 {"metadata":{"name":"data","labels":{"team":"storage"}}}])";

// A Docker json-file line and a CRI line, as the runtimes write them.
std::string docker_line(const std::string& log, const std::string& stream) {
  std::string escaped;
  for (char c : log) {
    if (c == '"' || c == '\\') escaped += '\\';
    if (c == '\n') {
      escaped += "\\n";
      continue;
    }
    escaped += c;
  }
  return R"({"log":")" + escaped + R"(\n","stream":")" + stream + R"(","time":"2026-12-07T10:00:00.000000001Z"})" + "\n";
}
std::string cri_line(const std::string& log, const std::string& stream) {
  return "2026-12-07T10:00:00.000000002Z " + stream + " F " + log + "\n";
}

struct Cluster {
  TempDir dir;
  std::unique_ptr<PythonPeer> api;
  explicit Cluster(std::vector<std::string> extra = {}) {
    write_file(dir.file("pods.json"), kPods);
    write_file(dir.file("namespaces.json"), kNamespaces);
    write_file(dir.file("token"), "token-1\n");
    write_file(dir.file("accepted-token"), "token-1\n");
    std::filesystem::create_directories(dir.file("containers"));
    const TestPki& pki = shared_test_pki();
    std::vector<std::string> args{"--tls-cert", pki.server_crt, "--tls-key", pki.server_key,
                                  "--token-file", dir.file("accepted-token"), "--pods", dir.file("pods.json"),
                                  "--namespaces", dir.file("namespaces.json"), "--log", dir.file("requests.jsonl"),
                                  "--control", dir.file("control")};
    args.insert(args.end(), extra.begin(), extra.end());
    api = std::make_unique<PythonPeer>("kube_apiserver_standin.py", args);
  }
  std::string pipeline(const std::string& filter_keys, const std::string& service_keys = "") const {
    const TestPki& pki = shared_test_pki();
    return "service:\n  flush: 100ms\n  grace: 5s\n  log_level: info\n" + service_keys +
           "parsers:\n  - name: access\n    format: regex\n    regex: '^(?<remote>\\S+) \"(?<request>[^\"]*)\" (?<code>\\d+)$'\n"
           "    types: code:integer\n"
           "pipeline:\n  inputs:\n    - name: tail\n      path: " + dir.file("containers") + "/*.log\n"
           "      tag: kube.*\n      read_from_head: on\n      refresh_interval: 1\n      multiline.parser: docker, cri\n"
           "  filters:\n    - name: kubernetes\n      match: 'kube.*'\n      kube_url: https://localhost:" +
           std::to_string(api->port()) + "\n      kube_ca_file: " + pki.ca_crt + "\n      kube_token_file: " +
           dir.file("token") + "\n      kube_tag_prefix: kube." + tag_path() + ".\n" + filter_keys +
           "  outputs:\n    - name: file\n      match: '*'\n      path: " + dir.file("out") +
           "\n      file: records.jsonl\n      mkdir: on\n      format: json_lines\n";
  }
  // The tail input's tag for files in containers/: the path with '/' as '.'.
  std::string tag_path() const {
    std::string p = dir.file("containers");
    if (!p.empty() && p.front() == '/') p.erase(0, 1);
    for (char& c : p)
      if (c == '/') c = '.';
    return p;
  }
  std::vector<std::string> records() const { return read_lines(dir.file("out") + "/records.jsonl"); }
  std::vector<std::string> requests() const { return read_lines(dir.file("requests.jsonl")); }
};

// The records that hold `needle`.
std::vector<std::string> with(const std::vector<std::string>& lines, const std::string& needle) {
  std::vector<std::string> out;
  for (const auto& l : lines)
    if (l.find(needle) != std::string::npos) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("kubernetes e2e: container logs get their pod's metadata from the API server over TLS, with merge_log",
          "[e2e][kubernetes]") {
  Cluster k8s;
  write_file(k8s.dir.file("containers/" + db_file()),
             cri_line(R"({"level":"info","msg":"checkpoint complete"})", "stdout") +
                 cri_line("plain text on stderr", "stderr"));
  write_file(k8s.dir.file("containers/" + gone_file()), docker_line("from a pod that is gone", "stdout"));
  write_file(k8s.dir.file("p.yaml"),
             k8s.pipeline("      merge_log: on\n      keep_log: off\n      namespace_labels: on\n"
                          "      k8s-logging.parser: on\n      k8s-logging.exclude: on\n"));
  Process sluice({SLUICE_BINARY, "-c", k8s.dir.file("p.yaml")});
  REQUIRE(wait_until([&] { return k8s.records().size() >= 3; }, 30s));
  // Lines written while the metadata is cached: the web pod's.
  write_file(k8s.dir.file("containers/" + web_file()),
             docker_line(R"(10.0.0.9 "GET /cart" 200)", "stdout") + docker_line("panic: on stderr", "stderr"));
  REQUIRE(wait_until([&] { return with(k8s.records(), "\"remote\"").size() == 1; }, 30s));
  std::this_thread::sleep_for(500ms);  // an excluded stderr line would have arrived by now
  auto records = k8s.records();
  INFO(sluice.err());
  for (const auto& r : records) INFO(r);
  REQUIRE(records.size() == 4);

  // The CRI file's JSON line: merged (log dropped, keep_log off), its pod's
  // map in Fluent Bit's order, the namespace's labels.
  auto db_json = with(records, "checkpoint complete");
  REQUIRE(db_json.size() == 1);
  CHECK(db_json[0].find(R"("stream":"stdout","_p":"F","level":"info","msg":"checkpoint complete",)"
                        R"("kubernetes":{"pod_name":"db-0","namespace_name":"data","pod_id":"uid-db","labels":{"app":"db"},)"
                        R"("host":"node-3","pod_ip":"10.1.2.4","container_name":"postgres","docker_id":")" +
                        kDbId + R"(","container_hash":"docker.io/library/postgres@sha256:02","container_image":"postgres:16"},)"
                        R"("kubernetes_namespace":{"name":"data","labels":{"team":"storage"}}})") != std::string::npos);
  CHECK(db_json[0].find("\"log\"") == std::string::npos);
  // Text that isn't JSON keeps its log.
  auto db_text = with(records, "plain text on stderr");
  REQUIRE(db_text.size() == 1);
  CHECK(db_text[0].find(R"("log":"plain text on stderr")") != std::string::npos);
  // The web pod's annotations: stdout read by the `access` parser; stderr excluded.
  auto web = with(records, "uid-web");
  REQUIRE(web.size() == 1);
  CHECK(web[0].find(R"("remote":"10.0.0.9","request":"GET /cart","code":200,"kubernetes":{"pod_name":"web-7d9c-x2b4q")") !=
        std::string::npos);
  CHECK(with(records, "panic").empty());
  // The pod the API server doesn't know: its records go on with the tag's names.
  auto gone = with(records, "from a pod that is gone");
  REQUIRE(gone.size() == 1);
  CHECK(gone[0].find(R"("kubernetes":{"pod_name":"old-1","namespace_name":"shop","container_name":"app","docker_id":")" +
                     kGoneId + "\"}") != std::string::npos);
  CHECK(sluice.err().find("no metadata for pod shop/old-1: https://localhost:" + std::to_string(k8s.api->port()) +
                          "/api/v1/namespaces/shop/pods/old-1 answered 404: pods \"old-1\" not found") != std::string::npos);

  // One question per pod and per namespace, each with the service account's token.
  auto requests = k8s.requests();
  std::vector<std::string> paths;
  simdjson::dom::parser parser;
  for (const auto& line : requests) {
    simdjson::dom::element r = parser.parse(line);
    paths.emplace_back(std::string_view(r["path"]));
    CHECK(std::string_view(r["headers"]["Authorization"]) == "Bearer token-1");
  }
  std::sort(paths.begin(), paths.end());
  CHECK(paths == std::vector<std::string>{"/api/v1/namespaces/data", "/api/v1/namespaces/data/pods/db-0",
                                          "/api/v1/namespaces/shop", "/api/v1/namespaces/shop/pods/old-1",
                                          "/api/v1/namespaces/shop/pods/web-7d9c-x2b4q"});

  sluice.signal(SIGTERM);
  CHECK(sluice.wait(20s) == 0);
}

TEST_CASE("kubernetes e2e: while the API server is down records go on with their tag's names, and get the metadata "
          "once it is back",
          "[e2e][kubernetes]") {
  Cluster k8s;
  write_file(k8s.dir.file("control"), "503");
  write_file(k8s.dir.file("containers/" + db_file()), cri_line("first", "stdout"));
  write_file(k8s.dir.file("p.yaml"), k8s.pipeline(""));
  Process sluice({SLUICE_BINARY, "-c", k8s.dir.file("p.yaml")});
  REQUIRE(wait_until([&] { return k8s.records().size() == 1; }, 30s));
  CHECK(k8s.records()[0].find(R"("kubernetes":{"pod_name":"db-0","namespace_name":"data","container_name":"postgres",)") !=
        std::string::npos);
  CHECK(sluice.err().find("answered 503") != std::string::npos);

  write_file(k8s.dir.file("control"), "");
  // A failed lookup is asked again after 5 s; lines written until then keep the tag's names.
  bool enriched = wait_until([&] {
    append_file(k8s.dir.file("containers/" + db_file()), cri_line("later", "stdout"));
    std::this_thread::sleep_for(500ms);
    return !with(k8s.records(), "uid-db").empty();
  }, 30s);
  INFO(sluice.err());
  CHECK(enriched);
  // Nothing was lost on the way: every line written is there once.
  auto records = k8s.records();
  CHECK(with(records, "\"first\"").size() == 1);
  sluice.signal(SIGTERM);
  CHECK(sluice.wait(20s) == 0);
  size_t written = read_lines(k8s.dir.file("containers/" + db_file())).size();
  CHECK(k8s.records().size() == written);
}

TEST_CASE("kubernetes e2e: records held for an API server that doesn't answer are delivered at shutdown",
          "[e2e][kubernetes]") {
  Cluster k8s;
  write_file(k8s.dir.file("control"), "hang");
  write_file(k8s.dir.file("containers/" + db_file()), cri_line("one", "stdout") + cri_line("two", "stdout"));
  write_file(k8s.dir.file("p.yaml"), k8s.pipeline("      request_timeout: 60s\n"));
  Process sluice({SLUICE_BINARY, "-c", k8s.dir.file("p.yaml")});
  REQUIRE(wait_until([&] { return !k8s.requests().empty(); }, 30s));
  std::this_thread::sleep_for(500ms);
  CHECK(k8s.records().empty());  // held behind the lookup
  sluice.signal(SIGTERM);
  CHECK(sluice.wait(20s) == 0);
  auto records = k8s.records();
  INFO(sluice.err());
  REQUIRE(records.size() == 2);
  CHECK(records[0].find(R"("log":"one","kubernetes":{"pod_name":"db-0")") != std::string::npos);
  CHECK(records[1].find(R"("log":"two")") != std::string::npos);
}

TEST_CASE("kubernetes e2e: a rotated service account token is read again after kube_token_ttl", "[e2e][kubernetes]") {
  Cluster k8s;
  write_file(k8s.dir.file("containers/" + db_file()), cri_line("one", "stdout"));
  write_file(k8s.dir.file("p.yaml"), k8s.pipeline("      kube_token_ttl: 1s\n"));
  Process sluice({SLUICE_BINARY, "-c", k8s.dir.file("p.yaml")});
  REQUIRE(wait_until([&] { return !with(k8s.records(), "uid-db").empty(); }, 30s));
  // The kubelet rotates the projected token: the API server takes only the new one.
  write_file(k8s.dir.file("accepted-token"), "token-2\n");
  write_file(k8s.dir.file("token"), "token-2\n");
  std::this_thread::sleep_for(1500ms);
  write_file(k8s.dir.file("containers/" + web_file()), docker_line("hello", "stdout"));
  REQUIRE(wait_until([&] { return !with(k8s.records(), "uid-web").empty(); }, 30s));
  auto requests = k8s.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].find("Bearer token-1") != std::string::npos);
  CHECK(requests[1].find("Bearer token-2") != std::string::npos);
  sluice.signal(SIGTERM);
  CHECK(sluice.wait(20s) == 0);
}

TEST_CASE("kubernetes e2e: use_kubelet reads the node's pods from the kubelet's /pods", "[e2e][kubernetes]") {
  Cluster k8s;
  write_file(k8s.dir.file("containers/" + db_file()), cri_line("one", "stdout"));
  write_file(k8s.dir.file("containers/" + web_file()), docker_line("two", "stdout"));
  write_file(k8s.dir.file("containers/" + gone_file()), docker_line("three", "stdout"));
  write_file(k8s.dir.file("p.yaml"),
             k8s.pipeline("      use_kubelet: on\n      kubelet_host: 127.0.0.1\n      kubelet_port: " +
                          std::to_string(k8s.api->port()) + "\n"));
  Process sluice({SLUICE_BINARY, "-c", k8s.dir.file("p.yaml")});
  REQUIRE(wait_until([&] { return k8s.records().size() == 3; }, 30s));
  INFO(sluice.err());
  CHECK(with(k8s.records(), R"("pod_id":"uid-db")").size() == 1);
  CHECK(with(k8s.records(), R"("pod_id":"uid-web")").size() == 1);
  CHECK(with(k8s.records(), R"("pod_name":"old-1")").size() == 1);  // not on this node: the tag's names
  // Three pods, one list for the first and one for those met while it was on its way.
  auto requests = k8s.requests();
  CHECK(requests.size() <= 2);
  CHECK(with(requests, R"("path": "/pods")").size() == requests.size());
  sluice.signal(SIGTERM);
  CHECK(sluice.wait(20s) == 0);
}

TEST_CASE("kubernetes e2e: records held for a lookup when sluice is killed (kill -9) are read again and delivered "
          "at the next start",
          "[e2e][kubernetes]") {
  Cluster k8s;
  write_file(k8s.dir.file("control"), "hang");
  write_file(k8s.dir.file("containers/" + db_file()), cri_line("one", "stdout") + cri_line("two", "stdout"));
  // Offsets are committed only for delivered records: the held ones' stay behind.
  const std::string keys = "      request_timeout: 60s\n";
  std::string yaml = k8s.pipeline(keys);
  const std::string tail_at = "      multiline.parser: docker, cri\n";
  yaml.replace(yaml.find(tail_at), tail_at.size(), tail_at + "      db: " + k8s.dir.file("offsets.db") + "\n");
  write_file(k8s.dir.file("p.yaml"), yaml);
  {
    Process sluice({SLUICE_BINARY, "-c", k8s.dir.file("p.yaml")});
    REQUIRE(wait_until([&] { return !k8s.requests().empty(); }, 30s));
    std::this_thread::sleep_for(1500ms);  // past a few offset saves
    CHECK(k8s.records().empty());
    sluice.signal(SIGKILL);
    sluice.wait(10s);
  }
  write_file(k8s.dir.file("control"), "");
  Process sluice({SLUICE_BINARY, "-c", k8s.dir.file("p.yaml")});
  REQUIRE(wait_until([&] { return k8s.records().size() >= 2; }, 30s));
  std::this_thread::sleep_for(300ms);
  auto records = k8s.records();
  INFO(sluice.err());
  REQUIRE(records.size() == 2);
  CHECK(records[0].find(R"("log":"one","kubernetes":{"pod_name":"db-0","namespace_name":"data","pod_id":"uid-db")") !=
        std::string::npos);
  CHECK(records[1].find(R"("log":"two")") != std::string::npos);
  sluice.signal(SIGTERM);
  CHECK(sluice.wait(20s) == 0);
}

}  // namespace SLUICE_UNITY_ID
