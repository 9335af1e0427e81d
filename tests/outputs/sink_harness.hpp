// An HTTP output's codec on the real HttpSink with a scripted transport (no
// network): each request the sink sends is kept, and answered with the next
// scripted reply (200 "{}" when none is left). The fake answers at once, so
// a flush completes before flush() returns.
#pragma once
#include <catch2/catch.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/parse/json_format.hpp"
#include "outputs/common/http_sink.hpp"
#include "tests/support/output_context.hpp"

namespace sluice::test {

struct SinkHarness {
  using Reply = std::function<http::Response(const http::Request&)>;

  SinkHarness(std::unique_ptr<http::Codec> codec, const std::string& instance, std::string host = "backend.example")
      : ctx(instance),
        sink(
            [this](http::Request req, http::ResponseHandler done) {
              requests.push_back(std::move(req));
              http::Response r;
              r.status = 200;
              r.body = "{}";
              if (!script.empty()) {
                r = script.front()(requests.back());
                script.pop_front();
              }
              done(std::move(r));
            },
            std::move(host), std::move(codec)) {
    sink.start(ctx);
  }

  FlushResult flush(const Batch& b) {
    std::optional<FlushResult> result;
    sink.flush(b, [&](FlushResult r) { result = std::move(r); });
    REQUIRE(result);
    return std::move(*result);
  }
  // Answers the next request with status and body.
  void answer(int status, std::string body = "", std::optional<std::chrono::milliseconds> retry_after = {}) {
    script.push_back([status, body, retry_after](const http::Request&) {
      http::Response r;
      r.status = status;
      r.body = body;
      r.retry_after = retry_after;
      return r;
    });
  }

  FakeOutputContext ctx;
  std::vector<http::Request> requests;
  std::deque<Reply> script;
  http::HttpSink sink;
};

// A batch of one chunk: one event per (time in ns, record JSON).
inline Batch batch_of(const std::string& tag, const std::vector<std::pair<int64_t, std::string>>& events) {
  auto c = std::make_shared<Chunk>(tag);
  auto json = make_json_format();
  for (const auto& [ns, text] : events) {
    Value v;
    REQUIRE(json->parse(text, c->arena, v));
    c->events.push_back({ns, v});
  }
  Batch b;
  b.parts.push_back({std::move(c), {}});
  return b;
}

// Each record's outcome; n of them when the result has one for all.
inline std::vector<Outcome> outcomes_of(const FlushResult& r, size_t n) {
  if (r.per_record.empty()) return std::vector<Outcome>(n, r.outcome);
  std::vector<Outcome> v;
  for (const auto& o : r.per_record) v.push_back(o.outcome);
  return v;
}

inline const std::string* header_of(const http::Request& r, std::string_view name) {
  for (const auto& h : r.headers)
    if (h.name == name) return &h.value;
  return nullptr;
}

}  // namespace sluice::test
