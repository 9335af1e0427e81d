// gcp::TokenSigner under the HTTP sink, on the real client, against
// google_standin.js: every request carries the cached token, a 401 makes the
// sink call invalidate() and the retried records go out with a fresh token.
#include <catch2/catch.hpp>

#include "agent/parse/json_format.hpp"
#include "outputs/common/gcp/google_token_signer.hpp"
#include "outputs/common/http_sink.hpp"
#include "tests/outputs/gcp_test_support.hpp"
#include "tests/support/output_context.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {

// One entries:write per flush, each record a textPayload; a 401 asks the
// sink to re-authenticate (the rest: the shared rules).
class EntriesCodec final : public http::Codec {
 public:
  void plan(std::span<const EventRef> events, std::vector<http::PlannedRequest>& requests,
            std::vector<RecordOutcome>& /*outcomes*/) override {
    http::PlannedRequest p;
    p.request.target = "/v2/entries:write";
    p.request.headers.push_back({"Content-Type", "application/json"});
    std::string& body = p.request.body;
    body = R"({"logName":"projects/standin-project/logs/sluice","resource":{"type":"global","labels":{}},"entries":[)";
    for (uint32_t i = 0; i < events.size(); ++i) {
      if (i) body += ",";
      body += R"({"insertId":"sink-)" + std::to_string(next_id_++) + R"(","textPayload":"record"})";
      p.events.push_back(i);
    }
    body += "]}";
    requests.push_back(std::move(p));
  }
  http::Answer read(http::PlannedRequest& sent, http::Response& response, std::span<const EventRef> events) override {
    http::Answer a = Codec::read(sent, response, events);
    if (response.status == 401) {
      a.outcome = Outcome::Retry;
      a.reauthenticate = true;
    }
    return a;
  }

 private:
  uint64_t next_id_ = 0;
};

Batch batch_of(int n) {
  auto chunk = std::make_shared<Chunk>("app");
  auto json = make_json_format();
  for (int i = 0; i < n; ++i) {
    Value v;
    REQUIRE(json->parse("{\"n\":" + std::to_string(i) + "}", chunk->arena, v));
    chunk->events.push_back({i, v});
  }
  Batch b;
  b.parts.push_back({chunk, {}});
  return b;
}

}  // namespace

TEST_CASE("the Google token signer under the HTTP sink: a 401 brings a fresh token", "[gcp]") {
  test::GoogleStandin g;
  gcp::TokenSignerSettings s;
  s.credentials_file = g.key_file();
  s.use_metadata_server = false;
  std::string error;
  auto source = gcp::resolve_credentials(s, error);
  REQUIRE(source);
  http::ClientSettings cs;
  cs.host = "127.0.0.1";
  cs.port = g.port();
  http::HttpSink sink(cs, std::make_unique<EntriesCodec>(), std::make_unique<gcp::TokenSigner>(s, *source));
  test::FakeOutputContext ctx;
  sink.start(ctx);

  Batch batch = batch_of(3);
  CHECK(test::flush_and_wait(sink, ctx, batch).outcome == Outcome::Delivered);
  CHECK(test::flush_and_wait(sink, ctx, batch).outcome == Outcome::Delivered);
  g.control(R"({"faults":[{"type":"status","status":401}]})");
  FlushResult refused = test::flush_and_wait(sink, ctx, batch);
  CHECK(refused.outcome == Outcome::Retry);
  CHECK(test::flush_and_wait(sink, ctx, batch).outcome == Outcome::Delivered);
  sink.stop();

  std::vector<std::pair<int64_t, int64_t>> writes;  // status, token_n
  for (const auto& l : g.log("write")) writes.emplace_back(l.status, l.token_n);
  CHECK(writes == std::vector<std::pair<int64_t, int64_t>>{{200, 1}, {200, 1}, {401, 1}, {200, 2}});
  CHECK(g.log("token").size() == 2);
}

}  // namespace SLUICE_UNITY_ID
