// End to end with the real binary: tail → loki, against
// tests/peers/loki_decode.js, a stand-in for Loki's push endpoint written from
// Loki's push.proto (no real Loki runs in tests). It decodes every request
// with independent implementations (protobufjs on Loki's push.proto, snappyjs,
// node's zlib, its own label-selector parser) and logs it as a JSON line, so
// these tests check what arrives: labels, per-stream order, lines, structured
// metadata, tenant and auth headers; retries after 429/500; a 400 going to the
// dead-letter file with Loki's reason. TLS is checked against nginx (a real
// TLS peer) answering 204 as Loki does, with a test CA.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <set>

#include "agent/parse/json_format.hpp"
#include "agent/value.hpp"
#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

// One decoded request as the stand-in logged it.
struct Pushed {
  int status = 0;
  std::string tenant, authorization, content_type, content_encoding;
  struct Entry {
    std::string ts, line;
    std::map<std::string, std::string> metadata;
  };
  struct Stream {
    std::map<std::string, std::string> labels;
    std::vector<Entry> entries;
  };
  std::vector<Stream> streams;
};

std::string str(const Value* v) { return v != nullptr && v->is_string() ? std::string(v->as_string()) : ""; }

std::map<std::string, std::string> string_map(const Value* v) {
  std::map<std::string, std::string> out;
  if (v != nullptr && v->is_map())
    for (const auto& m : v->members()) out[std::string(m.key)] = str(&m.value);
  return out;
}

std::vector<Pushed> pushed(const std::string& file) {
  std::vector<Pushed> out;
  auto json = make_json_format();
  for (const auto& line : read_lines(file)) {
    Arena arena;
    Value v;
    REQUIRE(json->parse(line, arena, v));
    Pushed p;
    p.status = static_cast<int>(v.find("status")->as_int());
    p.tenant = str(v.find("tenant"));
    p.authorization = str(v.find("authorization"));
    p.content_type = str(v.find("content_type"));
    p.content_encoding = str(v.find("content_encoding"));
    if (const Value* streams = v.find("streams"); streams != nullptr && streams->is_array()) {
      for (const auto& s : streams->items()) {
        Pushed::Stream stream;
        stream.labels = string_map(s.find("labels"));
        for (const auto& e : s.find("entries")->items())
          stream.entries.push_back({str(e.find("ts")), str(e.find("line")), string_map(e.find("metadata"))});
        p.streams.push_back(std::move(stream));
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

size_t delivered_entries(const std::string& file) {
  size_t n = 0;
  for (const auto& p : pushed(file))
    if (p.status == 204)
      for (const auto& s : p.streams) n += s.entries.size();
  return n;
}

// The stand-in, killed and reaped with its Process.
struct FakeLoki {
  explicit FakeLoki(const TempDir& dir, std::vector<std::string> extra = {}) : port(free_tcp_port()), log(dir.file("pushed.jsonl")) {
    std::vector<std::string> argv = {"/usr/bin/env", "node", std::string(SLUICE_SOURCE_DIR) + "/tests/peers/loki_decode.js",
                                     "serve", "--port", std::to_string(port), "--out", log};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process = std::make_unique<Process>(argv);
    bool up = wait_until([&] { return process->out().find("listening") != std::string::npos; }, 20s);
    INFO(process->err());
    REQUIRE(up);
  }
  uint16_t port;
  std::string log;
  std::unique_ptr<Process> process;
};

std::string ts(int ms) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "2026-11-21T00:00:%02d.%03dZ", ms / 1000, ms % 1000);
  return buf;
}

std::string record(int ms, const std::string& level, const std::string& msg, const std::string& extra = "") {
  return R"({"ts":")" + ts(ms) + R"(","level":")" + level + R"(","msg":")" + msg + "\"" + extra + "}\n";
}

std::string config(const TempDir& dir, const FakeLoki& loki, const std::string& output_keys) {
  return "service:\n  flush: 100ms\n  grace: 5s\n  log_level: info\n  dead_letter_file: " + dir.file("dead.jsonl") +
         "\nparsers:\n  - name: app_json\n    format: json\n    time_key: ts\n"
         "pipeline:\n  inputs:\n    - name: tail\n      tag: app\n      path: " + dir.file("app.log") +
         "\n      read_from_head: on\n      parser: app_json\n"
         "  outputs:\n    - name: loki\n      match: '*'\n      host: 127.0.0.1\n      port: " + std::to_string(loki.port) +
         "\n      retry_base: 100ms\n      retry_cap: 1s\n" + output_keys;
}

std::unique_ptr<Process> start_sluice(const TempDir& dir, const FakeLoki& loki, const std::string& output_keys) {
  write_file(dir.file("sluice.yaml"), config(dir, loki, output_keys));
  return std::make_unique<Process>(std::vector<std::string>{SLUICE_BINARY, "-c", dir.file("sluice.yaml")});
}

void stop(Process& p) {
  p.signal(SIGTERM);
  auto status = p.wait(20s);
  INFO(p.err());
  CHECK(status == 0);
}

}  // namespace

