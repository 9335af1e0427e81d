// End to end with the real binary: tail → gelf, received by a real GELF
// server. UDP goes to graygelf's server from npm (it reassembles chunks and
// inflates gzip/zlib on its own); graygelf has no TCP server, so TCP and TLS
// go to a small node net/tls listener splitting on NUL as Graylog does, and
// HTTP to a node stand-in for Graylog's GELF HTTP input. All live in
// tests/peers/gelf_receiver.js, which logs each message as a JSON line.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <random>
#include <set>

#include "agent/json_writer.hpp"
#include "agent/parse/json_format.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/e2e/gelf_receiver.hpp"
#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

// The received message whose short_message is `short_message`.
const Value* message(const JsonLines& got, const std::string& short_message) {
  for (const auto& line : got.values) {
    const Value* msg = line.find("msg");
    if (msg != nullptr && str(msg->find("short_message")) == short_message) return msg;
  }
  return nullptr;
}

std::string noise(size_t n) {
  std::mt19937 rng(7);
  std::string s(n, ' ');
  for (auto& c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

std::string hostname() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

// A tail → gelf pipeline over the lines of app.log, exiting at end of file.
std::string config(const TempDir& dir, const std::string& output_keys) {
  return "service:\n  flush: 100ms\n  grace: 3s\n  log_level: info\n  dead_letter_file: " + dir.file("dead.jsonl") +
         "\nparsers:\n  - name: app_json\n    format: json\n    time_key: ts\n"
         "pipeline:\n  inputs:\n    - name: tail\n      tag: app\n      path: " + dir.file("app.log") +
         "\n      read_from_head: on\n      exit_on_eof: on\n      parser: app_json\n"
         "  outputs:\n    - name: gelf\n      match: '*'\n      host: 127.0.0.1\n      retry_base: 100ms\n"
         "      retry_cap: 500ms\n" + output_keys;
}

// Runs sluice over app.log until it exits by itself; returns its stderr.
std::string run_sluice(const TempDir& dir, const std::string& output_keys) {
  write_file(dir.file("sluice.yaml"), config(dir, output_keys));
  Process p({SLUICE_BINARY, "-c", dir.file("sluice.yaml")});
  auto status = p.wait(60s);
  INFO(p.err());
  CHECK(status == 0);
  return p.err();
}

// The records every transport test sends, and the checks of how they arrive.
const std::string kBig = noise(30000);

std::string app_log() {
  return R"({"ts":"2026-11-21T10:00:00.250Z","log":"GET /health 200","level":"ERROR","id":"req-1",)"
         R"("user":{"name":"ann","roles":["a","b"]},"ok":true,"kubernetes":{"pod_name":"web-1","labels":{"app":"web"}}})"
         "\n"
         R"({"ts":"2026-11-21T10:00:01Z","message":"with host","host":"app-7","full_message":"line1\nline2","level":4,"n":1.5})"
         "\n"
         R"({"ts":"2026-11-21T10:00:02Z","short_message":"big","blob":")" + kBig + "\"}\n" +
         R"({"ts":"2026-11-21T10:00:03Z","nothing":"to say"})" "\n";
}

void check_mapping(const JsonLines& got, const std::string& via) {
  INFO(via);
  for (const auto& line : got.values) {
    INFO(json::to_string(line));
    CHECK(str(line.find("via")) == via);
    CHECK(line.find("error") == nullptr);
  }
  const Value* a = message(got, "GET /health 200");
  REQUIRE(a != nullptr);
  CHECK(str(a->find("version")) == "1.1");
  CHECK(str(a->find("host")) == hostname());
  CHECK(a->find("timestamp")->as_double() == Approx(1795255200.25).epsilon(1e-12));
  CHECK(a->find("level")->as_int() == 3);
  CHECK(a->find("_level") == nullptr);
  CHECK(str(a->find("_id_")) == "req-1");
  CHECK(str(a->find("_user_name")) == "ann");
  CHECK(str(a->find("_user_roles")) == R"(["a","b"])");
  CHECK(str(a->find("_ok")) == "true");
  CHECK(str(a->find("_kubernetes_pod_name")) == "web-1");
  CHECK(str(a->find("_kubernetes_labels_app")) == "web");
  CHECK(str(a->find("_fluent_tag")) == "app");
  CHECK(a->find("_log") == nullptr);

  const Value* b = message(got, "with host");
  REQUIRE(b != nullptr);
  CHECK(str(b->find("host")) == "app-7");
  CHECK(str(b->find("full_message")) == "line1\nline2");
  CHECK(b->find("level")->as_int() == 4);
  CHECK(b->find("_n")->as_double() == 1.5);
  CHECK(b->find("timestamp")->as_double() == 1795255201.0);

  const Value* c = message(got, "big");
  REQUIRE(c != nullptr);
  CHECK(str(c->find("_blob")) == kBig);
  CHECK(c->find("level")->as_int() == 6);
  CHECK(got.values.size() == 3);
}

void check_dead_letter(const TempDir& dir) {
  std::string dead = read_file(dir.file("dead.jsonl"));
  CHECK(dead.find("to say") != std::string::npos);
  CHECK(dead.find("record has no non-empty 'short_message', 'message', 'log' field") != std::string::npos);
}

}  // namespace

