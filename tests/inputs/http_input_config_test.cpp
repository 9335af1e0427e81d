// The http input's keys: defaults, each key, and every configuration error a
// user can meet (asserted once each).
#include <catch2/catch.hpp>

#include "agent/asio.hpp"
#include "agent/config/yaml_loader.hpp"
#include "inputs/http/http_input.hpp"
#include "inputs/http/http_input_settings.hpp"
#include "tests/support/input_context.hpp"
#include "tests/support/net.hpp"
#include "tests/support/process.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {

HttpInputSettings settings(const std::string& yaml, const std::string& base_dir = "") {
  BuildContext ctx;
  ctx.base_dir = base_dir;
  return make_http_input_settings(config::load_component(http_input_schema(), "input", yaml), ctx);
}

// The ConfigError that building an input from yaml throws, from "key '...'"
// on (before it: the file, line and component).
std::string error(const std::string& yaml, const std::string& base_dir = "") {
  BuildContext ctx;
  ctx.base_dir = base_dir;
  try {
    make_http_input(config::load_component(http_input_schema(), "input", yaml), ctx);
  } catch (const config::ConfigError& e) {
    std::string what = e.what();
    return what.substr(std::min(what.find("key '"), what.size()));
  }
  return "";
}

}  // namespace

TEST_CASE("http input config: Fluent Bit's defaults", "[http_input]") {
  auto s = settings("");
  CHECK(s.listen == "0.0.0.0");
  CHECK(s.port == 9880);
  CHECK(s.tag.empty());
  CHECK(s.default_tag == "http");
  CHECK(s.tag_key.empty());
  CHECK(s.max_body_size == 4u * 1024 * 1024);
  CHECK(s.success_code == 201);
  CHECK(s.basic_credentials.empty());
  CHECK(s.bearer_credentials.empty());
  CHECK_FALSE(s.tls);
  CHECK(s.idle_timeout == std::chrono::seconds(60));
  CHECK(s.request_timeout == std::chrono::seconds(30));
  CHECK(s.max_connections == 1024);
}

TEST_CASE("http input config: each key", "[http_input]") {
  auto s = settings("listen: '::1'\nport: 8888\ntag: app\ntag_key: svc\nmax_body_size: 10M\n"
                    "successful_response_code: 204\nhttp_user: fluent\nhttp_passwd: 'p:w'\nbearer_token: abc\n"
                    "idle_timeout: 5s\nrequest_timeout: 250ms\nmax_connections: 10\n");
  CHECK(s.listen == "::1");
  CHECK(s.port == 8888);
  CHECK(s.tag == "app");
  CHECK(s.tag_key == "svc");
  CHECK(s.max_body_size == 10u * 1024 * 1024);
  CHECK(s.success_code == 204);
  CHECK(s.basic_credentials == "Basic Zmx1ZW50OnA6dw==");
  CHECK(s.bearer_credentials == "Bearer abc");
  CHECK(s.idle_timeout == std::chrono::seconds(5));
  CHECK(s.request_timeout == std::chrono::milliseconds(250));
  CHECK(s.max_connections == 10);
  CHECK(settings("buffer_max_size: 512k").max_body_size == 512u * 1024);
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("a") == "YQ==");
  CHECK(base64_encode("ab") == "YWI=");
  CHECK(base64_encode("abc") == "YWJj");
}

TEST_CASE("http input config: TLS files are loaded when the pipeline is built", "[http_input]") {
  sluice::test::TempDir dir;
  auto pki = sluice::test::make_test_pki(dir.path());
  auto s = settings("tls: on\ntls.crt_file: server.crt\ntls.key_file: " + pki.server_key + "\ntls.ca_file: " +
                        pki.ca_crt + "\n",
                    dir.path());
  CHECK(s.tls);
  CHECK(s.tls_crt_file == dir.file("server.crt"));
  CHECK(s.tls_ca_file == pki.ca_crt);
  CHECK(error("tls: on\ntls.crt_file: " + pki.server_crt + "\ntls.key_file: " + pki.client_key + "\n")
            .rfind("key 'tls.key_file': cannot use key '" + pki.client_key + "': ", 0) == 0);
  CHECK(error("tls: on\ntls.crt_file: " + pki.server_key + "\ntls.key_file: " + pki.server_key + "\n")
            .rfind("key 'tls.crt_file': cannot load certificate '" + pki.server_key + "': ", 0) == 0);
}

