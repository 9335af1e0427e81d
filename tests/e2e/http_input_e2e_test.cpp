// End to end with the real binary and real clients: curl (JSON, NDJSON, gzip,
// keep-alive over several URLs, auth, limits, HTTP/2), Python's
// logging.handlers.HTTPHandler, and openssl s_client / curl over TLS with a
// test CA. Every accepted record must reach the file output with its fields
// intact and its tag from the URL path; a full pipeline answers 503.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <regex>

#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

const std::string kCurl = "/usr/bin/curl";

// sluice with one http input (extra keys `input_keys`) writing each tag's
// records as plain JSON lines to dir/out/<tag>; stopped with SIGTERM.
class Sluice {
 public:
  Sluice(const TempDir& dir, const std::string& input_keys, const std::string& output_keys = "")
      : dir_(dir), port(free_tcp_port()) {
    write_file(dir.file("p.yaml"),
               "service:\n  flush: 50ms\n  log_level: info\npipeline:\n  inputs:\n    - name: http\n"
               "      listen: 127.0.0.1\n      port: " + std::to_string(port) + "\n" + input_keys +
               "  outputs:\n    - name: file\n      match: '*'\n      path: " + dir.file("out") +
               "\n      mkdir: on\n      format: plain\n" + output_keys);
    process_ = std::make_unique<Process>(std::vector<std::string>{SLUICE_BINARY, "-c", dir.file("p.yaml")});
    bool up = wait_until([&] { return port_open(port) || !process_->running(); }, 10s);
    INFO(process_->err());
    REQUIRE(up);
    REQUIRE(process_->running());
  }
  ~Sluice() {
    process_->signal(SIGTERM);
    auto status = process_->wait(15s);
    INFO(process_->err());
    CHECK(status == 0);
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port) + path; }
  // HTTPS URLs name localhost, the test certificate's name; pass resolve()
  // to curl so that it connects to 127.0.0.1 (where sluice listens).
  std::string https(const std::string& path) const { return "https://localhost:" + std::to_string(port) + path; }
  std::vector<std::string> resolve() const { return {"--resolve", "localhost:" + std::to_string(port) + ":127.0.0.1"}; }
  // The records written for a tag, waiting (bounded) until there are `n`.
  std::vector<std::string> records(const std::string& tag, size_t n) const {
    std::string file = dir_.file("out/" + tag);
    wait_until([&] { return std::filesystem::exists(file) && read_lines(file).size() >= n; }, 10s);
    return std::filesystem::exists(file) ? read_lines(file) : std::vector<std::string>{};
  }
  std::string log() const { return process_->err(); }

 private:
  const TempDir& dir_;

 public:
  uint16_t port;

 private:
  std::unique_ptr<Process> process_;
};

struct Run {
  std::optional<int> status;
  std::string out, err;
};

Run run(std::vector<std::string> argv) {
  Process p(std::move(argv));
  Run r;
  r.status = p.wait(30s);
  r.out = p.out();
  r.err = p.err();
  return r;
}

// curl printing the status code (-w), the answer's body going to dir/body.
Run curl(const TempDir& dir, std::vector<std::string> args, const std::vector<std::string>& more = {}) {
  std::vector<std::string> argv = {kCurl, "-sS", "-o", dir.file("body"), "-w", "%{http_code}"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), more.begin(), more.end());
  return run(argv);
}

void write_gzip(const std::string& path, const std::string& data) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, data.data(), static_cast<unsigned>(data.size())) == static_cast<int>(data.size()));
  gzclose(f);
}

}  // namespace