TEST_CASE("loki: labels, per-stream order, lines, metadata, tenant and bearer token arrive", "[e2e][loki]") {
  TempDir dir;
  FakeLoki loki(dir);
  // Out of time order on purpose; two levels make two streams.
  write_file(dir.file("app.log"), record(300, "info", "c", R"(,"trace":"t3","user":"u")") +
                                      record(100, "warn", "quote \\\"x\\\"", R"(,"trace":"t1")") +
                                      record(200, "info", "b", R"(,"trace":"t2","user":"u")") +
                                      record(100, "info", "a") + record(50, "warn", "first warn"));
  auto sluice = start_sluice(dir, loki,
                             "      labels: job=e2e, $level\n      structured_metadata: trace_id=$trace\n"
                             "      remove_keys: user\n      tenant_id: team-a\n      bearer_token: tok123\n");
  REQUIRE(wait_until([&] { return delivered_entries(loki.log) >= 5; }, 30s));
  stop(*sluice);

  auto requests = pushed(loki.log);
  std::map<std::string, std::vector<Pushed::Entry>> by_level;
  for (const auto& r : requests) {
    CHECK(r.status == 204);
    CHECK(r.tenant == "team-a");
    CHECK(r.authorization == "Bearer tok123");
    CHECK(r.content_type == "application/x-protobuf");
    for (const auto& s : r.streams) {
      CHECK(s.labels.size() == 2);
      CHECK(s.labels.at("job") == "e2e");
      auto& all = by_level[s.labels.at("level")];
      // Within a request, each stream's entries come in time order.
      for (size_t i = 1; i < s.entries.size(); ++i) CHECK(std::stoll(s.entries[i - 1].ts) <= std::stoll(s.entries[i].ts));
      all.insert(all.end(), s.entries.begin(), s.entries.end());
    }
  }
  REQUIRE(by_level["info"].size() == 3);
  REQUIRE(by_level["warn"].size() == 2);
  auto sorted = [](std::vector<Pushed::Entry> v) {
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return std::stoll(a.ts) < std::stoll(b.ts); });
    return v;
  };
  auto info = sorted(by_level["info"]);
  CHECK(info[0].ts == "1795219200100000000");  // 2026-11-21T00:00:00.100Z in ns
  CHECK(info[0].line == R"({"msg":"a"})");
  CHECK(info[0].metadata.empty());
  CHECK(info[1].line == R"({"msg":"b"})");
  CHECK(info[1].metadata == std::map<std::string, std::string>{{"trace_id", "t2"}});
  CHECK(info[2].line == R"({"msg":"c"})");
  auto warn = sorted(by_level["warn"]);
  CHECK(warn[0].line == R"({"msg":"first warn"})");
  CHECK(warn[1].line == R"({"msg":"quote \"x\""})");
  CHECK(warn[1].metadata == std::map<std::string, std::string>{{"trace_id", "t1"}});
}

TEST_CASE("loki: JSON with gzip, key_value lines, one request per tenant", "[e2e][loki]") {
  TempDir dir;
  FakeLoki loki(dir);
  write_file(dir.file("app.log"), record(100, "info", "to a", R"(,"org":"a")") + record(200, "info", "to b", R"(,"org":"b")") +
                                      record(300, "info", "default", "") + record(400, "info", "to a again", R"(,"org":"a")"));
  auto sluice = start_sluice(dir, loki,
                             "      format: json\n      compress: gzip\n      line_format: key_value\n"
                             "      labels: job=kv\n      remove_keys: level, org\n      tenant_id: fallback\n"
                             "      tenant_id_key: $org\n      http_user: user\n      http_passwd: pass\n");
  REQUIRE(wait_until([&] { return delivered_entries(loki.log) >= 4; }, 30s));
  stop(*sluice);

  std::map<std::string, std::vector<std::string>> lines_by_tenant;
  for (const auto& r : pushed(loki.log)) {
    CHECK(r.status == 204);
    CHECK(r.content_type == "application/json");
    CHECK(r.content_encoding == "gzip");
    CHECK(r.authorization == "Basic dXNlcjpwYXNz");
    for (const auto& s : r.streams) {
      CHECK(s.labels == std::map<std::string, std::string>{{"job", "kv"}});
      for (const auto& e : s.entries) lines_by_tenant[r.tenant].push_back(e.line);
    }
  }
  CHECK(lines_by_tenant["a"] == std::vector<std::string>{R"(msg="to a")", R"(msg="to a again")"});
  CHECK(lines_by_tenant["b"] == std::vector<std::string>{R"(msg="to b")"});
  CHECK(lines_by_tenant["fallback"] == std::vector<std::string>{R"(msg="default")"});
}

