// The HTTP sink every HTTP output stands on, with a scripted codec, signer
// and transport (no network): requests are compressed before they are
// signed, signing can fail or wait, answers become per-record outcomes,
// follow-up requests take over their records, and a refused credential makes
// the signer start again.
#include <catch2/catch.hpp>

#include <deque>
#include <functional>

#include "agent/parse/json_format.hpp"
#include "agent/zlib_codec.hpp"
#include "outputs/common/http_sink.hpp"
#include "tests/outputs/sink_harness.hpp"
#include "tests/support/output_context.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

// Plans one request per `group` events (body: their "n" values), reads each
// answer with a scripted function.
class ScriptedCodec final : public http::Codec {
 public:
  using Reader = std::function<http::Answer(http::PlannedRequest&, http::Response&)>;
  size_t group = 100;
  bool gzip = false;
  std::vector<uint32_t> refuse;  // events no request may carry
  std::deque<Reader> readers;

  void plan(std::span<const EventRef> events, std::vector<http::PlannedRequest>& requests,
            std::vector<RecordOutcome>& outcomes) override {
    for (uint32_t i = 0; i < events.size(); ++i) {
      if (std::find(refuse.begin(), refuse.end(), i) != refuse.end()) {
        outcomes[i] = {Outcome::Permanent, "too large"};
        continue;
      }
      if (requests.empty() || requests.back().events.size() == group) {
        requests.emplace_back();
        requests.back().request.target = "/in";
        requests.back().request.gzip = gzip;
      }
      requests.back().events.push_back(i);
      requests.back().request.body += std::to_string(events[i].event->record.find("n")->as_int()) + ";";
    }
  }
  http::Answer read(http::PlannedRequest& sent, http::Response& response, std::span<const EventRef> events) override {
    if (readers.empty()) return Codec::read(sent, response, events);
    Reader r = std::move(readers.front());
    readers.pop_front();
    return r(sent, response);
  }
};

// Signs by adding the body's length and encoding; fails or waits on cue.
class ScriptedSigner final : public http::Signer {
 public:
  struct Shared {
    std::vector<std::string> signed_bodies;
    std::vector<std::string> hosts;
    int invalidated = 0;
    std::string fail;  // the error of every sign while set
  };
  explicit ScriptedSigner(std::shared_ptr<Shared> s) : s_(std::move(s)) {}
  void start(boost::asio::io_context& io) override { io_ = &io; }
  void sign(http::Request& request, std::string_view host, http::SignDone done) override {
    s_->signed_bodies.push_back(request.body);
    s_->hosts.emplace_back(host);
    request.headers.push_back({"X-Signed", std::to_string(request.body.size()) + " " + request.content_encoding});
    // Later, as a signer that fetched credentials first would.
    boost::asio::post(*io_, [error = s_->fail, done = std::move(done)] { done(error); });
  }
  void invalidate() override { ++s_->invalidated; }

 private:
  std::shared_ptr<Shared> s_;
  boost::asio::io_context* io_ = nullptr;
};

struct Transport {
  std::vector<http::Request> requests;
  std::function<http::Response(const http::Request&)> answer = [](const http::Request&) {
    http::Response r;
    r.status = 204;
    return r;
  };
  http::SendFn fn() {
    return [this](http::Request req, http::ResponseHandler done) {
      requests.push_back(req);
      done(answer(requests.back()));
    };
  }
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

struct Harness {
  explicit Harness(bool with_signer = false) {
    auto c = std::make_unique<ScriptedCodec>();
    codec = c.get();
    std::unique_ptr<http::Signer> s;
    if (with_signer) s = std::make_unique<ScriptedSigner>(signer);
    sink = std::make_unique<http::HttpSink>(transport.fn(), "logs.example:8443", std::move(c), std::move(s));
    sink->start(ctx);
  }
  FlushResult flush(int n) {
    Batch b = batch_of(n);
    return flush_and_wait(*sink, ctx, b);
  }
  FakeOutputContext ctx{"sink.0"};
  Transport transport;
  std::shared_ptr<ScriptedSigner::Shared> signer = std::make_shared<ScriptedSigner::Shared>();
  ScriptedCodec* codec = nullptr;
  std::unique_ptr<http::HttpSink> sink;
};


constexpr auto D = Outcome::Delivered;
constexpr auto R = Outcome::Retry;
constexpr auto P = Outcome::Permanent;

http::Response answer(int status) {
  http::Response r;
  r.status = status;
  return r;
}

}  // namespace

