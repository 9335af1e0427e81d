// GELF over HTTP: a codec on the shared HTTP sink. Each message is POSTed on
// its own to Graylog's GELF HTTP input (success 202 Accepted).
#include "outputs/common/http_sink.hpp"
#include "outputs/gelf/gelf_encoder.hpp"
#include "outputs/gelf/gelf_transport.hpp"

namespace sluice::gelf {

namespace {

// Runs on the output's worker thread. Graylog's GELF HTTP input takes one
// message per request (several only with its optional "bulk receiving", off
// by default), so a flush is a run of requests that the sink's client
// spreads over `workers` keep-alive connections.
class HttpCodec final : public http::Codec {
 public:
  explicit HttpCodec(Settings s) : s_(std::move(s)), encoder_(s_.keys) {
    headers_.push_back({"Content-Type", "application/json"});
    for (const auto& h : s_.http.headers) headers_.push_back(h);
  }

  void start(OutputContext& ctx) override {
    invalid_ = &ctx.metrics().counter("sluice_output_gelf_invalid_total", "output", ctx.instance(), false,
                                     "Records that could not be made a GELF message (dead-lettered).");
  }

  void plan(std::span<const EventRef> events, std::vector<http::PlannedRequest>& requests,
            std::vector<RecordOutcome>& outcomes) override {
    for (uint32_t i = 0; i < events.size(); ++i) {
      http::PlannedRequest p;
      if (!encoder_.encode(*events[i].tag, *events[i].event, p.request.body)) {
        invalid_->add();
        outcomes[i] = {Outcome::Permanent, encoder_.no_short_message_reason()};
        continue;
      }
      p.request.target = s_.uri;
      p.request.headers = headers_;
      p.request.gzip = s_.compression == Compression::Gzip;
      p.events.push_back(i);
      requests.push_back(std::move(p));
    }
  }
  // Answers: the shared rules (202 delivered, 400 bad JSON permanent, no
  // answer, 429 and 5xx retried).

 private:
  Settings s_;
  Encoder encoder_;
  std::vector<http::Header> headers_;
  Counter* invalid_ = nullptr;
};

}  // namespace

std::unique_ptr<Output> make_http_sink(Settings s) {
  http::ClientSettings client = s.http.client;
  return std::make_unique<http::HttpSink>(std::move(client), std::make_unique<HttpCodec>(std::move(s)));
}

}  // namespace sluice::gelf