TEST_CASE("http e2e: curl posts JSON, NDJSON and gzip, keep-alive over several URLs", "[e2e][http_input]") {
  TempDir dir;
  Sluice s(dir, "");
  SECTION("one object, an array, NDJSON from a file, gzip from a file") {
    auto one = curl(dir, {"-H", "Content-Type: application/json", "-d", R"({"msg":"hello","n":1,"nested":{"a":[1,2]}})",
                          s.url("/app.json")});
    CHECK(one.status == 0);
    CHECK(one.out == "201");
    CHECK(curl(dir, {"-H", "Content-Type: application/json", "-d", R"([{"i":1},{"i":2}])", s.url("/app.json")}).out ==
          "201");
    std::string ndjson;
    for (int i = 0; i < 500; ++i) ndjson += R"({"i":)" + std::to_string(i) + R"(,"msg":"line \"q\" é"})" "\n";
    write_file(dir.file("batch.ndjson"), ndjson);
    CHECK(curl(dir, {"-H", "Content-Type: application/x-ndjson", "--data-binary", "@" + dir.file("batch.ndjson"),
                     s.url("/app.ndjson")})
              .out == "201");
    write_gzip(dir.file("batch.ndjson.gz"), ndjson);
    CHECK(curl(dir, {"-H", "Content-Type: application/x-ndjson", "-H", "Content-Encoding: gzip", "--data-binary",
                     "@" + dir.file("batch.ndjson.gz"), s.url("/app.gz")})
              .out == "201");
    // curl -d without a Content-Type says x-www-form-urlencoded; a JSON body is still read as JSON.
    CHECK(curl(dir, {"-d", R"({"plain":"curl -d"})", s.url("/app.json")}).out == "201");

    CHECK(s.records("app.json", 4) == std::vector<std::string>{R"({"msg":"hello","n":1,"nested":{"a":[1,2]}})",
                                                                 R"({"i":1})", R"({"i":2})", R"({"plain":"curl -d"})"});
    auto lines = s.records("app.ndjson", 500);
    REQUIRE(lines.size() == 500);
    CHECK(lines[499] == R"({"i":499,"msg":"line \"q\" é"})");
    CHECK(s.records("app.gz", 500) == lines);
  }
  SECTION("one curl, three URLs: one connection reused, every record in order") {
    write_file(dir.file("r.json"), R"({"k":"v"})");
    auto r = run({kCurl, "-sS", "-w", "%{http_code} %{num_connects}\\n", "-H", "Content-Type: application/json",
                  "--data-binary", "@" + dir.file("r.json"), s.url("/ka.one"), s.url("/ka.two"), s.url("/ka.three")});
    CHECK(r.status == 0);
    CHECK(r.out == "201 1\n201 0\n201 0\n");
    for (std::string tag : {"ka.one", "ka.two", "ka.three"}) CHECK(s.records(tag, 1) == std::vector<std::string>{R"({"k":"v"})"});
  }
}

TEST_CASE("http e2e: HTTP/2 from curl: prior knowledge, streams in parallel on one connection, ALPN h2 over TLS",
          "[e2e][http_input]") {
  TempDir dir;
  SECTION("without TLS: prior knowledge, three streams at once on one connection, 413 on one stream") {
    Sluice s(dir, "      max_body_size: 2k\n");
    auto r = run({kCurl, "-sS", "--http2-prior-knowledge", "-w", "%{http_code} %{http_version}", "-H",
                  "Content-Type: application/json", "-d", R"({"via":"h2"})", s.url("/h2.a")});
    CHECK(r.status == 0);
    CHECK(r.out == "201 2");
    // nghttp (nghttp2's client) sends the three requests as concurrent
    // streams of one connection (curl 7.88's multiplexing is broken: it
    // fails the same way against nginx).
    write_file(dir.file("n.json"), R"({"n":1})");
    auto parallel = run({"/usr/bin/nghttp", "-v", "-d", dir.file("n.json"), s.url("/h2.p1"), s.url("/h2.p2"),
                         s.url("/h2.p3")});
    CHECK(parallel.status == 0);
    size_t created = 0;
    for (size_t at = 0; (at = parallel.out.find(":status: 201\n", at)) != std::string::npos; ++at) ++created;
    CHECK(created == 3);
    write_file(dir.file("big.json"), R"({"pad":")" + std::string(3000, 'x') + R"("})");
    CHECK(curl(dir, {"--http2-prior-knowledge", "--data-binary", "@" + dir.file("big.json"), s.url("/h2.big")}).out ==
          "413");
    CHECK_THAT(read_file(dir.file("body")), Catch::Contains("body larger than max_body_size (2048 bytes)"));
    // The connection and the next request are fine.
    CHECK(curl(dir, {"--http2-prior-knowledge", "-d", R"({"after":"413"})", s.url("/h2.a")}).out == "201");
    CHECK(s.records("h2.a", 2) == std::vector<std::string>{R"({"via":"h2"})", R"({"after":"413"})"});
    for (std::string tag : {"h2.p1", "h2.p2", "h2.p3"})
      CHECK(s.records(tag, 1) == std::vector<std::string>{R"({"n":1})"});
    CHECK_FALSE(std::filesystem::exists(dir.file("out/h2.big")));
    // HTTP/1.1 on the same port still works.
    CHECK(curl(dir, {"-d", R"({"via":"h1"})", s.url("/h1")}).out == "201");
    CHECK(s.records("h1", 1) == std::vector<std::string>{R"({"via":"h1"})"});
  }
  SECTION("over TLS: curl chooses h2 by ALPN; --http1.1 still gets HTTP/1.1") {
    auto pki = make_test_pki(dir.path());
    Sluice s(dir, "      tls: on\n      tls.crt_file: " + pki.server_crt + "\n      tls.key_file: " + pki.server_key +
                      "\n");
    auto h2 = curl(dir, s.resolve(), {"--cacert", pki.ca_crt, "--http2", "-w", "%{http_code} %{http_version}", "-d",
                                      R"({"via":"alpn"})", s.https("/tls.h2")});
    CHECK(h2.out == "201 2");
    auto h1 = curl(dir, s.resolve(), {"--cacert", pki.ca_crt, "--http1.1", "-w", "%{http_code} %{http_version}", "-d",
                                      R"({"via":"h1"})", s.https("/tls.h2")});
    CHECK(h1.out == "201 1.1");
    CHECK(s.records("tls.h2", 2) == std::vector<std::string>{R"({"via":"alpn"})", R"({"via":"h1"})"});
  }
  SECTION("http2: off: HTTP/1.1 only, ALPN offers only http/1.1") {
    auto pki = make_test_pki(dir.path());
    Sluice s(dir, "      http2: off\n      tls: on\n      tls.crt_file: " + pki.server_crt +
                      "\n      tls.key_file: " + pki.server_key + "\n");
    auto r = curl(dir, s.resolve(), {"--cacert", pki.ca_crt, "--http2", "-w", "%{http_code} %{http_version}", "-d",
                                     R"({"via":"fallback"})", s.https("/tls.off")});
    CHECK(r.out == "201 1.1");
    CHECK(s.records("tls.off", 1) == std::vector<std::string>{R"({"via":"fallback"})"});
  }
}