TEST_CASE("http sink: one flush, several requests, answers joined", "[http_sink]") {
  Harness h;
  h.codec->group = 2;
  SECTION("all delivered: one outcome, requests and bytes counted") {
    FlushResult r = h.flush(5);
    CHECK(r.outcome == D);
    CHECK(r.per_record.empty());
    REQUIRE(h.transport.requests.size() == 3);
    CHECK(h.transport.requests[2].body == "4;");
    CHECK(h.ctx.counter("sluice_output_http_requests_total") == 3);
    CHECK(h.ctx.counter("sluice_output_http_request_bytes_total") == 4 + 4 + 2);
    CHECK(h.ctx.counter("sluice_output_http_requests_failed_total") == 0);
  }
  SECTION("one request fails: only its records, with the longest Retry-After") {
    h.transport.answer = [](const http::Request& req) {
      http::Response r = answer(req.body == "2;3;" ? 503 : 204);
      if (r.status == 503) r.retry_after = 3s;
      return r;
    };
    FlushResult r = h.flush(5);
    CHECK(outcomes_of(r, 5) == std::vector<Outcome>{D, D, R, R, D});
    CHECK(r.per_record[2].reason == "HTTP 503 Service Unavailable");
    CHECK(r.retry_after == 3s);
    CHECK(h.ctx.counter("sluice_output_http_requests_failed_total") == 1);
  }
  SECTION("every request fails the same way: one outcome for the batch") {
    h.transport.answer = [](const http::Request&) { return answer(400); };
    FlushResult r = h.flush(5);
    CHECK(r.outcome == P);
    CHECK(r.per_record.empty());
    CHECK(r.reason == "HTTP 400 Bad Request");
  }
  SECTION("records no request can carry are permanent without a request; an empty plan finishes at once") {
    h.codec->refuse = {1};
    FlushResult r = h.flush(3);
    CHECK(outcomes_of(r, 3) == std::vector<Outcome>{D, P, D});
    CHECK(r.per_record[1].reason == "too large");
    h.codec->refuse = {0};
    CHECK(h.flush(1).outcome == P);
  }
}

TEST_CASE("http sink: answers read per record, follow-up requests take over their records", "[http_sink]") {
  Harness h;
  SECTION("per-event outcomes land on the request's events") {
    h.codec->readers.push_back([](http::PlannedRequest&, http::Response&) {
      http::Answer a;
      a.per_event = {{D, ""}, {R, "busy"}, {P, "mapping"}};
      return a;
    });
    CHECK(outcomes_of(h.flush(3), 3) == std::vector<Outcome>{D, R, P});
  }
  SECTION("then: an answer sends more requests whose answers decide") {
    // The first answer refuses as a whole but sends each half again; the
    // second half is refused for good.
    h.codec->readers.push_back([](http::PlannedRequest& sent, http::Response&) {
      http::Answer a = http::Answer::of(P, "413");
      for (size_t half = 0; half < 2; ++half) {
        http::PlannedRequest p;
        p.request.target = "/half";
        p.events = {sent.events[half * 2], sent.events[half * 2 + 1]};
        a.then.push_back(std::move(p));
      }
      return a;
    });
    h.codec->readers.push_back([](http::PlannedRequest&, http::Response&) { return http::Answer(); });
    h.codec->readers.push_back([](http::PlannedRequest&, http::Response&) { return http::Answer::of(P, "still"); });
    FlushResult r = h.flush(4);
    CHECK(h.transport.requests.size() == 3);
    CHECK(outcomes_of(r, 4) == std::vector<Outcome>{D, D, P, P});
    CHECK(r.per_record[3].reason == "still");
  }
  SECTION("a codec that reads the wrong number of outcomes: every record of the request is retried") {
    h.codec->readers.push_back([](http::PlannedRequest&, http::Response&) {
      http::Answer a;
      a.per_event = {{D, ""}};
      return a;
    });
    FlushResult r = h.flush(3);
    CHECK(r.outcome == R);
    CHECK(r.reason == "bug: the codec read 1 outcomes for 3 records");
  }
}

TEST_CASE("http sink: compressed, then signed, then sent as signed", "[http_sink]") {
  Harness h(true);
  h.codec->gzip = true;
  FlushResult r = h.flush(3);
  CHECK(r.outcome == D);
  REQUIRE(h.transport.requests.size() == 1);
  const http::Request& sent = h.transport.requests[0];
  // The signer saw exactly the bytes that went out: the gzip body.
  REQUIRE(h.signer->signed_bodies.size() == 1);
  CHECK(h.signer->signed_bodies[0] == sent.body);
  CHECK(h.signer->hosts == std::vector<std::string>{"logs.example:8443"});
  CHECK_FALSE(sent.gzip);
  CHECK(sent.content_encoding == "gzip");
  std::string plain;
  REQUIRE_FALSE(zlib::inflate(sent.body, zlib::Wrapper::Gzip, 1 << 20, plain));
  CHECK(plain == "0;1;2;");
  bool has_signature = false;
  for (const auto& hd : sent.headers)
    has_signature = has_signature || (hd.name == "X-Signed" && hd.value == std::to_string(sent.body.size()) + " gzip");
  CHECK(has_signature);
}

TEST_CASE("http sink: no credentials, nothing sent, refused credentials, fetched again", "[http_sink]") {
  Harness h(true);
  SECTION("a signer that can't sign: the records are retried with its reason, nothing is sent") {
    h.signer->fail = "no AWS credentials found";
    FlushResult r = h.flush(2);
    CHECK(r.outcome == R);
    CHECK(r.reason == "cannot sign the request: no AWS credentials found");
    CHECK(h.transport.requests.empty());
    CHECK(h.ctx.counter("sluice_output_http_sign_failures_total") == 1);
  }
  SECTION("an answer that refuses the credentials invalidates them, and the records are retried") {
    h.codec->readers.push_back([](http::PlannedRequest&, http::Response&) {
      http::Answer a = http::Answer::of(R, "ExpiredTokenException");
      a.reauthenticate = true;
      return a;
    });
    FlushResult r = h.flush(2);
    CHECK(r.outcome == R);
    CHECK(h.signer->invalidated == 1);
    CHECK(h.flush(2).outcome == D);
    CHECK(h.signer->invalidated == 1);
  }
}

}  // namespace SLUICE_UNITY_ID