TEST_CASE("gelf: UDP to graygelf, gzip by default, a big message chunked and reassembled", "[e2e][gelf]") {
  TempDir dir;
  GelfReceiver rx(dir, {"udp"});
  write_file(dir.file("app.log"), app_log());
  run_sluice(dir, "      port: " + std::to_string(rx.ports["udp"]) + "\n      gelf_tag_key: fluent_tag\n");
  REQUIRE(wait_until([&] { return rx.lines() >= 3; }, 20s));
  check_mapping(JsonLines(rx.out), "udp");
  check_dead_letter(dir);
  // The datagrams as they were on the wire: two whole gzip ones, and chunks
  // of the big one, all with one id, sequence 0..count-1.
  JsonLines dg(rx.datagrams);
  std::set<std::string> ids;
  std::set<int64_t> seqs, counts;
  int whole = 0;
  for (const auto& d : dg.values) {
    CHECK(d.find("size")->as_int() <= 1420);
    if (str(d.find("magic")) == "1f8b") ++whole;
    if (str(d.find("magic")) == "1e0f") {
      ids.insert(str(d.find("id")));
      seqs.insert(d.find("seq")->as_int());
      counts.insert(d.find("count")->as_int());
    }
  }
  CHECK(whole == 2);
  CHECK(ids.size() == 1);
  REQUIRE(counts.size() == 1);
  CHECK(*counts.begin() > 1);
  CHECK(seqs.size() == static_cast<size_t>(*counts.begin()));
  CHECK(*seqs.rbegin() == *counts.begin() - 1);
}

TEST_CASE("gelf: UDP with zlib and small packets", "[e2e][gelf]") {
  TempDir dir;
  GelfReceiver rx(dir, {"udp"});
  write_file(dir.file("app.log"), app_log());
  run_sluice(dir, "      port: " + std::to_string(rx.ports["udp"]) +
                      "\n      gelf_tag_key: fluent_tag\n      compress: zlib\n      packet_size: 512\n");
  REQUIRE(wait_until([&] { return rx.lines() >= 3; }, 20s));
  check_mapping(JsonLines(rx.out), "udp");
  JsonLines dg(rx.datagrams);
  size_t chunks = 0;
  for (const auto& d : dg.values) {
    CHECK(d.find("size")->as_int() <= 512);
    std::string magic = str(d.find("magic"));
    CHECK((magic.substr(0, 2) == "78" || magic == "1e0f"));
    chunks += magic == "1e0f";
  }
  CHECK(chunks > 20);
}

