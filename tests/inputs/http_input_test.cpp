// The http input in-process over loopback sockets: status codes a client
// relies on (201/200/204, 400 with offset, 401, 405, 413, 415, 431, 503 with
// Retry-After), keep-alive, 100-continue, tags from the path, `tag`,
// `tag_key`, all-or-nothing requests, and shutdown.
#include <catch2/catch.hpp>

#include "agent/zlib_codec.hpp"
#include "inputs/http/http_input_settings.hpp"
#include "tests/inputs/http_input_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

std::string gzip(std::string_view data) { return zlib::compress(data, zlib::Wrapper::Gzip, zlib::kDefaultLevel); }

}  // namespace

TEST_CASE("http input: records POSTed as JSON, NDJSON and forms arrive tagged by the URL path", "[http_input]") {
  HttpHarness h;
  auto r = h.request(post("/app.log", R"({"msg":"hello","n":1})"));
  CHECK(r.status == 201);
  CHECK(r.body.empty());
  CHECK(r.header("content-length") == "0");
  CHECK(h.request(post("/app/web%20x?debug=1", "{\"a\":1}\n{\"a\":2}\n", "Content-Type: application/x-ndjson\r\n"))
            .status == 201);
  CHECK(h.request(post("/", "[{\"b\":true}]")).status == 201);
  CHECK(h.request(post("/py", "msg=hi+there&levelno=20",
                       "Content-Type: application/x-www-form-urlencoded\r\n"))
            .status == 201);
  CHECK(h.ctx.tagged_json() == std::vector<std::string>{
                               R"(app.log {"msg":"hello","n":1})", R"(app_web_x {"a":1})", R"(app_web_x {"a":2})",
                               R"(http {"b":true})", R"(py {"msg":"hi there","levelno":"20"})"});
  CHECK(h.ctx.metric("sluice_input_http_requests_total") == 4);
  CHECK(h.ctx.chunks[1]->events.size() == 2);  // one request, one chunk
}

TEST_CASE("http input: keep-alive serves several requests on one connection, pipelined or not", "[http_input]") {
  HttpHarness h;
  auto statuses = h.with_client([&] {
    RawClient c(h.port);
    std::vector<int> s;
    for (int i = 0; i < 3; ++i) s.push_back(c.request(post("/k", "{\"i\":" + std::to_string(i) + "}")).status);
    // Two requests in one write: answered in order.
    c.send(post("/k", "{\"i\":3}") + post("/k", "{\"i\":4}"));
    s.push_back(c.read_reply().status);
    s.push_back(c.read_reply().status);
    return s;
  });
  CHECK(statuses == std::vector<int>{201, 201, 201, 201, 201});
  CHECK(h.ctx.tagged_json().size() == 5);
  CHECK(h.ctx.tagged_json()[4] == R"(k {"i":4})");
}

TEST_CASE("http input: a bad body gets 400 with the byte offset and nothing of it is kept", "[http_input]") {
  HttpHarness h;
  auto r = h.request(post("/t", "{\"ok\":1}\n{\"ok\":2}\n{\"bad\" 3}\n"));
  CHECK(r.status == 400);
  CHECK(r.header("content-type") == "application/json");
  CHECK(r.body == "{\"error\":\"invalid JSON at byte 25: expected ':' after an object key, found '3' "
                  "(line 3, column 8)\"}\n");
  CHECK(h.ctx.tagged_json().empty());
  CHECK(h.ctx.metric("sluice_input_http_refused_total") == 1);
  // The connection stays usable: a corrected retry is taken whole.
  CHECK(h.request(post("/t", "{\"ok\":1}\n{\"ok\":2}\n{\"bad\":3}\n")).status == 201);
  CHECK(h.ctx.tagged_json().size() == 3);
}

