// The `loki` output; see loki_output.hpp. Encoding (labels, lines, protobuf,
// snappy) happens in flush() on the output's worker thread; the shared HTTP
// client sends the request on the same thread.
#include "outputs/loki/loki_output.hpp"

#include <algorithm>

#include "agent/metrics.hpp"
#include "outputs/loki/loki_json_encoder.hpp"
#include "outputs/loki/loki_push_encoder.hpp"
#include "outputs/loki/loki_settings.hpp"

namespace sluice {

namespace loki {

namespace {

constexpr size_t kMaxReason = 1024;

// Loki's text answer, trimmed, as a dead-letter reason.
std::string answer_text(const http::Response& r) {
  std::string_view body = r.body;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r' || body.back() == ' ')) body.remove_suffix(1);
  std::string text = "HTTP " + std::to_string(r.status) + " from Loki: ";
  if (body.empty()) return text + "(no reason given)";
  if (body.size() > kMaxReason) return text + std::string(body.substr(0, kMaxReason)) + "...";
  return text + std::string(body);
}

// Runs on the output's worker thread (flush, start, stop and the client's
// answers). Up to `workers` requests are in flight; encoding is synchronous
// in flush(), so the builder and scratch buffers are shared between them.
class LokiOutput final : public Output {
 public:
  explicit LokiOutput(LokiOutputConfig config) : config_(std::move(config)), builder_(config_.streams) {
    headers_ = config_.http.headers;
    headers_.push_back({"Content-Type", config_.format == PushFormat::Json ? "application/json" : "application/x-protobuf"});
    headers_.push_back({"User-Agent", "sluice/" SLUICE_VERSION});
    if (!config_.bearer_token.empty()) headers_.push_back({"Authorization", "Bearer " + config_.bearer_token});
  }

  void start(OutputContext& ctx) override {
    client_ = std::make_unique<http::Client>(ctx.io(), config_.http.client);
    requests_ = &ctx.metrics().counter("sluice_output_loki_requests_total", "output", ctx.instance());
    body_bytes_ = &ctx.metrics().counter("sluice_output_loki_body_bytes_total", "output", ctx.instance());
  }

  void flush(const Batch& batch, FlushDone done) override {
    if (batch.size() == 0) {
      done(FlushResult::delivered());
      return;
    }
    if (config_.tenant_id_key) {
      flush_by_tenant(batch, std::move(done));
      return;
    }
    builder_.clear();
    batch.for_each([&](const std::string&, const Event& e) { builder_.add(e); });
    send(request_for(builder_.finish(), config_.tenant_id),
         [done = std::move(done)](const http::Response& r) { done(classify_push_answer(r)); });
  }

  void stop() override {
    if (client_) client_->close();
  }

 private:
  struct TenantFlush;

  http::Request request_for(const PushBatch& batch, const std::string& tenant) {
    http::Request req;
    req.target = config_.uri;
    req.headers = headers_;
    if (!tenant.empty()) req.headers.push_back({"X-Scope-OrgID", tenant});
    if (config_.format == PushFormat::Json) {
      encode_push_json(batch, req.body);
      req.gzip = config_.http.gzip;
    } else {
      encode_push_request(batch, proto_);
      snappy_compress(proto_, compressed_);
      req.body.assign(compressed_);
    }
    return req;
  }

  void send(http::Request req, std::function<void(const http::Response&)> on_answer) {
    requests_->add();
    body_bytes_->add(req.body.size());
    client_->send(std::move(req), [on_answer = std::move(on_answer)](http::Response r) { on_answer(r); });
  }

  // The record's tenant: a string at tenant_id_key, else tenant_id.
  const std::string& tenant_of(const Event& e, std::string& scratch) const {
    const Value* v = config_.tenant_id_key->get(e.record);
    if (v == nullptr || !v->is_string() || v->as_string().empty()) return config_.tenant_id;
    scratch.assign(v->as_string());
    return scratch;
  }

  void flush_by_tenant(const Batch& batch, FlushDone done);

  LokiOutputConfig config_;
  PushBatchBuilder builder_;
  std::vector<http::Header> headers_;
  // Reused between batches, so their memory is not zeroed again for each one.
  std::string proto_;       // the uncompressed protobuf
  std::string compressed_;  // snappy's output, sized for the worst case
  std::unique_ptr<http::Client> client_;
  Counter* requests_ = nullptr;
  Counter* body_bytes_ = nullptr;
};

// One request per tenant; the answers become per-record outcomes.
struct LokiOutput::TenantFlush {
  std::vector<FlushResult> answers;  // per tenant
  std::vector<uint32_t> tenant_of;   // per record, in Batch::for_each order
  size_t waiting = 0;
  FlushDone done;

  void finish() {
    FlushResult r;
    bool same = std::all_of(answers.begin(), answers.end(), [&](const FlushResult& a) {
      return a.outcome == answers[0].outcome && a.reason == answers[0].reason;
    });
    for (const auto& a : answers)
      if (a.retry_after && (!r.retry_after || *a.retry_after > *r.retry_after)) r.retry_after = a.retry_after;
    if (same) {
      r.outcome = answers[0].outcome;
      r.reason = answers[0].reason;
    } else {
      r.per_record.reserve(tenant_of.size());
      for (uint32_t t : tenant_of) r.per_record.push_back({answers[t].outcome, answers[t].reason});
    }
    done(std::move(r));
  }
};

void LokiOutput::flush_by_tenant(const Batch& batch, FlushDone done) {
  auto state = std::make_shared<TenantFlush>();
  state->done = std::move(done);
  std::vector<std::string> tenants;
  std::string scratch;
  batch.for_each([&](const std::string&, const Event& e) {
    const std::string& t = tenant_of(e, scratch);
    auto it = std::find(tenants.begin(), tenants.end(), t);
    state->tenant_of.push_back(static_cast<uint32_t>(it - tenants.begin()));
    if (it == tenants.end()) tenants.push_back(t);
  });
  state->answers.resize(tenants.size());
  state->waiting = tenants.size();
  for (uint32_t t = 0; t < tenants.size(); ++t) {
    builder_.clear();
    size_t k = 0;
    batch.for_each([&](const std::string&, const Event& e) {
      if (state->tenant_of[k++] == t) builder_.add(e);
    });
    send(request_for(builder_.finish(), tenants[t]), [state, t](const http::Response& r) {
      state->answers[t] = classify_push_answer(r);
      if (--state->waiting == 0) state->finish();
    });
  }
}

}  // namespace

FlushResult classify_push_answer(const http::Response& response) {
  if (response.status >= 200 && response.status < 300) return FlushResult::delivered();
  if (response.status == 400) return FlushResult::permanent(answer_text(response));
  FlushResult r = http::classify_response(response);
  if (r.outcome != Outcome::Delivered && response.status != 0) r.reason = answer_text(response);
  return r;
}

}  // namespace loki

const config::PluginSchema& loki_output_schema() {
  static const config::PluginSchema schema{
      "loki", "Sends records to Grafana Loki's push API (protobuf+snappy or JSON).", loki::loki_keys()};
  return schema;
}

std::unique_ptr<Output> make_loki_output(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  return std::make_unique<loki::LokiOutput>(loki::read_loki_config(cfg, ctx));
}

}  // namespace sluice