TEST_CASE("http e2e: errors a client can act on: 400 with the offset, 413, 415, 405", "[e2e][http_input]") {
  TempDir dir;
  Sluice s(dir, "      max_body_size: 2k\n");
  auto bad = curl(dir, {"-H", "Content-Type: application/json", "--data-binary", "{\"a\":1}\n{\"b\" 2}\n",
                        s.url("/bad")});
  CHECK(bad.out == "400");
  CHECK(read_file(dir.file("body")) ==
        "{\"error\":\"invalid JSON at byte 13: expected ':' after an object key, found '2' (line 2, column 6)\"}\n");
  write_file(dir.file("big.json"), "{\"a\":\"" + std::string(3000, 'x') + "\"}");
  CHECK(curl(dir, {"-H", "Content-Type: application/json", "--data-binary", "@" + dir.file("big.json"), s.url("/big")})
            .out == "413");
  CHECK(read_file(dir.file("body")) == "{\"error\":\"body larger than max_body_size (2048 bytes)\"}\n");
  CHECK(curl(dir, {"-H", "Content-Type: text/plain", "-d", "hello", s.url("/t")}).out == "415");
  CHECK(curl(dir, {s.url("/t")}).out == "405");
  CHECK(curl(dir, {s.url("/health")}).out == "200");
  // Nothing of the refused requests was kept; a good one still goes through.
  CHECK(curl(dir, {"-H", "Content-Type: application/json", "-d", "{\"a\":1}", s.url("/good")}).out == "201");
  CHECK(s.records("good", 1).size() == 1);
  CHECK_FALSE(std::filesystem::exists(dir.file("out/bad")));
  CHECK_FALSE(std::filesystem::exists(dir.file("out/big")));
}

