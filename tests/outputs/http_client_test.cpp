// The shared HTTP client against real peers: nginx (keep-alive, TLS, client
// certificates), tinyproxy (CONNECT, absolute form, proxy auth), the python3
// stand-ins in tests/peers (recording sink, misbehaving answers, a CONNECT
// proxy for what tinyproxy can't show), and the pure helpers (Retry-After,
// proxy URLs and the environment).
#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <cstdlib>
#include <set>

#include "outputs/common/http_client.hpp"
#include "outputs/common/http_output_config.hpp"
#include "tests/outputs/http_test_peers.hpp"
#include "tests/outputs/tinyproxy_peer.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

http::ClientSettings local(uint16_t port) {
  http::ClientSettings s;
  s.host = "127.0.0.1";
  s.port = port;
  s.connect_timeout = 5s;
  s.request_timeout = 10s;
  return s;
}

http::ClientSettings tls_local(uint16_t port, const std::string& ca_file) {
  http::ClientSettings s = local(port);
  s.host = "localhost";
  s.tls.enabled = true;
  s.tls.ca_file = ca_file;
  return s;
}

http::Request post(std::string target, std::string body) {
  http::Request r;
  r.target = std::move(target);
  r.body = std::move(body);
  return r;
}

const char* kConnectionEcho = R"(
    keepalive_requests 1000;
    location /conn { return 200 "$connection $connection_requests"; }
    location /hello { return 200 "hello"; }
    location /cert { return 200 "$ssl_client_verify $ssl_client_s_dn"; })";

}  // namespace

TEST_CASE("http client: plain requests and keep-alive against nginx", "[http_client]") {
  NginxPeer nginx(kConnectionEcho);
  boost::asio::io_context io;

  SECTION("an answer with status, headers and body") {
    http::Client client(io, local(nginx.port()));
    http::Response r = exchange(io, client, get("/hello"));
    CHECK(r.status == 200);
    CHECK(r.body == "hello");
    REQUIRE(r.header("content-length") != nullptr);
    CHECK(*r.header("CONTENT-LENGTH") == "5");
    CHECK(r.error.empty());
  }
  SECTION("sequential requests reuse one connection") {
    http::Client client(io, local(nginx.port()));
    std::string first = exchange(io, client, get("/conn")).body;
    std::string second = exchange(io, client, get("/conn")).body;
    std::string third = exchange(io, client, get("/conn")).body;
    std::string conn = first.substr(0, first.find(' '));
    CHECK(first == conn + " 1");
    CHECK(second == conn + " 2");
    CHECK(third == conn + " 3");
  }
  SECTION("keepalive off opens a connection per request") {
    auto settings = local(nginx.port());
    settings.keepalive = false;
    http::Client client(io, settings);
    std::string first = exchange(io, client, get("/conn")).body;
    std::string second = exchange(io, client, get("/conn")).body;
    CHECK(first.substr(first.find(' ')) == " 1");
    CHECK(second.substr(second.find(' ')) == " 1");
    CHECK(first != second);
  }
  SECTION("max_connections bounds the connections; extra requests wait their turn") {
    auto settings = local(nginx.port());
    settings.max_connections = 2;
    http::Client client(io, settings);
    std::vector<http::Request> requests;
    for (int i = 0; i < 8; ++i) requests.push_back(get("/conn"));
    auto answers = exchange_all(io, client, std::move(requests));
    std::set<std::string> connections;
    for (const auto& a : answers) {
      CHECK(a.status == 200);
      connections.insert(a.body.substr(0, a.body.find(' ')));
    }
    CHECK(connections.size() <= 2);
  }
  SECTION("close() fails queued requests; the one already started still finishes") {
    auto settings = local(nginx.port());
    settings.max_connections = 1;  // the second request waits for the first's connection
    http::Client client(io, settings);
    std::optional<http::Response> started, queued;
    client.send(get("/hello"), [&](http::Response r) { started = std::move(r); });
    client.send(get("/hello"), [&](http::Response r) { queued = std::move(r); });
    client.close();
    io.restart();
    REQUIRE(wait_until([&] { io.poll(); return started && queued; }, 10s));
    CHECK(started->status == 200);
    CHECK(queued->status == 0);
    CHECK(queued->error == "the HTTP client was closed before the request was sent");
    CHECK(exchange(io, client, get("/hello")).error == "the HTTP client is closed");
  }
}

