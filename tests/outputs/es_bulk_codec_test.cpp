// One es flush through the _bulk codec on the HTTP sink, against a scripted
// transport (no network): what each request carries, and how answers become
// per-record outcomes across several requests, partial batches, 413 splits,
// whole-request failures and malformed answers. The core resends exactly
// the records marked Retry.
#include <catch2/catch.hpp>

#include <deque>
#include <functional>

#include "tests/outputs/es_test_support.hpp"
#include "outputs/es/es_bulk_codec.hpp"
#include "tests/support/output_context.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::es;
using namespace sluice::es::test;

namespace {

// Answers each request with the next scripted function of it.
struct FakeTransport {
  std::vector<http::Request> requests;
  std::deque<std::function<http::Response(const http::Request&)>> script;
  std::function<http::Response(const http::Request&)> otherwise = [](const http::Request&) {
    http::Response r;
    r.status = 200;
    r.body = R"({"errors":false,"items":[]})";
    return r;
  };

  http::SendFn fn() {
    return [this](http::Request req, http::ResponseHandler done) {
      requests.push_back(req);
      auto answer = otherwise;
      if (!script.empty()) {
        answer = std::move(script.front());
        script.pop_front();
      }
      done(answer(requests.back()));
    };
  }
};

http::Response status(int code, std::string body = "") {
  http::Response r;
  r.status = code;
  r.body = std::move(body);
  return r;
}

// A _bulk answer with one item per action line of the request: statuses[i]
// for item i (201 when statuses is shorter).
std::function<http::Response(const http::Request&)> items(std::vector<int> statuses) {
  return [statuses](const http::Request& req) {
    size_t n = lines_of(req.body).size() / 2;
    std::string body = R"({"took":1,"errors":true,"items":[)";
    for (size_t i = 0; i < n; ++i) {
      int s = i < statuses.size() ? statuses[i] : 201;
      if (i) body += ',';
      body += R"({"create":{"_index":"x","status":)" + std::to_string(s);
      if (s >= 300) body += R"(,"error":{"type":"t)" + std::to_string(s) + R"(","reason":"r"})";
      body += "}}";
    }
    return status(200, body + "]}");
  };
}

struct Harness {
  explicit Harness(const std::string& yaml)
      : settings(settings_of(yaml)), ctx("es.0"),
        sink(transport.fn(), "localhost:9200", std::make_unique<BulkCodec>(settings)) {
    sink.start(ctx);
  }

  FlushResult flush(const Batch& batch) {
    std::optional<FlushResult> result;
    sink.flush(batch, [&](FlushResult r) { result = std::move(r); });
    REQUIRE(result);  // the fake answers synchronously
    return std::move(*result);
  }
  uint64_t counter(const char* name) const { return ctx.counter(name); }

  EsSettings settings;
  FakeTransport transport;
  sluice::test::FakeOutputContext ctx;
  http::HttpSink sink;
};

Batch batch_of(std::vector<BatchPart> parts) {
  Batch b;
  b.parts = std::move(parts);
  return b;
}

// Each record's outcome; n records when the result has one outcome for all.
std::vector<Outcome> outcomes(const FlushResult& r, size_t n = 0) {
  if (r.per_record.empty()) return std::vector<Outcome>(n, r.outcome);
  std::vector<Outcome> v;
  for (const auto& o : r.per_record) v.push_back(o.outcome);
  return v;
}

std::vector<std::string> records(int n) {
  std::vector<std::string> v;
  for (int i = 0; i < n; ++i) v.push_back(R"({"i":)" + std::to_string(i) + R"(,"pad":")" + std::string(100, 'x') + "\"}");
  return v;
}

constexpr auto D = Outcome::Delivered;
constexpr auto R = Outcome::Retry;
constexpr auto P = Outcome::Permanent;

}  // namespace