TEST_CASE("loki: 429 and 500 are retried until delivered, nothing lost", "[e2e][loki]") {
  TempDir dir;
  FakeLoki loki(dir, {"--answers", "429,500", "--retry-after", "1"});
  std::string log;
  for (int i = 0; i < 20; ++i) log += record(i, "info", "m" + std::to_string(i));
  write_file(dir.file("app.log"), log);
  auto sluice = start_sluice(dir, loki, "      labels: job=retry\n      drop_single_key: raw\n      remove_keys: level\n");
  REQUIRE(wait_until([&] { return delivered_entries(loki.log) >= 20; }, 30s));
  stop(*sluice);

  auto requests = pushed(loki.log);
  REQUIRE(requests.size() >= 3);
  CHECK(requests[0].status == 429);
  CHECK(requests[1].status == 500);
  std::multiset<std::string> delivered;
  for (const auto& r : requests)
    if (r.status == 204)
      for (const auto& s : r.streams)
        for (const auto& e : s.entries) delivered.insert(e.line);
  std::multiset<std::string> expected;
  for (int i = 0; i < 20; ++i) expected.insert("m" + std::to_string(i));
  CHECK(delivered == expected);  // each line once: a retried batch is resent whole, once
  CHECK(read_file(dir.file("dead.jsonl")).empty());
}

TEST_CASE("loki: a 400 goes to the dead-letter file with Loki's reason", "[e2e][loki]") {
  TempDir dir;
  FakeLoki loki(dir, {"--reject-line", "too-old"});
  write_file(dir.file("app.log"), record(100, "info", "fine 1"));
  auto sluice = start_sluice(dir, loki, "");
  REQUIRE(wait_until([&] { return delivered_entries(loki.log) >= 1; }, 30s));
  append_file(dir.file("app.log"), record(200, "info", "too-old entry"));
  REQUIRE(wait_until([&] { return !read_lines(dir.file("dead.jsonl")).empty(); }, 30s));
  append_file(dir.file("app.log"), record(300, "info", "fine 2"));
  REQUIRE(wait_until([&] { return delivered_entries(loki.log) >= 2; }, 30s));
  stop(*sluice);

  auto dead = read_lines(dir.file("dead.jsonl"));
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].find(R"("reason":"HTTP 400 from Loki: entry with timestamp 1795219200200000000 ignored, reason: 'entry too far behind)") !=
        std::string::npos);
  CHECK(dead[0].find(R"("msg":"too-old entry")") != std::string::npos);
  size_t rejected = 0;
  for (const auto& r : pushed(loki.log)) rejected += r.status == 400;
  CHECK(rejected == 1);  // never retried
}

TEST_CASE("loki: with tenant_id_key, one tenant's 400 dead-letters only that tenant's records", "[e2e][loki]") {
  TempDir dir;
  FakeLoki loki(dir, {"--reject-tenant", "blocked"});
  write_file(dir.file("app.log"), record(100, "info", "ok 1", R"(,"org":"a")") +
                                      record(200, "info", "no 1", R"(,"org":"blocked")") +
                                      record(300, "info", "ok 2", R"(,"org":"b")") +
                                      record(400, "info", "no 2", R"(,"org":"blocked")"));
  auto sluice = start_sluice(dir, loki, "      tenant_id_key: $org\n      remove_keys: level, org\n");
  REQUIRE(wait_until([&] { return delivered_entries(loki.log) >= 2 && read_lines(dir.file("dead.jsonl")).size() >= 2; },
                     30s));
  stop(*sluice);

  std::set<std::string> delivered;
  for (const auto& r : pushed(loki.log))
    if (r.status == 204)
      for (const auto& s : r.streams)
        for (const auto& e : s.entries) delivered.insert(r.tenant + " " + e.line);
  CHECK(delivered == std::set<std::string>{R"(a {"msg":"ok 1"})", R"(b {"msg":"ok 2"})"});
  auto dead = read_lines(dir.file("dead.jsonl"));
  REQUIRE(dead.size() == 2);
  for (const auto& line : dead) {
    CHECK(line.find(R"("reason":"HTTP 400 from Loki: stream '{job=\"sluice\"}' per-tenant limits: tenant 'blocked')") !=
          std::string::npos);
    CHECK(line.find(R"("org":"blocked")") != std::string::npos);
  }
}