TEST_CASE("http client: large bodies over TLS arrive whole (several TLS records)", "[http_client]") {
  // nginx hands /in to a plain backend, so it reads each body whole before
  // answering, and logs how many bytes each request had. Bodies above one
  // TLS record (16 KiB) once stalled after the head.
  TempDir dir;
  uint16_t backend = free_tcp_port();
  NginxPeer nginx("    client_max_body_size 0;\n    location /in { access_log " + dir.file("sizes.log") +
                      " sizes; proxy_pass http://127.0.0.1:" + std::to_string(backend) + "/; }",
                  &shared_test_pki(),
                  "  log_format sizes '$request_length';\n"
                  "  server { listen 127.0.0.1:" + std::to_string(backend) + "; access_log off; return 200 ok; }\n");
  boost::asio::io_context io;
  http::Client client(io, tls_local(nginx.port(), shared_test_pki().ca_crt));
  for (size_t size : {size_t{100}, size_t{20'000}, size_t{1'000'000}}) {
    INFO(size);
    http::Request req = post("/in", std::string(size, 'x'));
    http::Response r = exchange(io, client, std::move(req));
    CHECK(r.error == "");
    CHECK(r.status == 200);
  }
  // nginx logs a request once its answer is out: wait for the third line.
  REQUIRE(wait_until([&] { return read_lines(dir.file("sizes.log")).size() == 3; }, 10s));
  auto sizes = read_lines(dir.file("sizes.log"));
  CHECK(std::stoul(sizes[2]) > 1'000'000);  // the head and the whole body
}

TEST_CASE("http client: TLS against nginx with a test CA", "[http_client]") {
  TempDir pki_dir;
  const TestPki& pki = shared_test_pki();
  NginxPeer nginx(kConnectionEcho, &pki);
  boost::asio::io_context io;

  SECTION("the CA in tls.ca_file verifies the server; the connection is kept alive") {
    http::Client client(io, tls_local(nginx.port(), pki.ca_crt));
    std::string first = exchange(io, client, get("/conn")).body;
    std::string second = exchange(io, client, get("/conn")).body;
    CHECK(first.substr(first.find(' ')) == " 1");
    CHECK(second == first.substr(0, first.find(' ')) + " 2");
  }
  SECTION("an IP address is verified against the certificate's IP SAN") {
    // make_test_pki's server certificate names DNS:localhost and IP:127.0.0.1.
    auto settings = tls_local(nginx.port(), pki.ca_crt);
    settings.host = "127.0.0.1";
    http::Client client(io, settings);
    http::Response r = exchange(io, client, get("/hello"));
    CHECK(r.error == "");
    CHECK(r.status == 200);
  }
  SECTION("a wrong CA fails with a clear error") {
    http::Client client(io, tls_local(nginx.port(), pki.other_ca_crt));
    http::Response r = exchange(io, client, get("/hello"));
    CHECK(r.status == 0);
    CHECK(r.error == "TLS handshake with localhost:" + std::to_string(nginx.port()) +
                         " failed: certificate verify failed (unable to get local issuer certificate)");
  }
  SECTION("tls.verify off accepts the server with the wrong CA") {
    auto settings = tls_local(nginx.port(), pki.other_ca_crt);
    settings.tls.verify = false;
    http::Client client(io, settings);
    CHECK(exchange(io, client, get("/hello")).body == "hello");
  }
  SECTION("a certificate for another name fails host name verification") {
    auto settings = tls_local(nginx.port(), pki.ca_crt);
    settings.tls.vhost = "elsewhere.example";
    http::Client client(io, settings);
    http::Response r = exchange(io, client, get("/hello"));
    CHECK(r.status == 0);
    CHECK_THAT(r.error, Catch::Contains("certificate verify failed (hostname mismatch)"));
  }
  SECTION("the system CAs don't know the test CA") {
    http::Client client(io, tls_local(nginx.port(), ""));
    CHECK_THAT(exchange(io, client, get("/hello")).error, Catch::Contains("certificate verify failed"));
  }
  SECTION("plain HTTP to a TLS port gets nginx's 400 answer") {
    http::Client client(io, local(nginx.port()));
    CHECK(exchange(io, client, get("/hello")).status == 400);
  }
  SECTION("unusable TLS files fail every request with the reason") {
    auto settings = tls_local(nginx.port(), pki_dir.file("missing.pem"));
    http::Client client(io, settings);
    CHECK_THAT(exchange(io, client, get("/hello")).error, Catch::StartsWith("cannot use tls.ca_file"));
    CHECK_THAT(http::tls_settings_error(settings.tls), Catch::StartsWith("cannot use tls.ca_file"));
    settings.tls.ca_file = pki.ca_crt;
    settings.tls.crt_file = pki.client_crt;
    settings.tls.key_file = pki.server_key;
    CHECK(http::tls_settings_error(settings.tls) ==
          "tls.key_file " + pki.server_key + " does not match tls.crt_file " + pki.client_crt);
  }
}

TEST_CASE("http client: client certificates (nginx ssl_verify_client on)", "[http_client]") {
  const TestPki& pki = shared_test_pki();
  NginxPeer nginx(std::string(kConnectionEcho) + "\n    ssl_client_certificate " + pki.ca_crt +
                      ";\n    ssl_verify_client on;",
                  &pki);
  boost::asio::io_context io;
  auto settings = tls_local(nginx.port(), pki.ca_crt);

  SECTION("with tls.crt_file and tls.key_file the server accepts") {
    settings.tls.crt_file = pki.client_crt;
    settings.tls.key_file = pki.client_key;
    http::Client client(io, settings);
    http::Response r = exchange(io, client, get("/cert"));
    CHECK(r.status == 200);
    CHECK(r.body == "SUCCESS CN=sluice-client");
  }
  SECTION("without, nginx refuses the request") {
    http::Client client(io, settings);
    http::Response r = exchange(io, client, get("/cert"));
    CHECK(r.status == 400);
    CHECK_THAT(r.body, Catch::Contains("No required SSL certificate was sent"));
  }
}

TEST_CASE("http client: bodies, gzip and answers of a recording peer", "[http_client]") {
  TempDir dir;
  PythonPeer sink("http_sink.py", {"--out", dir.file("requests.jsonl")});
  boost::asio::io_context io;
  http::Client client(io, local(sink.port()));

  SECTION("a body goes out with Content-Length and the given headers") {
    http::Request req = post("/echo?x=1", "{\"a\":1}");
    req.headers.push_back({"Content-Type", "application/json"});
    req.headers.push_back({"X-Custom", "yes"});
    http::Response r = exchange(io, client, std::move(req));
    CHECK(r.status == 200);
    CHECK(r.body == "{\"a\":1}");
    auto seen = sink_requests(dir.file("requests.jsonl"));
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].method == "POST");
    CHECK(seen[0].path == "/echo?x=1");
    CHECK(seen[0].header("Content-Length") == "7");
    CHECK(seen[0].header("X-Custom") == "yes");
    CHECK(seen[0].header("Host") == "127.0.0.1:" + std::to_string(sink.port()));
    CHECK(seen[0].header("Content-Encoding").empty());
  }
  SECTION("gzip compresses the body; the peer inflates it back") {
    std::string body;
    for (int i = 0; i < 2000; ++i) body += "{\"line\":" + std::to_string(i) + ",\"msg\":\"repetitive text\"}\n";
    http::Request req = post("/echo", body);
    req.gzip = true;
    CHECK(exchange(io, client, std::move(req)).body == body);
    auto seen = sink_requests(dir.file("requests.jsonl"));
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].header("Content-Encoding") == "gzip");
    CHECK(seen[0].body == body);
    CHECK(seen[0].raw_length < static_cast<int64_t>(body.size()) / 5);
    CHECK(seen[0].header("Content-Length") == std::to_string(seen[0].raw_length));
  }
  SECTION("a gzipped answer is inflated") {
    http::Response r = exchange(io, client, get("/gzip-answer"));
    CHECK(r.body == "compressed answer");
  }
  SECTION("Retry-After of a 429 or 503, in seconds or as an HTTP date") {
    http::Response r = exchange(io, client, get("/status/429?retry_after=7"));
    CHECK(r.status == 429);
    CHECK(r.body == "status 429");
    REQUIRE(r.retry_after.has_value());
    CHECK(*r.retry_after == 7s);
    r = exchange(io, client, get("/status/503?retry_after=Wed,%2021%20Oct%202099%2007:28:00%20GMT"));
    CHECK(r.status == 503);
    REQUIRE(r.retry_after.has_value());
    CHECK(*r.retry_after > std::chrono::hours(24 * 365));
    CHECK_FALSE(exchange(io, client, get("/status/500")).retry_after.has_value());
  }
  SECTION("a server that closes a kept-alive connection: the request goes again on a fresh one") {
    CHECK(exchange(io, client, get("/close-on-reuse")).status == 200);
    CHECK(exchange(io, client, get("/close-on-reuse")).status == 200);
    auto seen = sink_requests(dir.file("requests.jsonl"));
    REQUIRE(seen.size() == 3);
    CHECK(seen[0].conn == seen[1].conn);  // the second went on the kept-alive connection, unanswered
    CHECK(seen[2].conn != seen[1].conn);  // and again on a new one
  }
  SECTION("an answer cut short fails without a retry") {
    http::Response r = exchange(io, client, get("/drop"));
    CHECK(r.status == 0);
    CHECK(r.error == "connection to 127.0.0.1:" + std::to_string(sink.port()) + " closed before a complete answer");
    CHECK(sink_requests(dir.file("requests.jsonl")).size() == 1);
  }
  SECTION("a peer that never answers hits request_timeout") {
    auto settings = local(sink.port());
    settings.request_timeout = 300ms;
    http::Client slow(io, settings);
    http::Response r = exchange(io, slow, get("/hang"));
    CHECK(r.status == 0);
    CHECK(r.error == "no complete answer from 127.0.0.1:" + std::to_string(sink.port()) +
                         " within 300ms (request_timeout)");
    CHECK(sink_requests(dir.file("requests.jsonl")).size() == 1);
  }
  SECTION("a header with a line break is refused before sending") {
    http::Request req = get("/echo");
    req.headers.push_back({"X-Bad", "a\r\nInjected: 1"});
    CHECK(exchange(io, client, std::move(req)).error == "invalid HTTP header \"X-Bad\"");
  }
}