TEST_CASE("http input: gzip bodies, unsupported types and encodings get 415", "[http_input]") {
  HttpHarness h;
  std::string ndjson = "{\"a\":\"x\"}\n{\"a\":\"y\"}\n";
  CHECK(h.request(post("/z", gzip(ndjson), "Content-Type: application/x-ndjson\r\nContent-Encoding: gzip\r\n"))
            .status == 201);
  CHECK(h.ctx.tagged_json() == std::vector<std::string>{R"(z {"a":"x"})", R"(z {"a":"y"})"});
  auto bad_gzip = h.request(post("/z", "plain", "Content-Type: application/json\r\nContent-Encoding: gzip\r\n"));
  CHECK(bad_gzip.status == 400);
  CHECK(bad_gzip.body == "{\"error\":\"invalid gzip data at byte 2: incorrect header check\"}\n");
  auto text = h.request(post("/z", "hello", "Content-Type: text/plain\r\n"));
  CHECK(text.status == 415);
  CHECK(text.body == "{\"error\":\"unsupported Content-Type 'text/plain': send application/json, "
                     "application/x-ndjson or application/x-www-form-urlencoded\"}\n");
  auto br = h.request(post("/z", "x", "Content-Type: application/json\r\nContent-Encoding: br\r\n"));
  CHECK(br.status == 415);
  CHECK(br.body == "{\"error\":\"unsupported Content-Encoding 'br': send gzip, deflate, zstd or identity\"}\n");
  CHECK(h.ctx.tagged_json().size() == 2);
}

