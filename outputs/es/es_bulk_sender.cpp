// One es flush from batch to per-record outcomes; see es_bulk_sender.hpp.
#include "outputs/es/es_bulk_sender.hpp"

#include <algorithm>

namespace sluice::es {

namespace {

constexpr size_t kTraceBytes = 4096;

std::vector<http::Header> request_headers(const EsSettings& settings) {
  std::vector<http::Header> headers = settings.http.headers;
  headers.push_back({"Content-Type", "application/x-ndjson"});
  return headers;
}

std::string_view head_of(std::string_view s) { return s.substr(0, kTraceBytes); }

}  // namespace

EsCounters::EsCounters(Metrics& m, const std::string& instance)
    : requests(m.counter("sluice_output_es_requests_total", "output", instance)),
      request_bytes(m.counter("sluice_output_es_request_bytes_total", "output", instance)),
      requests_failed(m.counter("sluice_output_es_requests_failed_total", "output", instance)),
      requests_split(m.counter("sluice_output_es_requests_split_total", "output", instance)),
      items_delivered(m.counter("sluice_output_es_items_delivered_total", "output", instance)),
      items_duplicate(m.counter("sluice_output_es_items_duplicate_total", "output", instance)),
      items_retried(m.counter("sluice_output_es_items_retried_total", "output", instance)),
      items_rejected(m.counter("sluice_output_es_items_rejected_total", "output", instance)) {}

// One flush: the events in Batch::for_each order, one outcome each (all
// Delivered until an answer says otherwise), and the requests still out.
struct BulkSender::Job {
  std::vector<EventRef> events;
  std::vector<RecordOutcome> outcomes;
  std::optional<std::chrono::milliseconds> retry_after;  // the longest any answer asked for
  size_t pending = 0;
  FlushDone done;
};

BulkSender::BulkSender(const EsSettings& settings, SendFn send, Metrics& metrics, const std::string& instance)
    : instance_(instance),
      target_(settings.target),
      headers_(request_headers(settings)),
      gzip_(settings.http.gzip),
      trace_error_(settings.trace_error),
      send_(std::move(send)),
      encoder_(settings.encoder),
      counters_(metrics, instance) {}

BulkSender::~BulkSender() = default;

void BulkSender::flush(const Batch& batch, FlushDone done) {
  auto job = std::make_shared<Job>();
  job->done = std::move(done);
  job->events.reserve(batch.size());
  batch.for_each([&](const std::string& tag, const Event& e) { job->events.push_back({&tag, &e}); });
  job->outcomes.resize(job->events.size());

  EncodeResult encoded;
  encoder_.encode(job->events, encoded);
  mark_too_big(job, encoded);
  // Held while sending, so that an answer given synchronously can't finish the job early.
  job->pending = 1;
  for (auto& body : encoded.bodies) send(job, std::move(body));
  if (--job->pending == 0) finish(job);
}

void BulkSender::send(const JobPtr& job, BulkBody body) {
  ++job->pending;
  counters_.requests.add();
  counters_.request_bytes.add(body.body.size());
  http::Request request;
  request.method = "POST";
  request.target = target_;
  request.headers = headers_;
  request.gzip = gzip_;
  std::string sent_head = trace_error_ ? std::string(head_of(body.body)) : std::string();
  request.body = std::move(body.body);
  send_(std::move(request), [this, job, items = std::move(body.items), sent_head = std::move(sent_head)](
                                http::Response response) { on_answer(job, items, std::move(response), sent_head); });
}

void BulkSender::on_answer(const JobPtr& job, const std::vector<BulkItem>& items, http::Response response,
                           const std::string& sent_head) {
  RequestOutcome verdict = classify_request(response);
  switch (verdict.verdict) {
    case RequestVerdict::ReadItems:
      read_items(job, items, response, sent_head);
      break;
    case RequestVerdict::Split:
      if (items.size() > 1) {
        split(job, items);
      } else {
        counters_.requests_failed.add();
        fail_all(job, items, Outcome::Permanent,
                 verdict.reason + ": the record alone is larger than Elasticsearch accepts (http.max_content_length)");
      }
      break;
    case RequestVerdict::Retry:
    case RequestVerdict::Permanent:
      counters_.requests_failed.add();
      if (trace_error_) trace("request failed", sent_head, response);
      if (verdict.retry_after && (!job->retry_after || *job->retry_after < *verdict.retry_after))
        job->retry_after = verdict.retry_after;
      fail_all(job, items, verdict.verdict == RequestVerdict::Retry ? Outcome::Retry : Outcome::Permanent,
               verdict.reason);
      break;
  }
  if (--job->pending == 0) finish(job);
}

void BulkSender::read_items(const JobPtr& job, const std::vector<BulkItem>& items, http::Response& response,
                            const std::string& sent_head) {
  std::string error;
  switch (parser_.parse(response.body, items, item_scratch_, &error)) {
    case BulkParse::AllDelivered:
      counters_.items_delivered.add(items.size());
      return;
    case BulkParse::Malformed: {
      counters_.requests_failed.add();
      if (uint64_t n = malformed_log_.hit())
        log::warn("output {}: unreadable _bulk answer ({}); retrying its {} records ({} so far)", instance_, error,
                  items.size(), n);
      if (trace_error_) trace("unreadable answer", sent_head, response);
      // Some items may have been stored: at-least-once means sending them again.
      fail_all(job, items, Outcome::Retry, "unreadable _bulk answer: " + error);
      return;
    }
    case BulkParse::PerItem:
      break;
  }
  bool failed = false;
  for (size_t k = 0; k < items.size(); ++k) {
    ItemOutcome& o = item_scratch_[k];
    if (o.outcome == Outcome::Delivered) {
      (o.duplicate ? counters_.items_duplicate : counters_.items_delivered).add();
      continue;
    }
    failed = true;
    (o.outcome == Outcome::Retry ? counters_.items_retried : counters_.items_rejected).add();
    job->outcomes[items[k].event] = {o.outcome, std::move(o.reason)};
  }
  if (failed && trace_error_) trace("items failed", sent_head, response);
}

// 413: Elasticsearch's http.max_content_length is below max_request_bytes.
// Halves are sent at once; a half that is still too large halves again.
void BulkSender::split(const JobPtr& job, const std::vector<BulkItem>& items) {
  counters_.requests_split.add();
  if (uint64_t n = split_log_.hit())
    log::warn("output {}: Elasticsearch refused a request of {} records as too large (413); sending it in two "
              "halves (lower max_request_bytes to avoid this; {} so far)",
              instance_, items.size(), n);
  std::vector<uint32_t> first, second;
  for (size_t k = 0; k < items.size(); ++k) (k < items.size() / 2 ? first : second).push_back(items[k].event);
  EncodeResult encoded;
  encoder_.encode(job->events, first, encoded);
  encoder_.encode(job->events, second, encoded);
  mark_too_big(job, encoded);
  for (auto& body : encoded.bodies) send(job, std::move(body));
}

void BulkSender::mark_too_big(const JobPtr& job, const EncodeResult& encoded) {
  for (uint32_t i : encoded.too_big) {
    job->outcomes[i] = {Outcome::Permanent, "the record's bulk lines are larger than max_request_bytes (" +
                                                std::to_string(encoder_.settings().max_request_bytes) + " bytes)"};
    counters_.items_rejected.add();
  }
}

void BulkSender::fail_all(const JobPtr& job, const std::vector<BulkItem>& items, Outcome outcome,
                          const std::string& reason) {
  (outcome == Outcome::Retry ? counters_.items_retried : counters_.items_rejected).add(items.size());
  for (const BulkItem& item : items) job->outcomes[item.event] = {outcome, reason};
}

void BulkSender::finish(const JobPtr& job) {
  FlushResult result;
  auto failed = std::find_if(job->outcomes.begin(), job->outcomes.end(),
                             [](const RecordOutcome& o) { return o.outcome != Outcome::Delivered; });
  if (failed != job->outcomes.end()) {
    result.outcome = failed->outcome;
    result.reason = failed->reason;
    result.retry_after = job->retry_after;
    result.per_record = std::move(job->outcomes);
  }
  FlushDone done = std::move(job->done);
  done(std::move(result));
}

void BulkSender::trace(std::string_view what, const std::string& sent_head, const http::Response& response) {
  log::warn("output {}: trace_error: {}: HTTP {}{}; request (first {} bytes):\n{}\nanswer (first {} bytes):\n{}",
            instance_, what, response.status, response.status == 0 ? " (" + response.error + ")" : std::string(),
            kTraceBytes, sent_head, kTraceBytes, head_of(response.body));
}

}  // namespace sluice::es