TEST_CASE("http client: connection failures", "[http_client]") {
  boost::asio::io_context io;

  SECTION("nothing listening: a clear error, then the next request connects again") {
    uint16_t port = free_tcp_port();
    http::Client client(io, local(port));
    http::Response r = exchange(io, client, get("/hello"));
    CHECK(r.status == 0);
    CHECK(r.error == "cannot connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
    NginxPeer late(kConnectionEcho);
    http::Client again(io, local(late.port()));
    CHECK(exchange(io, again, get("/hello")).status == 200);
  }
  SECTION("an unknown host name") {
    auto settings = local(80);
    settings.host = "no-such-host.invalid";
    http::Client client(io, settings);
    CHECK_THAT(exchange(io, client, get("/")).error, Catch::StartsWith("cannot resolve no-such-host.invalid: "));
  }
  SECTION("a TLS peer that never shakes hands hits connect_timeout") {
    // A listening socket never accepted: the kernel completes the TCP
    // handshake into its backlog, the ClientHello is never read or answered.
    boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::address_v4::loopback(), 0});
    uint16_t port = silent.local_endpoint().port();
    auto settings = tls_local(port, "");
    settings.host = "127.0.0.1";
    settings.connect_timeout = 300ms;
    http::Client client(io, settings);
    http::Response r = exchange(io, client, get("/"));
    CHECK(r.status == 0);
    CHECK(r.error == "TLS handshake with 127.0.0.1:" + std::to_string(port) + " timed out after 300ms (connect_timeout)");
  }
  SECTION("a listener that never accepts hits connect_timeout") {
    // A full accept queue (backlog 0, never accepted) makes Linux drop new SYNs.
    boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::address_v4::loopback(), 0});
    acceptor.listen(0);
    uint16_t port = acceptor.local_endpoint().port();
    std::vector<int> fillers;  // non-blocking connects (asio's sync connect would wait for them)
    for (int i = 0; i < 3; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port);
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
      fillers.push_back(fd);
    }
    auto settings = local(port);
    settings.connect_timeout = 300ms;
    http::Client client(io, settings);
    http::Response r = exchange(io, client, get("/"));
    CHECK(r.status == 0);
    CHECK(r.error == "connect to 127.0.0.1:" + std::to_string(port) + " timed out after 300ms (connect_timeout)");
    for (int fd : fillers) ::close(fd);
  }
}

