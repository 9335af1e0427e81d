// End to end with the real binary: tail → http output → a recording HTTP
// peer (tests/peers/http_sink.py, a stand-in for any HTTP endpoint) and nginx
// over TLS with a test CA; a wrong CA dead-letters with a clear reason.
#include <catch2/catch.hpp>

#include "tests/outputs/http_test_peers.hpp"
#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

// Runs sluice on dir/in.log (read once, then exit) with one http output
// configured by output_keys; returns its stderr after checking it exited 0.
std::string run(const TempDir& dir, const std::string& output_keys) {
  write_file(dir.file("in.log"), "first line\nsecond \"quoted\" line\nthird line\n");
  write_file(dir.file("p.yaml"),
             "service:\n  log_level: warn\n  flush: 100ms\n  dead_letter_file: " + dir.file("dead.jsonl") +
                 "\npipeline:\n  inputs:\n    - name: tail\n      path: " + dir.file("in.log") +
                 "\n      read_from_head: on\n      exit_on_eof: on\n      tag: app.web\n"
                 "  outputs:\n    - name: http\n      match: app.*\n" + output_keys);
  Process p({SLUICE_BINARY, "-c", dir.file("p.yaml")});
  auto status = p.wait(60s);
  INFO(p.err());
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  return p.err();
}

}  // namespace

TEST_CASE("http output: records arrive gzipped as JSON lines with auth and headers", "[e2e][http_output]") {
  TempDir dir;
  PythonPeer sink("http_sink.py", {"--out", dir.file("requests.jsonl")});
  run(dir, "      port: " + std::to_string(sink.port()) +
               "\n      uri: /logs\n      format: json_lines\n      json_date_key: false\n      compress: gzip\n"
               "      http_user: agent\n      http_passwd: s3cret\n      header: X-Source e2e\n      header_tag: X-Tag\n");
  auto seen = sink_requests(dir.file("requests.jsonl"));
  REQUIRE(!seen.empty());
  std::string bodies;
  for (const auto& r : seen) {
    CHECK(r.path == "/logs");
    CHECK(r.header("Content-Encoding") == "gzip");
    CHECK(r.header("Content-Type") == "application/x-ndjson");
    CHECK(r.header("Authorization") == "Basic YWdlbnQ6czNjcmV0");
    CHECK(r.header("X-Source") == "e2e");
    CHECK(r.header("X-Tag") == "app.web");
    bodies += r.body;
  }
  CHECK(bodies == "{\"log\":\"first line\"}\n{\"log\":\"second \\\"quoted\\\" line\"}\n{\"log\":\"third line\"}\n");
}

TEST_CASE("http output: HTTPS to nginx with a test CA, a wrong CA dead-letters", "[e2e][http_output]") {
  TempDir dir;
  TempDir pki_dir;
  TestPki pki = make_test_pki(pki_dir.path());
  // nginx logs each body it received: /in hands the request to a plain
  // server that answers 204, which makes nginx read the body into memory.
  uint16_t backend = free_tcp_port();
  NginxPeer nginx("    client_body_buffer_size 1m;\n    client_body_in_single_buffer on;\n"
                  "    location /in { access_log " + dir.file("posts.log") + " posts; proxy_pass http://127.0.0.1:" +
                      std::to_string(backend) + "/done; }",
                  &pki,
                  "  log_format posts escape=json '$request_method $uri $status $ssl_protocol $request_body';\n"
                  "  server { listen 127.0.0.1:" + std::to_string(backend) + "; access_log off; return 204; }\n");
  std::string target = "      host: localhost\n      port: " + std::to_string(nginx.port()) +
                       "\n      uri: /in\n      tls: on\n      retry_limit: no_retries\n";

  SECTION("the right CA: every record delivered once") {
    run(dir, target + "      tls.ca_file: " + pki.ca_crt + "\n");
    auto posts = read_lines(dir.file("posts.log"));
    REQUIRE(!posts.empty());
    std::string bodies;
    for (const auto& line : posts) {
      CHECK_THAT(line, Catch::StartsWith("POST /in 204 TLSv1."));
      bodies += line;
    }
    auto count = [&](const std::string& text) {
      size_t n = 0;
      for (size_t at = bodies.find(text); at != std::string::npos; at = bodies.find(text, at + 1)) ++n;
      return n;
    };
    // The body is a JSON array of the records; escape=json escapes its quotes once more.
    CHECK(count("\\\"log\\\":") == 3);
    CHECK(count("first line") == 1);
    CHECK(count("second \\\\\\\"quoted\\\\\\\" line") == 1);
    CHECK(count("third line") == 1);
    CHECK(read_file(dir.file("dead.jsonl")).empty());
  }
  SECTION("a wrong CA: nothing reaches nginx, the records go to the dead-letter file with the reason") {
    std::string err = run(dir, target + "      tls.ca_file: " + pki.other_ca_crt + "\n");
    CHECK(read_file(dir.file("posts.log")).empty());
    auto dead = read_lines(dir.file("dead.jsonl"));
    CHECK(dead.size() == 3);
    std::string reason = "TLS handshake with localhost:" + std::to_string(nginx.port()) +
                         " failed: certificate verify failed (unable to get local issuer certificate)";
    for (const auto& line : dead) CHECK_THAT(line, Catch::Contains(reason));
    CHECK_THAT(err, Catch::Contains(reason));
  }
}

}  // namespace SLUICE_UNITY_ID
