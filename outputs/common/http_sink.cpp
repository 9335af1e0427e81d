// The shared HTTP sink; see http_sink.hpp.
#include "outputs/common/http_sink.hpp"

#include <algorithm>

#include "agent/metrics.hpp"
#include "agent/zlib_codec.hpp"
#include "outputs/common/http_output_config.hpp"

namespace sluice::http {

Answer Codec::read(PlannedRequest& /*sent*/, Response& response, std::span<const EventRef> /*events*/) {
  FlushResult r = classify_response(response);
  Answer a = Answer::of(r.outcome, std::move(r.reason));
  a.retry_after = r.retry_after;
  return a;
}

// Every HTTP output's own request counters (the core counts records).
struct HttpSink::Counters {
  Counters(Metrics& m, const std::string& instance)
      : requests(m.counter("sluice_output_http_requests_total", "output", instance, false, "HTTP requests sent.")),
        request_bytes(m.counter("sluice_output_http_request_bytes_total", "output", instance, false,
                                  "Bytes of request bodies sent (after compression).")),
        failed(m.counter("sluice_output_http_requests_failed_total", "output", instance, false,
                           "Requests without a successful answer (no answer, or a failure status).")),
        sign_failures(m.counter("sluice_output_http_sign_failures_total", "output", instance, false,
                                  "Requests that could not be signed (credentials or token unavailable).")) {}
  Counter& requests;       // requests sent
  Counter& request_bytes;  // their bodies as sent (after compression)
  Counter& failed;         // no answer, or an answer outside 2xx
  Counter& sign_failures;  // requests not sent: no credentials to sign them with
};

// One flush: its events in Batch::for_each order, one outcome each (all
// Delivered until an answer says otherwise), and the requests still out.
struct HttpSink::Job {
  std::vector<EventRef> events;
  std::vector<RecordOutcome> outcomes;
  std::optional<std::chrono::milliseconds> retry_after;  // the longest any answer asked for
  size_t pending = 0;
  FlushDone done;
};

HttpSink::HttpSink(ClientSettings client, std::unique_ptr<Codec> codec, std::unique_ptr<Signer> signer)
    : client_settings_(std::move(client)),
      host_header_(host_header(client_settings_)),
      codec_(std::move(codec)),
      signer_(std::move(signer)) {}

HttpSink::HttpSink(SendFn send, std::string host, std::unique_ptr<Codec> codec, std::unique_ptr<Signer> signer)
    : host_header_(std::move(host)), send_(std::move(send)), codec_(std::move(codec)), signer_(std::move(signer)) {}

HttpSink::~HttpSink() = default;

void HttpSink::start(OutputContext& ctx) {
  counters_ = std::make_unique<Counters>(ctx.metrics(), ctx.instance());
  if (!send_ && client_settings_.http2) {
    http2_client_ = std::make_unique<Http2Client>(ctx.io(), client_settings_);
    send_ = [client = http2_client_.get()](Request r, ResponseHandler h) { client->send(std::move(r), std::move(h)); };
  } else if (!send_) {
    client_ = std::make_unique<Client>(ctx.io(), client_settings_);
    send_ = [client = client_.get()](Request r, ResponseHandler h) { client->send(std::move(r), std::move(h)); };
  }
  if (signer_) signer_->start(ctx.io());
  codec_->start(ctx);
}

void HttpSink::flush(const Batch& batch, FlushDone done) {
  auto job = std::make_shared<Job>();
  job->done = std::move(done);
  job->events.reserve(batch.size());
  batch.for_each_with_metadata(
      [&](const std::string& tag, const Event& e, const Value* meta) { job->events.push_back({&tag, &e, meta}); });
  job->outcomes.resize(job->events.size());
  std::vector<PlannedRequest> requests;
  codec_->plan(job->events, requests, job->outcomes);
  // Held while dispatching, so that an answer given at once can't finish the job early.
  job->pending = 1;
  for (auto& r : requests) dispatch(job, std::move(r));
  if (--job->pending == 0) finish(job);
}

void HttpSink::stop() {
  if (signer_) signer_->stop();
  if (client_) client_->close();
  if (http2_client_) http2_client_->close();
}

void HttpSink::dispatch(const JobPtr& job, PlannedRequest planned) {
  ++job->pending;
  auto sent = std::make_shared<PlannedRequest>(std::move(planned));
  Request& req = sent->request;
  if (req.gzip) {
    // Compressed here, not by the client: a signer signs the bytes that go out.
    req.body = zlib::compress(req.body, zlib::Wrapper::Gzip, zlib::kFastest);
    req.gzip = false;
    req.content_encoding = "gzip";
  }
  if (!signer_) return send(job, std::move(sent));
  signer_->sign(req, host_header_, [this, job, sent](std::string error) {
    if (error.empty()) return send(job, sent);
    counters_->sign_failures.add();
    settle(job, *sent, Answer::of(Outcome::Retry, "cannot sign the request: " + error));
    if (--job->pending == 0) finish(job);
  });
}

void HttpSink::send(const JobPtr& job, std::shared_ptr<PlannedRequest> sent) {
  counters_->requests.add();
  counters_->request_bytes.add(sent->request.body.size());
  Request request = std::move(sent->request);
  send_(std::move(request), [this, job, sent](Response response) { on_answer(job, sent, std::move(response)); });
}

void HttpSink::on_answer(const JobPtr& job, const std::shared_ptr<PlannedRequest>& sent, Response response) {
  if (response.status < 200 || response.status > 299) counters_->failed.add();
  Answer answer = codec_->read(*sent, response, job->events);
  if (answer.reauthenticate && signer_) signer_->invalidate();
  settle(job, *sent, answer);
  for (auto& next : answer.then) dispatch(job, std::move(next));
  if (--job->pending == 0) finish(job);
}

void HttpSink::settle(const JobPtr& job, const PlannedRequest& sent, const Answer& answer) {
  if (!answer.per_event.empty() && answer.per_event.size() != sent.events.size()) {
    // A codec bug: don't guess which record failed, send them all again.
    for (uint32_t i : sent.events)
      job->outcomes[i] = {Outcome::Retry, "bug: the codec read " + std::to_string(answer.per_event.size()) +
                                              " outcomes for " + std::to_string(sent.events.size()) + " records"};
    return;
  }
  for (size_t k = 0; k < sent.events.size(); ++k) {
    job->outcomes[sent.events[k]] =
        answer.per_event.empty() ? RecordOutcome{answer.outcome, answer.reason} : answer.per_event[k];
  }
  if (answer.retry_after && (!job->retry_after || *job->retry_after < *answer.retry_after))
    job->retry_after = answer.retry_after;
}

void HttpSink::finish(const JobPtr& job) {
  FlushResult result;
  const auto& all = job->outcomes;
  auto failed = std::find_if(all.begin(), all.end(), [](const RecordOutcome& o) { return o.outcome != Outcome::Delivered; });
  if (failed != all.end()) {
    result.outcome = failed->outcome;
    result.reason = failed->reason;
    result.retry_after = job->retry_after;
    bool same = std::all_of(all.begin(), all.end(), [&](const RecordOutcome& o) {
      return o.outcome == failed->outcome && o.reason == failed->reason;
    });
    if (!same) result.per_record = std::move(job->outcomes);
  }
  FlushDone done = std::move(job->done);
  done(std::move(result));
}

}  // namespace sluice::http