TEST_CASE("http client: destroyed right after send, before io ran", "[http_client]") {
  // The request's coroutine is only started when io runs; the client it
  // belongs to is gone by then (ASan catches a use after free).
  boost::asio::io_context io;
  bool called = false;
  {
    http::Client client(io, local(free_tcp_port()));
    client.send(get("/"), [&](http::Response) { called = true; });
  }
  io.run_for(std::chrono::seconds(5));  // returns once the abandoned request is done
  CHECK(!called);
}

TEST_CASE("http client: through tinyproxy", "[http_client]") {
  TempDir dir;
  const TestPki& pki = shared_test_pki();
  NginxPeer tls_nginx(kConnectionEcho, &pki);
  const std::string origin = "localhost:" + std::to_string(tls_nginx.port());
  boost::asio::io_context io;

  SECTION("HTTPS: one CONNECT tunnel, the origin verified against the test CA, kept alive") {
    TinyproxyPeer proxy("user s3cret-pass");
    auto settings = tls_local(tls_nginx.port(), pki.ca_crt);
    settings.proxy = proxy.url("user:s3cret-pass");
    http::Client client(io, settings);
    http::Response first = exchange(io, client, get("/conn"));
    http::Response second = exchange(io, client, get("/conn"));
    INFO(first.error << second.error << proxy.log());
    REQUIRE(first.status == 200);
    CHECK(first.body.substr(first.body.find(' ')) == " 1");
    CHECK(second.body == first.body.substr(0, first.body.find(' ')) + " 2");  // same connection to nginx
    CHECK(proxy.wait_requests(1) == std::vector<std::string>{"CONNECT " + origin + " HTTP/1.1"});
  }
  SECTION("HTTPS: without credentials, tinyproxy's 407 is the error") {
    TinyproxyPeer proxy("user s3cret-pass");
    auto settings = tls_local(tls_nginx.port(), pki.ca_crt);
    settings.proxy = proxy.url();
    http::Client client(io, settings);
    http::Response r = exchange(io, client, get("/hello"));
    CHECK(r.status == 0);
    CHECK(r.error == "proxy 127.0.0.1:" + std::to_string(proxy.port()) + " refused CONNECT to " + origin +
                         ": 407 Proxy Authentication Required");
  }
  SECTION("HTTPS: wrong credentials are refused too (tinyproxy 1.11 answers them 401)") {
    TinyproxyPeer proxy("user s3cret-pass");
    auto settings = tls_local(tls_nginx.port(), pki.ca_crt);
    settings.proxy = proxy.url("user:wrong");
    http::Client client(io, settings);
    std::string error = exchange(io, client, get("/hello")).error;
    std::string refused = "proxy 127.0.0.1:" + std::to_string(proxy.port()) + " refused CONNECT to " + origin + ": ";
    CAPTURE(error);
    // Debian 12's tinyproxy (1.11) answers wrong credentials 401, not 407:
    // the client reports whatever the proxy said.
    CHECK(error == refused + "401 Unauthorized");
  }
  SECTION("HTTPS: an origin that is down: the proxy's answer is the error") {
    TinyproxyPeer proxy;
    uint16_t closed = free_tcp_port();
    auto settings = tls_local(closed, pki.ca_crt);
    settings.proxy = proxy.url();
    http::Client client(io, settings);
    CHECK(exchange(io, client, get("/hello")).error == "proxy 127.0.0.1:" + std::to_string(proxy.port()) +
                                                           " refused CONNECT to localhost:" + std::to_string(closed) +
                                                           ": 500 Unable to connect");
  }
  SECTION("plain HTTP: absolute form with credentials; each request reaches the origin once, via the proxy") {
    TinyproxyPeer proxy("user s3cret-pass");
    PythonPeer sink("http_sink.py", {"--out", dir.file("requests.jsonl")});
    auto settings = local(sink.port());
    settings.proxy = proxy.url("user:s3cret-pass");
    http::Client client(io, settings);
    // tinyproxy ends its connection after each answer: later requests need
    // fresh connections, and none may go twice.
    constexpr int kRequests = 4;
    for (int i = 0; i < kRequests; ++i) {
      http::Response r = exchange(io, client, post("/echo", "via tinyproxy " + std::to_string(i)));
      INFO(r.error << proxy.log());
      CHECK(r.status == 200);
      CHECK(r.body == "via tinyproxy " + std::to_string(i));
    }
    auto seen = sink_requests(dir.file("requests.jsonl"));
    REQUIRE(seen.size() == kRequests);
    for (int i = 0; i < kRequests; ++i) {
      CHECK(seen[i].path == "/echo");
      CHECK(seen[i].body == "via tinyproxy " + std::to_string(i));
      CHECK_THAT(seen[i].header("Via"), Catch::StartsWith("1.1 sluice-test-proxy (tinyproxy/"));
    }
    auto logged = proxy.wait_requests(kRequests);
    REQUIRE(logged.size() == kRequests);
    for (const auto& line : logged)
      CHECK(line == "POST http://127.0.0.1:" + std::to_string(sink.port()) + "/echo HTTP/1.1");
  }
  SECTION("plain HTTP without credentials: tinyproxy's 407 is the answer; nothing reaches the origin") {
    TinyproxyPeer proxy("user s3cret-pass");
    PythonPeer sink("http_sink.py", {"--out", dir.file("requests.jsonl")});
    auto settings = local(sink.port());
    settings.proxy = proxy.url();
    http::Client client(io, settings);
    http::Response r = exchange(io, client, get("/hello"));
    INFO(r.error << proxy.log());
    CHECK(r.status == 407);
    CHECK_THAT(r.body, Catch::Contains("Proxy Authentication Required"));
    // With a body, tinyproxy answers before reading it and closes with it
    // unread, so the kernel ends the connection with a reset instead of a
    // FIN: the close-delimited 407 must still come through.
    r = exchange(io, client, post("/echo", "refused"));
    CAPTURE(r.error);
    CHECK(r.status == 407);
    CHECK(proxy.wait_requests(2).size() == 2);
    CHECK(sink_requests(dir.file("requests.jsonl")).empty());
  }
}