TEST_CASE("gelf: TCP, NUL-framed JSON", "[e2e][gelf]") {
  TempDir dir;
  GelfReceiver rx(dir, {"tcp"});
  write_file(dir.file("app.log"), app_log());
  run_sluice(dir, "      mode: tcp\n      port: " + std::to_string(rx.ports["tcp"]) + "\n      gelf_tag_key: fluent_tag\n");
  REQUIRE(wait_until([&] { return rx.lines() >= 3; }, 20s));
  check_mapping(JsonLines(rx.out), "tcp");
  check_dead_letter(dir);
}

TEST_CASE("gelf: TLS with a test CA and a client certificate, a wrong CA fails clearly", "[e2e][gelf]") {
  TempDir dir;
  TestPki pki = make_test_pki(dir.path());
  GelfReceiver rx(dir, {"tls"}, {"--cert", pki.server_crt, "--key", pki.server_key, "--ca", pki.ca_crt});
  write_file(dir.file("app.log"), app_log());
  std::string tls_keys = "      mode: tls\n      port: " + std::to_string(rx.ports["tls"]) +
                         "\n      gelf_tag_key: fluent_tag\n      tls.crt_file: " + pki.client_crt +
                         "\n      tls.key_file: " + pki.client_key + "\n";

  SECTION("the right CA: delivered, the name checked via tls.vhost (SNI), our client certificate seen") {
    // make_test_pki's server certificate is for CN=localhost (see the report about its SAN).
    std::string err = run_sluice(dir, tls_keys + "      tls.ca_file: " + pki.ca_crt + "\n      tls.vhost: localhost\n");
    INFO(err << rx.process->err());
    REQUIRE(wait_until([&] { return rx.lines() >= 3; }, 20s));
    JsonLines got(rx.out);
    check_mapping(got, "tls");
    CHECK(str(got.values[0].find("peer_cn")) == "sluice-client");
  }
  SECTION("tls.verify off: any server certificate is accepted") {
    run_sluice(dir, tls_keys + "      tls.ca_file: " + pki.other_ca_crt + "\n      tls.verify: off\n");
    REQUIRE(wait_until([&] { return rx.lines() >= 3; }, 20s));
    check_mapping(JsonLines(rx.out), "tls");
  }
  SECTION("a CA that didn't sign the server: nothing sent, the reason in sluice's log") {
    std::string err = run_sluice(dir, tls_keys + "      tls.ca_file: " + pki.other_ca_crt + "\n");
    INFO(err);
    CHECK(err.find("TLS handshake with 127.0.0.1:" + std::to_string(rx.ports["tls"]) + " failed") != std::string::npos);
    // OpenSSL's reason depends on the chain the server sends ("unable to get
    // local issuer certificate", "self-signed certificate in certificate chain").
    CHECK(err.find("certificate verify failed (") != std::string::npos);
    CHECK(rx.lines() == 0);
  }
}

TEST_CASE("gelf: HTTP, one gzip request per message with the shared HTTP keys, 503 retried", "[e2e][gelf]") {
  TempDir dir;
  GelfReceiver rx(dir, {"http"}, {"--http-fail", "2"});
  write_file(dir.file("app.log"), app_log());
  std::string err = run_sluice(dir, "      mode: http\n      port: " + std::to_string(rx.ports["http"]) +
                                        "\n      gelf_tag_key: fluent_tag\n      http_user: graylog\n"
                                        "      http_passwd: s3cret\n      header: X-Source sluice-e2e\n");
  REQUIRE(wait_until([&] { return rx.lines() >= 3; }, 20s));
  JsonLines got(rx.out);
  check_mapping(got, "http");
  for (const auto& line : got.values) {
    CHECK(str(line.find("encoding")) == "gzip");
    CHECK(str(line.find("authorization")) == "Basic Z3JheWxvZzpzM2NyZXQ=");  // graylog:s3cret
    CHECK(str(line.find("x_source")) == "sluice-e2e");
  }
  check_dead_letter(dir);
  CHECK(err.find("503") != std::string::npos);
}

}  // namespace SLUICE_UNITY_ID