TEST_CASE("http e2e: Python's logging.handlers.HTTPHandler, with basic auth", "[e2e][http_input]") {
  TempDir dir;
  Sluice s(dir, "      http_user: app\n      http_passwd: s3cret\n");
  const std::string script = std::string(SLUICE_SOURCE_DIR) + "/tests/peers/http_input_python_handler.py";
  auto py = run({"/usr/bin/python3", script, "--port", std::to_string(s.port), "--path", "/python.app", "--count",
                 "50", "--user", "app", "--password", "s3cret"});
  INFO(py.err);
  CHECK(py.status == 0);
  auto lines = s.records("python.app", 50);
  REQUIRE(lines.size() == 50);
  for (size_t i = 0; i < lines.size(); ++i) {
    INFO(lines[i]);
    CHECK(lines[i].find(R"("msg":"record )" + std::to_string(i + 1) +
                        R"( of 50: ünïcødé & = + % ✓ \"quoted\" a\\b")") != std::string::npos);
    CHECK(lines[i].find(R"("name":"sluice.test")") != std::string::npos);
    CHECK(lines[i].find(R"("levelname":"WARNING")") != std::string::npos);
    CHECK(lines[i].find(R"("levelno":"30")") != std::string::npos);  // form values stay strings
    CHECK(lines[i].find(R"("user_id":"42")") != std::string::npos);
  }
  // Without the password: 401 with a challenge, and nothing is written.
  auto anonymous = run({kCurl, "-sS", "-i", "-H", "Content-Type: application/json", "-d", "{}", s.url("/anon")});
  CHECK(anonymous.out.rfind("HTTP/1.1 401 Unauthorized\r\n", 0) == 0);
  CHECK(anonymous.out.find("WWW-Authenticate: Basic realm=\"sluice\"\r\n") != std::string::npos);
  CHECK(curl(dir, {"-u", "app:s3cret", "-H", "Content-Type: application/json", "-d", "{}", s.url("/authed")}).out ==
        "201");
  CHECK(s.records("authed", 1).size() == 1);
  CHECK_FALSE(std::filesystem::exists(dir.file("out/anon")));
}

TEST_CASE("http e2e: refused requests are logged with the client's address and the reason, a burst not each time",
          "[e2e][http_input]") {
  TempDir dir;
  Sluice s(dir, "      bearer_token: right-token\n");
  const std::vector<std::string> wrong = {"-H", "Authorization: Bearer wrong-token", "-H",
                                          "Content-Type: application/json", "-d", "{}"};
  CHECK(curl(dir, wrong, {s.url("/app")}).out == "401");
  const std::regex refused_401("input http\\.0: refused a request from 127\\.0\\.0\\.1:[0-9]+: 401 wrong credentials");
  auto count = [&](const std::regex& re) {
    std::string log = s.log();
    return std::distance(std::sregex_iterator(log.begin(), log.end(), re), std::sregex_iterator());
  };
  REQUIRE(wait_until([&] { return count(refused_401) == 1; }, 5s));
  CHECK(s.log().find("wrong-token") == std::string::npos);  // the credentials never

  // 1,000 more on one keep-alive connection (curl's URL range): all answered 401, not logged 1,000 times.
  std::vector<std::string> argv = {kCurl, "-sS", "-o", "/dev/null", "-w", "%{http_code}\n"};
  argv.insert(argv.end(), wrong.begin(), wrong.end());
  argv.push_back(s.url("/burst[1-1000]"));
  Run burst = run(argv);
  INFO(burst.err);
  CHECK(std::count(burst.out.begin(), burst.out.end(), '\n') == 1000);
  CHECK(burst.out.find("401\n") == 0);
  CHECK(burst.out.find_first_not_of("401\n") == std::string::npos);
  // Another reason still shows at once: a malformed body from the same client.
  CHECK(curl(dir, {"-H", "Authorization: Bearer right-token", "-H", "Content-Type: application/json", "-d", "{bad"},
             {s.url("/app")})
            .out == "400");
  REQUIRE(wait_until([&] { return s.log().find(": 400 invalid JSON") != std::string::npos; }, 5s));
  const std::regex any_refusal("refused a request from");
  CHECK(count(any_refusal) <= 4);  // the first, at most two burst summaries (10 s apart), the 400
}