// What tinyproxy can't show: its BasicAuth (1.11) takes no "@" or "%", and
// its log has no header values. The stand-in logs the exact Proxy-Authorization.
TEST_CASE("http client: proxy credentials from the URL are percent-decoded (CONNECT stand-in)", "[http_client]") {
  TempDir dir;
  const TestPki& pki = shared_test_pki();
  NginxPeer tls_nginx(kConnectionEcho, &pki);
  boost::asio::io_context io;
  PythonPeer proxy("http_connect_proxy.py", {"--log", dir.file("proxy.jsonl"), "--auth", "user:p@ss"});
  auto settings = tls_local(tls_nginx.port(), pki.ca_crt);
  settings.proxy = "http://user:p%40ss@127.0.0.1:" + std::to_string(proxy.port());
  http::Client client(io, settings);
  std::string first = exchange(io, client, get("/conn")).body;
  std::string second = exchange(io, client, get("/conn")).body;
  CHECK(second == first.substr(0, first.find(' ')) + " 2");  // one tunnel, kept alive
  auto log = read_lines(dir.file("proxy.jsonl"));
  REQUIRE(log.size() == 1);
  CHECK_THAT(log[0], Catch::Contains("\"method\": \"CONNECT\", \"target\": \"localhost:" +
                                     std::to_string(tls_nginx.port()) + "\""));
  CHECK_THAT(log[0], Catch::Contains(http::basic_auth("user", "p@ss")));
}

