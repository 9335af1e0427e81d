// The http input's limits on what clients can hold: max_connections, the
// body budget shared by all connections, and request_timeout for a client
// that stops sending — each observed on the wire with raw clients.
#include <catch2/catch.hpp>

#include "tests/inputs/http_input_harness.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

// A NDJSON body of about `bytes` bytes: one record per ~1 KB line.
std::string ndjson_of(size_t bytes, const std::string& who) {
  std::string body;
  std::string filler(1000, 'x');
  for (int i = 0; body.size() < bytes; ++i)
    body += R"({"who":")" + who + R"(","i":)" + std::to_string(i) + R"(,"pad":")" + filler + "\"}\n";
  return body;
}

std::string head(const std::string& target, size_t length, const std::string& extra = "") {
  return "POST " + target + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-ndjson\r\nContent-Length: " +
         std::to_string(length) + "\r\n" + extra + "\r\n";
}

size_t records_tagged(HttpHarness& h, const std::string& tag) {
  size_t n = 0;
  for (const auto& c : h.ctx.chunks)
    if (c->tag == tag) n += c->events.size();
  return n;
}

}  // namespace

TEST_CASE("http input: max_connections leaves further clients in the accept queue until one closes", "[http_input]") {
  HttpHarness h("max_connections: 2\n");
  auto waited = h.with_client([&] {
    auto a = std::make_unique<RawClient>(h.port);
    RawClient b(h.port);
    REQUIRE(a->request(post("/a", R"({"n":1})")).status == 201);
    REQUIRE(b.request(post("/b", R"({"n":2})")).status == 201);
    // Both kept alive: a third client connects (the kernel's backlog) but is not served.
    RawClient c(h.port);
    REQUIRE(c.send(post("/c", R"({"n":3})")));
    bool early = c.answered_within(300ms);
    a.reset();  // one closes: the third is accepted and answered
    HttpReply late = c.read_reply();
    return std::make_pair(early, late.status);
  });
  CHECK_FALSE(waited.first);
  CHECK(waited.second == 201);
  CHECK(h.ctx.tagged_json() == std::vector<std::string>{R"(a {"n":1})", R"(b {"n":2})", R"(c {"n":3})"});
}

TEST_CASE("http input: bodies wait for the shared 4 MiB body budget", "[http_input]") {
  // Two 3 MiB bodies don't fit the budget at once: the second client (who
  // asks with Expect: 100-continue, so the wait is visible) is told to send
  // only once the first request is done, or its client gone.
  const std::string body_a = ndjson_of(3 << 20, "a");
  const std::string body_b = ndjson_of(3 << 20, "b");
  SECTION("the first finishes") {
    HttpHarness h;
    auto seen = h.with_client([&] {
      RawClient a(h.port), b(h.port);
      REQUIRE(a.send(head("/a", body_a.size()) + body_a.substr(0, 1 << 20)));
      REQUIRE(b.send(head("/b", body_b.size(), "Expect: 100-continue\r\n")));
      bool early = b.answered_within(300ms);
      REQUIRE(a.send(body_a.substr(1 << 20)));
      int a_status = a.read_reply().status;
      int b_continue = b.read_reply().status;
      REQUIRE(b.send(body_b));
      int b_status = b.read_reply().status;
      return std::make_tuple(early, a_status, b_continue, b_status);
    });
    CHECK_FALSE(std::get<0>(seen));
    CHECK(std::get<1>(seen) == 201);
    CHECK(std::get<2>(seen) == 100);
    CHECK(std::get<3>(seen) == 201);
    CHECK(records_tagged(h, "a") == records_tagged(h, "b"));
    CHECK(records_tagged(h, "a") > 3000);
  }
  SECTION("the first stalls and is cut off by request_timeout, freeing its share") {
    HttpHarness h("request_timeout: 500ms\n");
    auto seen = h.with_client([&] {
      RawClient a(h.port), b(h.port);
      REQUIRE(a.send(head("/a", body_a.size()) + body_a.substr(0, 1 << 20)));
      REQUIRE(b.send(head("/b", body_b.size(), "Expect: 100-continue\r\n")));
      int b_continue = b.read_reply().status;  // after a was dropped
      REQUIRE(b.send(body_b));
      int b_status = b.read_reply().status;
      return std::make_tuple(a.closed_by_server(), b_continue, b_status);
    });
    CHECK(std::get<0>(seen));
    CHECK(std::get<1>(seen) == 100);
    CHECK(std::get<2>(seen) == 201);
    CHECK(records_tagged(h, "a") == 0);  // a request is taken whole or not at all
    CHECK(records_tagged(h, "b") > 3000);
  }
}

TEST_CASE("http input: request_timeout disconnects a client that stops sending its body", "[http_input]") {
  HttpHarness h("request_timeout: 200ms\n");
  bool closed = h.with_client([&] {
    RawClient c(h.port);
    REQUIRE(c.send(head("/slow", 100) + R"({"n":)"));
    return c.closed_by_server();
  });
  CHECK(closed);
  CHECK(h.ctx.records() == 0);
  // The server still serves others.
  CHECK(h.request(post("/ok", "{}")).status == 201);
}

}  // namespace SLUICE_UNITY_ID
