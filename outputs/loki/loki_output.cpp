// The `loki` output: a codec on the shared HTTP sink; see loki_output.hpp.
// Encoding (labels, lines, protobuf, snappy) happens in plan() on the
// output's worker thread, where the sink also sends.
#include "outputs/loki/loki_output.hpp"

#include <algorithm>

#include "outputs/common/http_sink.hpp"
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

// One push per flush, or one per tenant with tenant_id_key. Runs on the
// output's worker thread; encoding is synchronous in plan(), so the builder
// and scratch buffers are shared by the flushes in flight.
class LokiCodec final : public http::Codec {
 public:
  explicit LokiCodec(LokiOutputConfig config) : config_(std::move(config)), builder_(config_.streams) {
    headers_ = config_.http.headers;
    headers_.push_back({"Content-Type", config_.format == PushFormat::Json ? "application/json" : "application/x-protobuf"});
    headers_.push_back({"User-Agent", "sluice/" SLUICE_VERSION});
    if (!config_.bearer_token.empty()) headers_.push_back({"Authorization", "Bearer " + config_.bearer_token});
  }

  void plan(std::span<const EventRef> events, std::vector<http::PlannedRequest>& requests,
            std::vector<RecordOutcome>& /*outcomes*/) override {
    if (events.empty()) return;
    if (!config_.tenant_id_key) {
      http::PlannedRequest& p = requests.emplace_back();
      for (uint32_t i = 0; i < events.size(); ++i) p.events.push_back(i);
      encode(p, events, config_.tenant_id);
      return;
    }
    // One request per tenant, in the order tenants first appear.
    std::vector<std::string> tenants;
    std::string scratch;
    for (uint32_t i = 0; i < events.size(); ++i) {
      const std::string& t = tenant_of(*events[i].event, scratch);
      auto it = std::find(tenants.begin(), tenants.end(), t);
      if (it == tenants.end()) {
        tenants.push_back(t);
        requests.emplace_back();
        it = tenants.end() - 1;
      }
      requests[requests.size() - tenants.size() + static_cast<size_t>(it - tenants.begin())].events.push_back(i);
    }
    for (size_t t = 0; t < tenants.size(); ++t) encode(requests[requests.size() - tenants.size() + t], events, tenants[t]);
  }

  http::Answer read(http::PlannedRequest&, http::Response& response, std::span<const EventRef>) override {
    FlushResult r = classify_push_answer(response);
    http::Answer a = http::Answer::of(r.outcome, std::move(r.reason));
    a.retry_after = r.retry_after;
    return a;
  }

 private:
  void encode(http::PlannedRequest& p, std::span<const EventRef> events, const std::string& tenant) {
    builder_.clear();
    for (uint32_t i : p.events) builder_.add(*events[i].event);
    const PushBatch& batch = builder_.finish();
    http::Request& req = p.request;
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
  }

  // The record's tenant: a string at tenant_id_key, else tenant_id.
  const std::string& tenant_of(const Event& e, std::string& scratch) const {
    const Value* v = config_.tenant_id_key->get(e.record);
    if (v == nullptr || !v->is_string() || v->as_string().empty()) return config_.tenant_id;
    scratch.assign(v->as_string());
    return scratch;
  }

  LokiOutputConfig config_;
  PushBatchBuilder builder_;
  std::vector<http::Header> headers_;
  // Reused between batches, so their memory is not zeroed again for each one.
  std::string proto_;       // the uncompressed protobuf
  std::string compressed_;  // snappy's output, sized for the worst case
};

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
  loki::LokiOutputConfig config = loki::read_loki_config(cfg, ctx);
  http::ClientSettings client = config.http.client;
  return std::make_unique<http::HttpSink>(std::move(client), std::make_unique<loki::LokiCodec>(std::move(config)));
}

}  // namespace sluice