TEST_CASE("http input: methods: GET /health answers 200, anything but POST 405", "[http_input]") {
  HttpHarness h("http_user: u\nhttp_passwd: p\n");
  auto health = h.request("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(health.status == 200);  // no credentials needed for a probe
  CHECK_THAT(health.body, Catch::StartsWith("{\"status\":\"ok\",\"timestamp\":\"20") && Catch::EndsWith("Z\"}\n"));
  auto get = h.request("GET /app HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(get.status == 405);
  CHECK(get.header("allow") == "POST");
  CHECK(get.body == "{\"error\":\"method GET not allowed: send records with POST\"}\n");
  CHECK(h.request("PUT /app HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}").status == 405);
}

TEST_CASE("http input: basic and bearer authentication", "[http_input]") {
  SECTION("basic") {
    HttpHarness h("http_user: fluent\nhttp_passwd: s3cret\n");
    auto none = h.request(post("/a", "{}"));
    CHECK(none.status == 401);
    CHECK(none.header("www-authenticate") == "Basic realm=\"sluice\"");
    CHECK(none.body == "{\"error\":\"authentication required\"}\n");
    auto wrong = h.request(post("/a", "{}", "Authorization: Basic " + base64_encode("fluent:nope") + "\r\n"));
    CHECK(wrong.status == 401);
    CHECK(wrong.body == "{\"error\":\"wrong credentials\"}\n");
    CHECK(h.request(post("/a", "{}", "authorization: basic " + base64_encode("fluent:s3cret") + "\r\n")).status == 201);
    CHECK(h.ctx.tagged_json().size() == 1);
  }
  SECTION("bearer, or basic when both are set") {
    HttpHarness h("bearer_token: tok-123\nhttp_user: u\nhttp_passwd: p\n");
    auto none = h.request(post("/a", "{}"));
    CHECK(none.status == 401);
    CHECK(none.header("www-authenticate") == "Basic realm=\"sluice\", Bearer realm=\"sluice\"");
    CHECK(h.request(post("/a", "{}", "Authorization: Bearer tok-12\r\n")).status == 401);
    CHECK(h.request(post("/a", "{}", "Authorization: Bearer tok-123\r\n")).status == 201);
    CHECK(h.request(post("/a", "{}", "Authorization: Basic " + base64_encode("u:p") + "\r\n")).status == 201);
    CHECK(h.ctx.tagged_json().size() == 2);
  }
}

TEST_CASE("http input: max_body_size answers 413 without buffering the body", "[http_input]") {
  HttpHarness h("max_body_size: 1k\n");
  std::string big = "{\"a\":\"" + std::string(2000, 'x') + "\"}";
  SECTION("Content-Length over the limit: 413 and the connection closes") {
    auto closed = h.with_client([&] {
      RawClient c(h.port);
      c.send(post("/a", big).substr(0, 100));  // the head only: the rest is never needed
      auto r = c.read_reply();
      CHECK(r.status == 413);
      CHECK(r.body == "{\"error\":\"body larger than max_body_size (1024 bytes)\"}\n");
      return c.closed_by_server();
    });
    CHECK(closed);
  }
  SECTION("chunked transfer over the limit") {
    std::string req = "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n";
    for (int i = 0; i < 3; ++i) req += "200\r\n" + std::string(512, ' ') + "\r\n";
    req += "0\r\n\r\n";
    CHECK(h.request(req).status == 413);
  }
  SECTION("gzip that inflates past the limit") {
    auto r = h.request(post("/a", gzip(big), "Content-Type: application/json\r\nContent-Encoding: gzip\r\n"));
    CHECK(r.status == 413);
    CHECK(r.body == "{\"error\":\"body is larger than max_body_size (1024 bytes) once decompressed\"}\n");
  }
  SECTION("chunked within the limit is fine") {
    std::string req = "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
                      "4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n";
    CHECK(h.request(req).status == 201);
    CHECK(h.ctx.tagged_json() == std::vector<std::string>{R"(a {"a":1})"});
  }
  CHECK(h.ctx.metric("sluice_input_bytes_read_total") < 1024);
}

TEST_CASE("http input: a full pipeline answers 503 with Retry-After and keeps nothing", "[http_input]") {
  HttpHarness h;
  h.ctx.paused_ = true;
  auto r = h.request(post("/a", "{\"a\":1}"));
  CHECK(r.status == 503);
  CHECK(r.header("retry-after") == "1");
  CHECK(r.body == "{\"error\":\"the pipeline is full: retry later\"}\n");
  CHECK(h.ctx.tagged_json().empty());
  CHECK(h.ctx.metric("sluice_input_http_busy_total") == 1);
  h.ctx.paused_ = false;
  CHECK(h.request(post("/a", "{\"a\":1}")).status == 201);
  CHECK(h.ctx.tagged_json().size() == 1);
}

TEST_CASE("http input: a chunk its filesystem buffer refuses gets 503, then 2xx once stored", "[http_input][storage]") {
  HttpHarness h;
  h.ctx.refuse = true;  // the disk under the buffer is full
  auto r = h.request(post("/a", "{\"a\":1}"));
  CHECK(r.status == 503);
  CHECK(r.header("retry-after") == "1");
  CHECK(r.body.find("buffer") != std::string::npos);
  CHECK(h.ctx.refused == 1);
  CHECK(h.ctx.tagged_json().empty());
  CHECK(h.ctx.metric("sluice_input_http_busy_total") == 1);
  CHECK(h.ctx.metric("sluice_input_http_requests_total") == 0);
  h.ctx.refuse = false;
  CHECK(h.request(post("/a", "{\"a\":1}")).status == 201);
  CHECK(h.ctx.tagged_json() == std::vector<std::string>{R"(a {"a":1})"});
}

TEST_CASE("http input: Expect: 100-continue", "[http_input]") {
  HttpHarness h("bearer_token: t\n");
  auto replies = h.with_client([&] {
    RawClient c(h.port);
    std::vector<int> s;
    c.send("POST /e HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\n"
           "Content-Length: 7\r\nExpect: 100-continue\r\n\r\n");
    s.push_back(c.read_reply().status);
    c.send("{\"a\":1}");
    s.push_back(c.read_reply().status);
    // Refused before the body is sent: the final answer comes at once.
    c.send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 7\r\n"
           "Expect: 100-continue\r\n\r\n");
    s.push_back(c.read_reply().status);
    return s;
  });
  CHECK(replies == std::vector<int>{100, 201, 401});
  CHECK(h.ctx.tagged_json() == std::vector<std::string>{R"(e {"a":1})"});
}

TEST_CASE("http input: `tag` overrides the path, tag_key takes a record's own tag", "[http_input]") {
  SECTION("tag") {
    HttpHarness h("tag: fixed\n");
    CHECK(h.request(post("/ignored", "{}")).status == 201);
    CHECK(h.ctx.tagged_json() == std::vector<std::string>{"fixed {}"});
  }
  SECTION("tag_key splits one request into a chunk per tag, at once") {
    HttpHarness h("tag_key: service\n");
    CHECK(h.request(post("/base", "[{\"service\":\"web\",\"i\":1},{\"i\":2},{\"service\":\"db\",\"i\":3},"
                                  "{\"service\":\"web\",\"i\":4},{\"service\":5,\"i\":6}]"))
              .status == 201);
    CHECK(h.ctx.tagged_json() == std::vector<std::string>{
                                 R"(base {"i":2})", R"(base {"service":5,"i":6})", R"(web {"service":"web","i":1})",
                                 R"(web {"service":"web","i":4})", R"(db {"service":"db","i":3})"});
  }
  CHECK(http_tag_from_target("/app.log", "http") == "app.log");
  CHECK(http_tag_from_target("/", "http") == "http");
  CHECK(http_tag_from_target("/?x=1", "http") == "http");
  CHECK(http_tag_from_target("/a/b-c%2Ed?q", "http") == "a_b_c.d");
}

TEST_CASE("http input: successful_response_code 200 and 204", "[http_input]") {
  {
    HttpHarness h("successful_response_code: 204\n");
    auto r = h.request(post("/a", "{}"));
    CHECK(r.status == 204);
    CHECK(r.headers.count("content-length") == 0);
  }
  {
    HttpHarness h("successful_response_code: 200\n");
    CHECK(h.request(post("/a", "{}")).status == 200);
  }
}

TEST_CASE("http input: malformed requests and oversized headers are answered, then closed", "[http_input]") {
  HttpHarness h;
  auto bad = h.request("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n");
  CHECK(bad.status == 400);
  CHECK(bad.body.rfind("{\"error\":\"malformed HTTP request: ", 0) == 0);
  auto huge = h.request("POST /a HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
  CHECK(huge.status == 431);
  CHECK(huge.body == "{\"error\":\"request header larger than 16384 bytes\"}\n");
}

TEST_CASE("http input: idle connections are closed after idle_timeout, stop() closes the rest", "[http_input]") {
  {
    HttpHarness h("idle_timeout: 200ms\n");
    CHECK(h.with_client([&] {
      RawClient c(h.port);
      return c.closed_by_server();
    }));
  }
  HttpHarness h;
  auto client = std::async(std::launch::async, [&] {
    RawClient c(h.port);
    c.request(post("/a", "{}"));
    return c.closed_by_server();
  });
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (h.ctx.tagged_json().empty() && std::chrono::steady_clock::now() < deadline) h.run_for(5ms);
  h.input->stop();
  h.run_for(50ms);
  CHECK(client.get());
}

TEST_CASE("http input: many clients at once, bodies larger than the body budget together", "[http_input]") {
  HttpHarness h("max_connections: 16\n");
  // 40 clients × 300 KB: more than the 4 MiB received at once and more
  // clients than max_connections, so some wait for the budget and some in
  // the accept queue; every request still gets its 201 and its records.
  std::string batch;
  for (int i = 0; i < 1500; ++i)
    batch += R"({"i":)" + std::to_string(i) + R"(,"msg":")" + std::string(180, 'x') + "\"}\n";
  auto statuses = h.with_client([&] {
    std::vector<std::future<int>> clients;
    for (int c = 0; c < 40; ++c)
      clients.push_back(std::async(std::launch::async, [&, c] {
        RawClient client(h.port);
        return client.request(post("/c" + std::to_string(c), batch, "Content-Type: application/x-ndjson\r\n")).status;
      }));
    std::vector<int> s;
    for (auto& f : clients) s.push_back(f.get());
    return s;
  });
  CHECK(statuses == std::vector<int>(40, 201));
  CHECK(h.ctx.tagged_json().size() == 40u * 1500);
  CHECK(h.ctx.chunks.size() == 40);
}

}  // namespace SLUICE_UNITY_ID