TEST_CASE("http e2e: HTTPS with a test CA: curl, openssl s_client, Python, client certificates", "[e2e][http_input]") {
  TempDir dir;
  auto pki = make_test_pki(dir.path());
  SECTION("server TLS") {
    Sluice s(dir, "      tls: on\n      tls.crt_file: " + pki.server_crt + "\n      tls.key_file: " + pki.server_key +
                      "\n      bearer_token: t0ken\n");
    CHECK(curl(dir, s.resolve(), {"--cacert", pki.ca_crt, "-H", "Authorization: Bearer t0ken", "-H",
                     "Content-Type: application/json", "-d", R"({"via":"curl"})", s.https("/tls.curl")})
              .out == "201");
    // The wrong CA: curl refuses the server (exit 60), nothing arrives.
    CHECK(curl(dir, s.resolve(), {"--cacert", pki.other_ca_crt, "-d", "{}", s.https("/tls.wrong")}).status == 60);
    std::string body = R"({"via":"openssl"})";
    std::string request = "POST /tls.openssl HTTP/1.1\\r\\nHost: localhost\\r\\nAuthorization: Bearer t0ken\\r\\n"
                          "Content-Type: application/json\\r\\nContent-Length: " + std::to_string(body.size()) +
                          "\\r\\nConnection: close\\r\\n\\r\\n" + body;
    auto ossl = run({"/bin/sh", "-c",
                     "printf '" + request + "' | /usr/bin/openssl s_client -quiet -verify_return_error -CAfile " +
                         pki.ca_crt + " -connect 127.0.0.1:" + std::to_string(s.port) + " 2>/dev/null"});
    CHECK(ossl.out.rfind("HTTP/1.1 201 Created\r\n", 0) == 0);
    CHECK(s.records("tls.curl", 1) == std::vector<std::string>{R"({"via":"curl"})"});
    CHECK(s.records("tls.openssl", 1) == std::vector<std::string>{R"({"via":"openssl"})"});
    CHECK_FALSE(std::filesystem::exists(dir.file("out/tls.wrong")));
  }
  SECTION("Python's HTTPHandler over HTTPS") {
    Sluice s(dir, "      tls: on\n      tls.crt_file: " + pki.server_crt + "\n      tls.key_file: " + pki.server_key +
                      "\n");
    const std::string script = std::string(SLUICE_SOURCE_DIR) + "/tests/peers/http_input_python_handler.py";
    auto py = run({"/usr/bin/python3", script, "--host", "localhost", "--port", std::to_string(s.port), "--path",
                   "/py.tls", "--count", "5", "--cafile", pki.ca_crt});
    INFO(py.err);
    CHECK(py.status == 0);
    CHECK(s.records("py.tls", 5).size() == 5);
  }
  SECTION("tls.ca_file: clients must present a certificate signed by it") {
    Sluice s(dir, "      tls: on\n      tls.crt_file: " + pki.server_crt + "\n      tls.key_file: " + pki.server_key +
                      "\n      tls.ca_file: " + pki.ca_crt + "\n");
    CHECK(curl(dir, s.resolve(), {"--cacert", pki.ca_crt, "-d", "{}", s.https("/mtls.none")}).status != 0);
    CHECK(curl(dir, s.resolve(), {"--cacert", pki.ca_crt, "--cert", pki.client_crt, "--key", pki.client_key, "-H",
                     "Content-Type: application/json", "-d", R"({"who":"client"})", s.https("/mtls.ok")})
              .out == "201");
    CHECK(s.records("mtls.ok", 1) == std::vector<std::string>{R"({"who":"client"})"});
    CHECK_FALSE(std::filesystem::exists(dir.file("out/mtls.none")));
  }
}

TEST_CASE("http e2e: a blocked output fills its buffer, the input answers 503 + Retry-After, then recovers",
          "[e2e][http_input]") {
  TempDir dir;
  // The output directory can't be made while a file stands in its way: every
  // flush fails and is retried, so the first chunk stays in the buffer.
  write_file(dir.file("out"), "not a directory");
  Sluice s(dir, "", "      mem_buf_limit: 1k\n      batch_max_bytes: 1k\n      retry_base: 100ms\n      retry_cap: 200ms\n");
  // Every request has its own record; what was answered 201 must arrive
  // exactly once, what was answered 503 never.
  std::vector<std::string> accepted, refused;
  int n = 0;
  auto post = [&] {
    std::string body = R"({"n":)" + std::to_string(++n) + "}";
    auto r = run({kCurl, "-sS", "-i", "-H", "Content-Type: application/json", "-d", body, s.url("/bp")});
    if (r.out.rfind("HTTP/1.1 201", 0) == 0) accepted.push_back(body);
    if (r.out.rfind("HTTP/1.1 503", 0) == 0) refused.push_back(body);
    return r;
  };
  CHECK(post().out.rfind("HTTP/1.1 201", 0) == 0);
  // The output's buffer holds that chunk now: the pipeline is paused.
  Run busy;
  CHECK(wait_until([&] { return (busy = post()).out.rfind("HTTP/1.1 503", 0) == 0; }, 10s));
  CHECK(busy.out.find("Retry-After: 1\r\n") != std::string::npos);
  CHECK(busy.out.find(R"({"error":"the pipeline is full: retry later"})") != std::string::npos);
  // Unblock the output: the buffered records are delivered, requests are taken again.
  std::filesystem::remove(dir.file("out"));
  CHECK(wait_until([&] { return post().out.rfind("HTTP/1.1 201", 0) == 0; }, 10s));
  auto lines = s.records("bp", accepted.size());
  std::sort(lines.begin(), lines.end());
  std::sort(accepted.begin(), accepted.end());
  CHECK(lines == accepted);
  CHECK_FALSE(refused.empty());
  CHECK(s.log().find("inputs paused: output file.0 buffer is full (mem_buf_limit)") != std::string::npos);
}