TEST_CASE("es flush: the request", "[es][es_codec]") {
  Harness h("pipeline: ingest\ncompress: gzip\nhttp_api_key: id:key");
  auto chunk = chunk_of("app", {R"({"a":1})"});
  FlushResult r = h.flush(batch_of({{chunk, {}}}));
  CHECK(r.outcome == Outcome::Delivered);
  CHECK(r.per_record.empty());
  REQUIRE(h.transport.requests.size() == 1);
  const http::Request& req = h.transport.requests[0];
  CHECK(req.method == "POST");
  CHECK(req.target == "/_bulk?pipeline=ingest");
  CHECK(req.content_encoding == "gzip");  // compressed by the sink, before any signer
  CHECK_FALSE(req.gzip);
  bool ndjson = false, auth = false;
  for (const auto& hd : req.headers) {
    ndjson = ndjson || (hd.name == "Content-Type" && hd.value == "application/x-ndjson");
    auth = auth || (hd.name == "Authorization" && hd.value == "ApiKey aWQ6a2V5");
  }
  CHECK(ndjson);
  CHECK(auth);
  CHECK(h.counter("sluice_output_http_requests_total") == 1);
  CHECK(h.counter("sluice_output_es_items_delivered_total") == 1);
  CHECK(h.counter("sluice_output_http_request_bytes_total") == req.body.size());
}

TEST_CASE("es flush: partial failures become per-record outcomes in batch order", "[es][es_codec]") {
  Harness h("");
  auto c1 = chunk_of("a", records(4));
  auto c2 = chunk_of("b", records(3));
  // The second part is a retry of two events only: for_each order is c1[0..3], c2[2], c2[0].
  Batch batch = batch_of({{c1, {}}, {c2, {2, 0}}});
  h.transport.script.push_back(items({201, 429, 400, 201, 503, 409}));
  FlushResult r = h.flush(batch);
  CHECK(outcomes(r) == std::vector<Outcome>{D, R, P, D, R, P});
  CHECK(r.per_record[1].reason == "429 t429: r");
  CHECK(r.per_record[2].reason == "400 t400: r");
  CHECK(r.per_record[5].reason == "409 t409: r");  // not our id: someone else's document
  CHECK(h.counter("sluice_output_es_items_delivered_total") == 2);
  CHECK(h.counter("sluice_output_es_items_retried_total") == 2);
  CHECK(h.counter("sluice_output_es_items_rejected_total") == 2);
  // What was sent is the batch's events in for_each order.
  auto lines = lines_of(h.transport.requests[0].body);
  REQUIRE(lines.size() == 12);
  CHECK(lines[9].find(R"("i":2,)") != std::string::npos);
  CHECK(lines[11].find(R"("i":0,)") != std::string::npos);
}

TEST_CASE("es flush: with generated ids a 409 counts as delivered", "[es][es_codec]") {
  Harness h("generate_id: on");
  auto chunk = chunk_of("app", records(2));
  h.transport.script.push_back(items({409, 201}));
  FlushResult r = h.flush(batch_of({{chunk, {}}}));
  CHECK(r.outcome == Outcome::Delivered);
  CHECK(r.per_record.empty());
  CHECK(h.counter("sluice_output_es_items_duplicate_total") == 1);
}

