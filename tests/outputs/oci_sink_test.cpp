// oci::RequestSigner under the HTTP sink, on the real client, against
// oci_standin.js: a gzip body is compressed by the sink before it is signed,
// so the signature covers the bytes sent; a 401 makes the sink call
// invalidate() and the retried records go out under a fresh instance-
// principal token.
#include <catch2/catch.hpp>

#include <cstdio>

#include "agent/parse/json_format.hpp"
#include "outputs/common/http_sink.hpp"
#include "outputs/common/oci/oci_request_signer.hpp"
#include "tests/outputs/oci_test_support.hpp"
#include "tests/support/output_context.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

namespace {

// One PutLogs per flush, one entry per record; a 401 asks the sink to
// re-authenticate (the rest: the shared rules).
class PutLogsCodec final : public http::Codec {
 public:
  explicit PutLogsCodec(bool gzip) : gzip_(gzip) {}

  void plan(std::span<const EventRef> events, std::vector<http::PlannedRequest>& requests,
            std::vector<RecordOutcome>& /*outcomes*/) override {
    http::PlannedRequest p;
    p.request.target = std::string("/20200831/logs/") + test::OciStandin::kLogId + "/actions/push";
    p.request.headers.push_back({"Content-Type", "application/json"});
    p.request.gzip = gzip_;
    std::string& body = p.request.body;
    body = R"({"specversion":"1.0","logEntryBatches":[{"source":"sink","type":"sluice.test",)"
           R"("defaultlogentrytime":"2026-11-21T10:00:00.000Z","entries":[)";
    for (uint32_t i = 0; i < events.size(); ++i) {
      char id[40];
      std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012llu", static_cast<unsigned long long>(next_id_++));
      body += std::string(i ? "," : "") + R"({"id":")" + id + R"(","data":"record"})";
      p.events.push_back(i);
    }
    body += "]}]}";
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
  bool gzip_;
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

std::unique_ptr<oci::RequestSigner> signer_for(const oci::SignerSettings& s) {
  std::string error;
  auto credentials = oci::resolve_credentials(s, error);
  INFO(error);
  REQUIRE(credentials);
  return std::make_unique<oci::RequestSigner>(*credentials);
}

http::ClientSettings client_for(const test::OciStandin& o) {
  http::ClientSettings cs;
  cs.host = "127.0.0.1";
  cs.port = o.port();
  return cs;
}

}  // namespace

TEST_CASE("the OCI signer under the HTTP sink signs the compressed body it sends", "[oci]") {
  test::OciStandin o({"--accept-gzip"});
  oci::SignerSettings s;
  s.config_file = o.config_file();
  http::HttpSink sink(client_for(o), std::make_unique<PutLogsCodec>(true), signer_for(s));
  test::FakeOutputContext ctx;
  sink.start(ctx);
  CHECK(test::flush_and_wait(sink, ctx, batch_of(3)).outcome == Outcome::Delivered);
  auto pushes = o.log("push");
  REQUIRE(pushes.size() == 1);
  CHECK(pushes[0].status == 200);
  CHECK(pushes[0].verified_by == "http-signature,oci-common");
  CHECK(o.stored().size() == 3);
  sink.stop();
}

TEST_CASE("the OCI signer under the HTTP sink: a 401 brings a fresh instance-principal token", "[oci]") {
  test::OciStandin o;
  oci::SignerSettings s;
  s.auth_type = oci::AuthType::InstancePrincipal;
  s.metadata_url = o.url() + "/opc/v2";
  s.federation_endpoint = o.url();
  http::HttpSink sink(client_for(o), std::make_unique<PutLogsCodec>(false), signer_for(s));
  test::FakeOutputContext ctx;
  sink.start(ctx);
  CHECK(test::flush_and_wait(sink, ctx, batch_of(2)).outcome == Outcome::Delivered);
  o.control(R"({"faults":[{"type":"status","status":401}]})");
  CHECK(test::flush_and_wait(sink, ctx, batch_of(2)).outcome == Outcome::Retry);
  CHECK(test::flush_and_wait(sink, ctx, batch_of(2)).outcome == Outcome::Delivered);
  auto federation = o.log("federation");
  REQUIRE(federation.size() == 2);
  auto pushes = o.log("push");
  REQUIRE(pushes.size() == 3);
  CHECK(pushes[0].token_n == federation[0].token_n);
  CHECK(pushes[1].status == 401);
  CHECK(pushes[2].token_n == federation[1].token_n);
  CHECK(pushes[2].status == 200);
  sink.stop();
}

}  // namespace SLUICE_UNITY_ID
