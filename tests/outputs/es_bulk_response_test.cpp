// Reading Elasticsearch answers: the per-item status table, whole-request
// statuses, and _bulk answers (errors:false, partial failures in request
// order, 409 with and without our ids, malformed answers).
#include <catch2/catch.hpp>

#include "outputs/es/es_bulk_response.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::es;

namespace {

http::Response answer(int status, std::string body = "") {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

std::vector<BulkItem> items(size_t n, bool own_id = false) {
  std::vector<BulkItem> v;
  for (uint32_t i = 0; i < n; ++i) v.push_back({i, own_id});
  return v;
}

}  // namespace

TEST_CASE("es items: status table", "[es][es_response]") {
  struct Row {
    int status;
    const char* type;
    bool own_id;
    Outcome outcome;
    bool duplicate;
  };
  const Row rows[] = {
      {200, "", false, Outcome::Delivered, false},
      {201, "", false, Outcome::Delivered, false},
      {409, "version_conflict_engine_exception", true, Outcome::Delivered, true},
      {409, "version_conflict_engine_exception", false, Outcome::Permanent, false},
      {429, "es_rejected_execution_exception", false, Outcome::Retry, false},
      {429, "circuit_breaking_exception", true, Outcome::Retry, false},
      {500, "internal_server_error", false, Outcome::Retry, false},
      {503, "unavailable_shards_exception", false, Outcome::Retry, false},
      {408, "", false, Outcome::Retry, false},
      {403, "cluster_block_exception", false, Outcome::Retry, false},
      {403, "security_exception", false, Outcome::Permanent, false},
      {400, "mapper_parsing_exception", false, Outcome::Permanent, false},
      {400, "document_parsing_exception", true, Outcome::Permanent, false},
      {404, "index_not_found_exception", false, Outcome::Permanent, false},
  };
  for (const auto& row : rows) {
    INFO(row.status << " " << row.type << " own_id=" << row.own_id);
    ItemOutcome o = classify_item(row.status, row.type, "why", row.own_id);
    CHECK(o.outcome == row.outcome);
    CHECK(o.duplicate == row.duplicate);
  }
  CHECK(classify_item(400, "mapper_parsing_exception", "failed to parse", false).reason ==
        "400 mapper_parsing_exception: failed to parse");
  CHECK(classify_item(201, "", "", false).reason.empty());
}

TEST_CASE("es requests: whole-answer statuses", "[es][es_response]") {
  CHECK(classify_request(answer(200, "{}")).verdict == RequestVerdict::ReadItems);
  CHECK(classify_request(answer(413)).verdict == RequestVerdict::Split);
  SECTION("no answer retries with the transport's error") {
    http::Response r = answer(0);
    r.error = "connection refused";
    auto o = classify_request(r);
    CHECK(o.verdict == RequestVerdict::Retry);
    CHECK(o.reason.find("connection refused") != std::string::npos);
  }
  SECTION("429 and 5xx retry, with the answer's Retry-After") {
    http::Response r = answer(429, R"({"error":"too many"})");
    r.retry_after = std::chrono::milliseconds(7000);
    auto o = classify_request(r);
    CHECK(o.verdict == RequestVerdict::Retry);
    CHECK(o.retry_after == std::chrono::milliseconds(7000));
    CHECK(classify_request(answer(503)).verdict == RequestVerdict::Retry);
    CHECK(classify_request(answer(502)).verdict == RequestVerdict::Retry);
  }
  SECTION("other 4xx are permanent with Elasticsearch's text") {
    auto o = classify_request(answer(400, R"({"error":{"type":"illegal_argument_exception","reason":"bad bulk"}})"));
    CHECK(o.verdict == RequestVerdict::Permanent);
    CHECK(o.reason.find("400") != std::string::npos);
    CHECK(o.reason.find("bad bulk") != std::string::npos);
    CHECK(classify_request(answer(404)).verdict == RequestVerdict::Permanent);
    CHECK(classify_request(answer(401)).verdict == RequestVerdict::Permanent);
  }
  SECTION("403 of a read-only cluster retries; another 403 does not") {
    CHECK(classify_request(answer(403, R"({"error":{"type":"cluster_block_exception"}})")).verdict ==
          RequestVerdict::Retry);
    CHECK(classify_request(answer(403, R"({"error":{"type":"security_exception"}})")).verdict ==
          RequestVerdict::Permanent);
  }
}

TEST_CASE("es answers: _bulk bodies", "[es][es_response]") {
  BulkResponseParser parser;
  std::vector<ItemOutcome> out;
  std::string error;

  SECTION("errors:false means every item was stored; the items are not read") {
    std::string body = R"({"took":3,"errors":false,"items":[]})";  // a canned answer lists none
    CHECK(parser.parse(body, items(3), out, &error) == BulkParse::AllDelivered);
  }
  SECTION("errors:true maps item i to sent item i") {
    std::string body = R"({"took":3,"errors":true,"items":[
      {"create":{"_index":"a","_id":"1","status":201,"result":"created"}},
      {"create":{"_index":"a","status":429,"error":{"type":"es_rejected_execution_exception","reason":"queue full"}}},
      {"index":{"_index":"a","status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [n]",
        "caused_by":{"type":"illegal_argument_exception","reason":"For input string: \"abc\""}}}},
      {"create":{"_index":"a","status":503,"error":{"type":"unavailable_shards_exception","reason":"primary not active"}}},
      {"create":{"_index":"a","_id":"5","status":409,"error":{"type":"version_conflict_engine_exception","reason":"exists"}}}
    ]})";
    auto sent = items(5);
    SECTION("without our ids a 409 is a rejection") {
      REQUIRE(parser.parse(body, sent, out, &error) == BulkParse::PerItem);
      REQUIRE(out.size() == 5);
      CHECK(out[0].outcome == Outcome::Delivered);
      CHECK(out[1].outcome == Outcome::Retry);
      CHECK(out[1].reason == "429 es_rejected_execution_exception: queue full");
      CHECK(out[2].outcome == Outcome::Permanent);
      CHECK(out[2].reason == "400 mapper_parsing_exception: failed to parse field [n] (caused by "
                             "illegal_argument_exception: For input string: \"abc\")");
      CHECK(out[3].outcome == Outcome::Retry);
      CHECK(out[4].outcome == Outcome::Permanent);
    }
    SECTION("with an id we chose a 409 means stored by an earlier attempt") {
      sent[4].own_id = true;
      REQUIRE(parser.parse(body, sent, out, &error) == BulkParse::PerItem);
      CHECK(out[4].outcome == Outcome::Delivered);
      CHECK(out[4].duplicate);
    }
  }
  SECTION("items before errors, and an error given as a string (old versions)") {
    std::string body = R"({"items":[{"index":{"status":201}},{"index":{"status":400,"error":"MapperParsingException[bad]"}}],"errors":true})";
    REQUIRE(parser.parse(body, items(2), out, &error) == BulkParse::PerItem);
    CHECK(out[0].outcome == Outcome::Delivered);
    CHECK(out[1].reason == "400 MapperParsingException[bad]");
  }
  SECTION("answers that are not a _bulk answer for this request are malformed") {
    const char* bodies[] = {
        "<html>502 Bad Gateway</html>",
        R"({"took":1,"items":[]})",                                   // no errors field
        R"({"errors":true,"items":[{"create":{"status":201}}]})",     // 1 item for 2 sent
        R"({"errors":true,"items":[{"create":{"status":201}},{"create":{"status":201}},{"create":{"status":201}}]})",
        R"({"errors":true,"items":[{"create":{"status":201}},{"create":{"result":"created"}}]})",  // no status
        R"({"errors":"yes","items":[]})",
        R"({"errors":true,"items":[{"create":{"status":201}},)",      // cut off
        "",
    };
    for (const char* text : bodies) {
      INFO(text);
      std::string body = text;
      CHECK(parser.parse(body, items(2), out, &error) == BulkParse::Malformed);
      CHECK_FALSE(error.empty());
    }
  }
  SECTION("the parser is reused across answers of different sizes") {
    std::string big = R"({"errors":true,"items":[)";
    for (int i = 0; i < 20000; ++i) big += std::string(i ? "," : "") + R"({"create":{"_index":"logs","status":201}})";
    big += "]}";
    REQUIRE(parser.parse(big, items(20000), out, &error) == BulkParse::PerItem);
    std::string small = R"({"errors":false})";
    CHECK(parser.parse(small, items(1), out, &error) == BulkParse::AllDelivered);
  }
}

TEST_CASE("es: a 409 on an update is a concurrent change, tried again", "[es]") {
  CHECK(classify_item(409, "version_conflict_engine_exception", "conflict", false, true).outcome == Outcome::Retry);
  CHECK_FALSE(classify_item(409, "version_conflict_engine_exception", "conflict", false, true).duplicate);
  CHECK(classify_item(404, "document_missing_exception", "[x]: document missing", false, true).outcome ==
        Outcome::Permanent);
}

}  // namespace SLUICE_UNITY_ID