TEST_CASE("es flush: a batch split over several requests maps every answer back", "[es][es_codec]") {
  Harness h("max_request_bytes: 1k");
  auto chunk = chunk_of("app", records(20));
  // Each request holds 6 records of ~170 bytes (two lines each) under 1 KiB.
  SECTION("item failures in a later request land on the right events") {
    h.transport.script.push_back(items({}));
    h.transport.script.push_back(items({201, 429}));
    FlushResult r = h.flush(batch_of({{chunk, {}}}));
    REQUIRE(h.transport.requests.size() > 2);
    size_t first = lines_of(h.transport.requests[0].body).size() / 2;
    std::vector<Outcome> expected(20, D);
    expected[first + 1] = R;
    CHECK(outcomes(r) == expected);
  }
  SECTION("a whole request refused with 429 retries only its records, with Retry-After") {
    h.transport.script.push_back(items({}));
    h.transport.script.push_back([](const http::Request&) {
      http::Response resp = status(429, "too many requests");
      resp.retry_after = std::chrono::milliseconds(2000);
      return resp;
    });
    FlushResult r = h.flush(batch_of({{chunk, {}}}));
    size_t first = lines_of(h.transport.requests[0].body).size() / 2;
    size_t second = lines_of(h.transport.requests[1].body).size() / 2;
    for (size_t i = 0; i < 20; ++i) {
      INFO(i);
      CHECK(r.per_record[i].outcome == (i >= first && i < first + second ? R : D));
    }
    CHECK(r.retry_after == std::chrono::milliseconds(2000));
    CHECK(h.counter("sluice_output_http_requests_failed_total") == 1);
  }
  SECTION("no answer at all retries the request's records") {
    h.transport.script.push_back([](const http::Request&) {
      http::Response resp;
      resp.error = "connection reset by peer";
      return resp;
    });
    FlushResult r = h.flush(batch_of({{chunk, {}}}));
    CHECK(r.per_record[0].outcome == R);
    CHECK(r.per_record[0].reason == "connection reset by peer");
    CHECK(r.per_record[19].outcome == D);
  }
  SECTION("a 400 for the whole request is permanent for its records") {
    h.transport.script.push_back([](const http::Request&) { return status(400, "bad request"); });
    FlushResult r = h.flush(batch_of({{chunk, {}}}));
    CHECK(r.per_record[0].outcome == P);
    CHECK(r.per_record[0].reason.find("400") != std::string::npos);
    CHECK(r.per_record[19].outcome == D);
  }
}

TEST_CASE("es flush: malformed answers retry the request's records", "[es][es_codec]") {
  Harness h("trace_error: on");  // the request and the answer are logged too
  auto chunk = chunk_of("app", records(3));
  h.transport.script.push_back([](const http::Request&) { return status(200, "<html>proxy error</html>"); });
  FlushResult r = h.flush(batch_of({{chunk, {}}}));
  CHECK(outcomes(r, 3) == std::vector<Outcome>{R, R, R});
  CHECK(r.reason.find("unreadable _bulk answer") != std::string::npos);
}

TEST_CASE("es flush: 413 splits the request in halves", "[es][es_codec]") {
  Harness h("");
  auto chunk = chunk_of("app", records(8));
  SECTION("until the halves fit") {
    // Elasticsearch refuses bodies with more than 2 records.
    h.transport.otherwise = [](const http::Request& req) {
      if (lines_of(req.body).size() > 4) return status(413);
      return items({})(req);
    };
    FlushResult r = h.flush(batch_of({{chunk, {}}}));
    CHECK(r.outcome == Outcome::Delivered);
    CHECK(r.per_record.empty());
    CHECK(h.transport.requests.size() == 1 + 2 + 4);
    CHECK(h.counter("sluice_output_es_requests_split_total") == 3);
    std::string sent;  // what was accepted: the requests of two records
    for (const auto& req : h.transport.requests)
      if (lines_of(req.body).size() <= 4) sent += req.body;
    CHECK(lines_of(sent).size() == 16);
    for (int i = 0; i < 8; ++i) CHECK(sent.find("\"i\":" + std::to_string(i) + ",") != std::string::npos);
  }
  SECTION("a single record refused with 413 is permanent") {
    h.transport.otherwise = [](const http::Request&) { return status(413); };
    FlushResult r = h.flush(batch_of({{chunk, {}}}));
    CHECK(outcomes(r, 8) == std::vector<Outcome>(8, P));
    CHECK(r.reason.find("413") != std::string::npos);
  }
}

TEST_CASE("es flush: a record over max_request_bytes is permanent, the rest is sent", "[es][es_codec]") {
  Harness h("max_request_bytes: 1k");
  auto chunk = chunk_of("app", {R"({"a":1})", R"({"big":")" + std::string(3000, 'z') + "\"}", R"({"a":3})"});
  FlushResult r = h.flush(batch_of({{chunk, {}}}));
  CHECK(outcomes(r) == std::vector<Outcome>{D, P, D});
  CHECK(r.per_record[1].reason == "the record's bulk lines are larger than max_request_bytes (1024 bytes)");
  REQUIRE(h.transport.requests.size() == 1);
  CHECK(lines_of(h.transport.requests[0].body).size() == 4);
}

}  // namespace SLUICE_UNITY_ID