namespace {

// nginx over TLS with the test PKI's server certificate, answering 204 on the
// push path and logging "status tenant body-length" per request.
struct TlsSink {
  TlsSink(const TempDir& dir, const TestPki& pki) : port(free_tcp_port()), access_log(dir.file("nginx-access.log")) {
    write_file(dir.file("nginx.conf"),
               "worker_processes 1;\npid " + dir.file("nginx.pid") + ";\nerror_log stderr warn;\n"
               "events { worker_connections 64; }\nhttp {\n"
               "  log_format loki '$status $http_x_scope_orgid $content_length';\n"
               "  access_log " + access_log + " loki;\n"
               "  client_body_temp_path " + dir.file("body") + ";\n  proxy_temp_path " + dir.file("proxy") + ";\n"
               "  fastcgi_temp_path " + dir.file("fastcgi") + ";\n  uwsgi_temp_path " + dir.file("uwsgi") + ";\n"
               "  scgi_temp_path " + dir.file("scgi") + ";\n"
               "  server {\n    listen 127.0.0.1:" + std::to_string(port) + " ssl;\n"
               "    ssl_certificate " + pki.server_crt + ";\n    ssl_certificate_key " + pki.server_key + ";\n"
               "    location = /loki/api/v1/push { return 204; }\n  }\n}\n");
    process = std::make_unique<Process>(std::vector<std::string>{"/usr/sbin/nginx", "-p", dir.path(), "-e", "stderr", "-c",
                                                                 dir.file("nginx.conf"), "-g", "daemon off;"});
    bool up = wait_until([&] { return !read_file(dir.file("nginx.pid")).empty(); }, 20s);
    INFO(process->err());
    REQUIRE(up);
  }
  // SIGTERM, so the master stops its worker (a SIGKILLed master would leave it running).
  ~TlsSink() {
    process->signal(SIGTERM);
    process->wait(10s);
  }
  uint16_t port;
  std::string access_log;
  std::unique_ptr<Process> process;
};

}  // namespace

TEST_CASE("loki: over TLS with the test CA, a wrong CA fails with a clear error", "[e2e][loki]") {
  TempDir dir;
  TestPki pki = make_test_pki(dir.path());
  TlsSink sink(dir, pki);
  write_file(dir.file("app.log"), record(100, "info", "over tls"));
  auto sluice_config = [&](const std::string& ca) {
    return "service:\n  flush: 100ms\n  grace: 1s\n  log_level: info\n  dead_letter_file: " + dir.file("dead.jsonl") +
           "\npipeline:\n  inputs:\n    - name: tail\n      tag: app\n      path: " + dir.file("app.log") +
           "\n      read_from_head: on\n  outputs:\n    - name: loki\n      match: '*'\n      host: localhost\n"
           "      port: " + std::to_string(sink.port) + "\n      tls: on\n      tls.ca_file: " + ca +
           "\n      tenant_id: secure\n      retry_base: 100ms\n";
  };
  SECTION("the right CA: delivered") {
    write_file(dir.file("sluice.yaml"), sluice_config(pki.ca_crt));
    Process sluice({SLUICE_BINARY, "-c", dir.file("sluice.yaml")});
    REQUIRE(wait_until([&] { return !read_lines(sink.access_log).empty(); }, 30s));
    stop(sluice);
    auto lines = read_lines(sink.access_log);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].rfind("204 secure ", 0) == 0);
  }
  SECTION("a CA that didn't sign the server's certificate: retried, and the log says why") {
    write_file(dir.file("sluice.yaml"), sluice_config(pki.other_ca_crt));
    Process sluice({SLUICE_BINARY, "-c", dir.file("sluice.yaml")});
    REQUIRE(wait_until([&] { return sluice.err().find("will be retried") != std::string::npos; }, 30s));
    stop(sluice);
    CHECK(read_lines(sink.access_log).empty());
    CHECK_THAT(sluice.err(), Catch::Contains("1 records will be retried in") &&
                                 Catch::Contains("certificate verify failed (unable to get local issuer certificate)"));
    // Retried, never dead-lettered; left for the next start.
    std::smatch summary;
    std::string err = sluice.err();
    REQUIRE(std::regex_search(err, summary, std::regex("output loki.0: 0 records delivered, (\\d+) retried, 0 dead-lettered")));
    CHECK(std::stoi(summary[1]) >= 1);
    CHECK_THAT(err, Catch::Contains("output loki.0: 1 records not delivered within grace"));
    CHECK_FALSE(std::filesystem::exists(dir.file("dead.jsonl")));
  }
}

}  // namespace SLUICE_UNITY_ID