TEST_CASE("http client: proxies from the environment", "[http_client]") {
  ScopedEnv a("HTTPS_PROXY", "proxy.corp:3128");
  ScopedEnv b("https_proxy", nullptr);
  ScopedEnv c("HTTP_PROXY", "http://plain.corp:8080");
  ScopedEnv d("http_proxy", nullptr);
  ScopedEnv e("no_proxy", nullptr);
  {
    ScopedEnv n("NO_PROXY", "localhost, .internal,example.org:443");
    CHECK(http::proxy_from_environment("es.cloud", true) == "http://proxy.corp:3128");
    CHECK(http::proxy_from_environment("es.cloud", false) == "http://plain.corp:8080");
    CHECK(http::proxy_from_environment("localhost", true).empty());
    CHECK(http::proxy_from_environment("a.b.internal", true).empty());
    CHECK(http::proxy_from_environment("internal", true).empty());
    CHECK(http::proxy_from_environment("api.example.org", true).empty());
    CHECK(http::proxy_from_environment("notexample.org", true) == "http://proxy.corp:3128");
  }
  {
    ScopedEnv n("NO_PROXY", "10.0.0.0/8, 192.168.1.128/25,fd00::/8");
    CHECK(http::proxy_from_environment("10.1.2.3", true).empty());
    CHECK(http::proxy_from_environment("192.168.1.200", true).empty());
    CHECK(http::proxy_from_environment("192.168.1.100", true) == "http://proxy.corp:3128");
    CHECK(http::proxy_from_environment("11.0.0.1", true) == "http://proxy.corp:3128");
    CHECK(http::proxy_from_environment("[fd12::1]", true).empty());
    CHECK(http::proxy_from_environment("fe80::1", true) == "http://proxy.corp:3128");
    // A range says nothing of names, even ones that look like its prefix.
    CHECK(http::proxy_from_environment("10.example", true) == "http://proxy.corp:3128");
  }
  {
    ScopedEnv n("NO_PROXY", "0.0.0.0/0,bogus/99");
    CHECK(http::proxy_from_environment("203.0.113.9", true).empty());
    CHECK(http::proxy_from_environment("::1", true) == "http://proxy.corp:3128");
  }
  {
    ScopedEnv n("NO_PROXY", "*");
    CHECK(http::proxy_from_environment("anything", true).empty());
  }
  {
    ScopedEnv lower_case("https_proxy", "http://lower:1");
    CHECK(http::proxy_from_environment("x", true) == "http://lower:1");
  }
}