TEST_CASE("http e2e: Fluent Bit's success_header, add_remote_addr, enable_health_endpoint, tls.verify",
          "[e2e][http_input]") {
  TempDir dir;
  SECTION("headers on 2xx answers, the client's address in each record, /health") {
    Sluice s(dir, "      success_header:\n        - X-Served-By sluice\n        - Cache-Control no-store, private\n"
                  "      add_remote_addr: on\n      workers: 2\n");
    CHECK_THAT(s.log(), Catch::Contains("'workers' is accepted for Fluent Bit"));
    // curl through a proxy chain: the first X-Forwarded-For address is the client.
    CHECK(curl(dir, {"-D", dir.file("headers"), "-H", "Content-Type: application/json", "-H",
                     "X-Forwarded-For: 203.0.113.7, 10.0.0.1", "-d", R"([{"n":1},{"n":2,"REMOTE_ADDR":"own"}])",
                     s.url("/xff")})
              .out == "201");
    std::string headers = read_file(dir.file("headers"));
    CHECK_THAT(headers, Catch::Contains("X-Served-By: sluice\r\n") &&
                            Catch::Contains("Cache-Control: no-store, private\r\n"));
    CHECK(s.records("xff", 2) ==
          std::vector<std::string>{R"({"n":1,"REMOTE_ADDR":"203.0.113.7"})", R"({"n":2,"REMOTE_ADDR":"own"})"});
    // Python's http.client, no proxy: the connection's address. A refusal has no success headers.
    const std::string script =
        "import http.client, sys\n"
        "c = http.client.HTTPConnection('127.0.0.1', int(sys.argv[1]), timeout=10)\n"
        "c.request('POST', '/direct', body='{\"via\":\"python\"}', headers={'Content-Type': 'application/json'})\n"
        "r = c.getresponse(); r.read(); print(r.status, r.getheader('X-Served-By'))\n"
        "c.request('POST', '/direct', body='{bad', headers={'Content-Type': 'application/json'})\n"
        "r = c.getresponse(); r.read(); print(r.status, r.getheader('X-Served-By'))\n"
        "c.request('GET', '/health')\n"
        "r = c.getresponse(); print(r.status, r.getheader('X-Served-By'), r.read().decode().strip())\n";
    auto py = run({"/usr/bin/python3", "-c", script, std::to_string(s.port)});
    INFO(py.err);
    REQUIRE(py.status == 0);
    CHECK_THAT(py.out, Catch::StartsWith("201 sluice\n400 None\n200 sluice {\"status\":\"ok\",\"timestamp\":\""));
    CHECK(s.records("direct", 1) == std::vector<std::string>{R"({"via":"python","REMOTE_ADDR":"127.0.0.1"})"});
  }
  SECTION("enable_health_endpoint off: GET /health is a method not allowed, like any GET") {
    Sluice s(dir, "      enable_health_endpoint: off\n      remote_addr_key: ignored\n");
    CHECK(curl(dir, {s.url("/health")}).out == "405");
    CHECK(curl(dir, {"-H", "Content-Type: application/json", "-d", R"({"a":1})", s.url("/plain")}).out == "201");
    CHECK(s.records("plain", 1) == std::vector<std::string>{R"({"a":1})"});  // add_remote_addr is off
  }
  SECTION("tls.verify off: with tls.ca_file, clients are not asked for a certificate") {
    auto pki = make_test_pki(dir.path());
    Sluice s(dir, "      tls: on\n      tls.crt_file: " + pki.server_crt + "\n      tls.key_file: " + pki.server_key +
                      "\n      tls.ca_file: " + pki.ca_crt + "\n      tls.verify: off\n");
    CHECK(curl(dir, s.resolve(), {"--cacert", pki.ca_crt, "-H", "Content-Type: application/json", "-d",
                     R"({"cert":"none"})", s.https("/noverify")})
              .out == "201");
    CHECK(s.records("noverify", 1) == std::vector<std::string>{R"({"cert":"none"})"});
  }
}

}  // namespace SLUICE_UNITY_ID