TEST_CASE("http input config: errors name the key and what was expected", "[http_input]") {
  CHECK(error("port: 70000") == "key 'port': expected a port between 1 and 65535, got 70000");
  CHECK(error("listen: localhost") == "key 'listen': expected an IPv4 or IPv6 address, got 'localhost'");
  CHECK(error("successful_response_code: 202") ==
        "key 'successful_response_code': expected 200, 201 or 204, got 202");
  CHECK(error("max_body_size: 10") == "key 'max_body_size': expected a size between 1k and 1G, got 10");
  CHECK(error("max_body_size: 1M\nbuffer_max_size: 1M") ==
        "key 'buffer_max_size': is Fluent Bit's name for max_body_size: set only one of them");
  CHECK(error("tag_key: ''") == "key 'tag_key': expected a record key");
  CHECK(error("http_user: u") == "key 'http_user': http_user and http_passwd go together");
  CHECK(error("http_user: 'a:b'\nhttp_passwd: p") ==
        "key 'http_user': expected a non-empty user name without ':'");
  CHECK(error("bearer_token: ''") == "key 'bearer_token': expected a non-empty token");
  CHECK(error("tls.crt_file: x.crt") == "key 'tls.crt_file': has no effect without `tls: on`");
  CHECK(error("tls: on\ntls.key_file: k") == "key 'tls': `tls: on` needs tls.crt_file and tls.key_file");
  CHECK(error("tls: on\ntls.crt_file: /nonexistent/c.crt\ntls.key_file: k") ==
        "key 'tls.crt_file': cannot read '/nonexistent/c.crt'");
  CHECK(error("idle_timeout: 0s") == "key 'idle_timeout': expected at least 1ms");
  CHECK(error("max_connections: -1") == "key 'max_connections': expected between 1 and 1000000, got -1");
  CHECK_THROWS_WITH(config::load_component(http_input_schema(), "input", "prot: 1"),
                    Catch::Contains("unknown key 'prot'") && Catch::Contains("did you mean 'port'?"));
}

TEST_CASE("http input config: a port in use is an error at start, naming the key", "[http_input]") {
  uint16_t port = sluice::test::free_tcp_port();
  auto cfg = config::load_component(http_input_schema(), "input", "listen: 127.0.0.1\nport: " + std::to_string(port));
  // The context (and its io_context) outlives the inputs, as in the service.
  sluice::test::FakeInputContext ctx("http.0");
  auto first = make_http_input(cfg, BuildContext{});
  auto second = make_http_input(cfg, BuildContext{});
  first->start(ctx);
  try {
    second->start(ctx);
    FAIL("expected a ConfigError");
  } catch (const config::ConfigError& e) {
    CHECK(e.mark().line == 2);
    CHECK_THAT(e.what(), Catch::EndsWith("key 'port': cannot listen on 127.0.0.1:" + std::to_string(port) +
                                         ": Address already in use"));
  }
  first->stop();
  second->stop();
}

TEST_CASE("http input config: Fluent Bit's success_header, add_remote_addr, enable_health_endpoint, workers",
          "[http_input]") {
  auto d = settings("");
  CHECK(d.success_headers.empty());
  CHECK(d.remote_addr_key.empty());  // add_remote_addr off
  CHECK(d.health_endpoint);
  CHECK(d.tls_verify);
  auto s = settings("success_header:\n  - X-Served-By sluice\n  - 'Cache-Control   no-store, private'\n"
                    "add_remote_addr: on\nenable_health_endpoint: off\nworkers: 4\n");
  CHECK(s.success_headers == std::vector<std::pair<std::string, std::string>>{
                                 {"X-Served-By", "sluice"}, {"Cache-Control", "no-store, private"}});
  CHECK(s.remote_addr_key == "REMOTE_ADDR");
  CHECK_FALSE(s.health_endpoint);
  CHECK(settings("add_remote_addr: on\nremote_addr_key: client\n").remote_addr_key == "client");
  CHECK(settings("success_header: X-One 1\n").success_headers.size() == 1);  // one scalar is one header
  CHECK(error("success_header: X-Nothing\n") ==
        "key 'success_header': expected 'Name Value' (a header name, a space, its value), got 'X-Nothing'");
  CHECK_THAT(error("success_header: 'Bad:Name v'\n"), Catch::Contains("got 'Bad:Name v'"));
  CHECK(error("workers: 0\n") == "key 'workers': expected at least 1");
}

// Fluent Bit 5's in_http takes its shared HTTP server's keys (http_server.*,
// and older names for some); its test configs set http2.
TEST_CASE("http input config: Fluent Bit 5's http_server.* keys", "[http_input]") {
  auto s = settings("http_server.idle_timeout: 5s\nhttp_server.max_connections: 0\n"
                    "http_server.buffer_max_size: 2M\nhttp_server.http2: off\n"
                    "buffer_chunk_size: 512K\nhttp_server.workers: 2\n");
  CHECK_FALSE(s.http2);
  CHECK(settings("").http2);  // on by default, as in Fluent Bit
  CHECK_FALSE(settings("http2: off\n").http2);
  CHECK_THAT(error("http2: off\nhttp_server.http2: on\n"), Catch::Contains("key 'http2' is set twice"));
  CHECK(s.idle_timeout == std::chrono::seconds(5));
  CHECK(s.max_connections == 1000000);  // Fluent Bit's 0: no limit
  CHECK(s.max_body_size == 2 * 1024 * 1024);
  CHECK(settings("http_server:\n  idle_timeout: 7s\n").idle_timeout == std::chrono::seconds(7));  // nested YAML
  CHECK(settings("max_connections: 0\n").max_connections == 1000000);
  CHECK_THAT(error("http_server.max_connections: 5\nmax_connections: 6\n"),
             Catch::Contains("key 'max_connections' is set twice"));
}

}  // namespace SLUICE_UNITY_ID