TEST_CASE("http client: proxy URLs", "[http_client]") {
  auto p = http::parse_proxy_url("http://us%3Aer:pa%40ss@proxy.corp:3128/");
  REQUIRE(p.has_value());
  CHECK(p->host == "proxy.corp");
  CHECK(p->port == 3128);
  CHECK(p->user == "us:er");
  CHECK(p->password == "pa@ss");
  CHECK(http::parse_proxy_url("proxy.corp")->port == 1080);
  CHECK(http::parse_proxy_url("http://[::1]:8080")->host == "::1");
  CHECK_FALSE(http::parse_proxy_url("https://proxy.corp:3128").has_value());
  CHECK_FALSE(http::parse_proxy_url("http://:3128").has_value());
  CHECK_FALSE(http::parse_proxy_url("http://proxy:99999").has_value());
  CHECK_FALSE(http::parse_proxy_url("http://proxy:3128/path").has_value());
}

TEST_CASE("http client: Retry-After values", "[http_client]") {
  auto now = std::chrono::system_clock::from_time_t(1445412480);  // Wed, 21 Oct 2015 07:28:00 GMT
  CHECK(http::parse_retry_after("120", now) == std::chrono::milliseconds(120'000));
  CHECK(http::parse_retry_after(" 0 ", now) == std::chrono::milliseconds(0));
  CHECK(http::parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now) == std::chrono::milliseconds(30'000));
  CHECK(http::parse_retry_after("Wednesday, 21-Oct-15 07:29:00 GMT", now) == std::chrono::milliseconds(60'000));
  CHECK(http::parse_retry_after("Wed Oct 21 07:28:10 2015", now) == std::chrono::milliseconds(10'000));
  CHECK(http::parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now) == std::chrono::milliseconds(0));
  CHECK_FALSE(http::parse_retry_after("soon", now).has_value());
  CHECK_FALSE(http::parse_retry_after("12s", now).has_value());
  CHECK_FALSE(http::parse_retry_after("", now).has_value());
}

}  // namespace SLUICE_UNITY_ID
