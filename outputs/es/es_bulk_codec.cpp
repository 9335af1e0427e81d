// The es output's _bulk codec; see es_bulk_codec.hpp.
#include "outputs/es/es_bulk_codec.hpp"

#include <any>

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
    : requests_split(m.counter("sluice_output_es_requests_split_total", "output", instance, false,
                                     "Bulk requests split in two after a 413.")),
      items_delivered(m.counter("sluice_output_es_items_delivered_total", "output", instance, false,
                                      "Bulk items Elasticsearch accepted.")),
      items_duplicate(m.counter("sluice_output_es_items_duplicate_total", "output", instance, false,
                                      "Bulk items answered 409 (already indexed: a repeat, counted as delivered).")),
      items_retried(m.counter("sluice_output_es_items_retried_total", "output", instance, false,
                                    "Bulk items to be sent again (a retryable item status, or the request failed).")),
      items_rejected(m.counter("sluice_output_es_items_rejected_total", "output", instance, false,
                                     "Bulk items rejected for good (mapping errors and the like; dead-lettered).")) {}

BulkCodec::BulkCodec(const EsSettings& settings)
    : target_(settings.target),
      headers_(request_headers(settings)),
      gzip_(settings.http.gzip),
      trace_error_(settings.trace_error),
      encoder_(settings.encoder) {}

BulkCodec::~BulkCodec() = default;

void BulkCodec::start(OutputContext& ctx) {
  instance_ = ctx.instance();
  counters_ = std::make_unique<EsCounters>(ctx.metrics(), ctx.instance());
}

void BulkCodec::plan(std::span<const EventRef> events, std::vector<http::PlannedRequest>& requests,
                     std::vector<RecordOutcome>& outcomes) {
  EncodeResult encoded;
  encoder_.encode(events, encoded);
  for (uint32_t i : encoded.too_big) {
    outcomes[i] = {Outcome::Permanent, "the record's bulk lines are larger than max_request_bytes (" +
                                           std::to_string(encoder_.settings().max_request_bytes) + " bytes)"};
    counters_->items_rejected.add();
  }
  for (auto& body : encoded.bodies) requests.push_back(request_for(std::move(body)));
}

http::PlannedRequest BulkCodec::request_for(BulkBody body) {
  http::PlannedRequest p;
  p.request.method = "POST";
  p.request.target = target_;
  p.request.headers = headers_;
  p.request.gzip = gzip_;
  Sent sent;
  if (trace_error_) sent.head = std::string(head_of(body.body));
  p.request.body = std::move(body.body);
  p.events.reserve(body.items.size());
  for (const BulkItem& item : body.items) p.events.push_back(item.event);
  sent.items = std::move(body.items);
  p.context = std::move(sent);
  return p;
}

http::Answer BulkCodec::read(http::PlannedRequest& planned, http::Response& response,
                             std::span<const EventRef> events) {
  const Sent& sent = std::any_cast<const Sent&>(planned.context);
  RequestOutcome verdict = classify_request(response);
  http::Answer answer;
  switch (verdict.verdict) {
    case RequestVerdict::ReadItems:
      read_items(sent, response, answer);
      break;
    case RequestVerdict::Split:
      if (sent.items.size() > 1) {
        split(sent, events, answer);
      } else {
        counters_->items_rejected.add();
        answer = http::Answer::of(Outcome::Permanent,
                                  verdict.reason +
                                      ": the record alone is larger than Elasticsearch accepts (http.max_content_length)");
      }
      break;
    case RequestVerdict::Retry:
    case RequestVerdict::Permanent:
      if (trace_error_) trace("request failed", sent.head, response);
      answer = http::Answer::of(verdict.verdict == RequestVerdict::Retry ? Outcome::Retry : Outcome::Permanent,
                                verdict.reason);
      answer.retry_after = verdict.retry_after;
      (answer.outcome == Outcome::Retry ? counters_->items_retried : counters_->items_rejected).add(sent.items.size());
      break;
  }
  return answer;
}

void BulkCodec::read_items(const Sent& sent, http::Response& response, http::Answer& answer) {
  std::string error;
  switch (parser_.parse(response.body, sent.items, item_scratch_, &error)) {
    case BulkParse::AllDelivered:
      counters_->items_delivered.add(sent.items.size());
      return;
    case BulkParse::Malformed:
      if (uint64_t n = malformed_log_.hit())
        log::warn("output {}: unreadable _bulk answer ({}); retrying its {} records ({} so far)", instance_, error,
                  sent.items.size(), n);
      if (trace_error_) trace("unreadable answer", sent.head, response);
      // Some items may have been stored: at-least-once means sending them again.
      counters_->items_retried.add(sent.items.size());
      answer = http::Answer::of(Outcome::Retry, "unreadable _bulk answer: " + error);
      return;
    case BulkParse::PerItem:
      break;
  }
  bool failed = false;
  answer.per_event.resize(sent.items.size());
  for (size_t k = 0; k < sent.items.size(); ++k) {
    ItemOutcome& o = item_scratch_[k];
    if (o.outcome == Outcome::Delivered) {
      (o.duplicate ? counters_->items_duplicate : counters_->items_delivered).add();
      continue;
    }
    failed = true;
    (o.outcome == Outcome::Retry ? counters_->items_retried : counters_->items_rejected).add();
    answer.per_event[k] = {o.outcome, std::move(o.reason)};
  }
  if (failed && trace_error_) trace("items failed", sent.head, response);
}

// 413: Elasticsearch's http.max_content_length is below max_request_bytes.
// Both halves go out at once; a half that is still too large halves again.
void BulkCodec::split(const Sent& sent, std::span<const EventRef> events, http::Answer& answer) {
  counters_->requests_split.add();
  if (uint64_t n = split_log_.hit())
    log::warn("output {}: Elasticsearch refused a request of {} records as too large (413); sending it in two "
              "halves (lower max_request_bytes to avoid this; {} so far)",
              instance_, sent.items.size(), n);
  std::vector<uint32_t> first, second;
  for (size_t k = 0; k < sent.items.size(); ++k)
    (k < sent.items.size() / 2 ? first : second).push_back(sent.items[k].event);
  EncodeResult encoded;
  encoder_.encode(events, first, encoded);
  encoder_.encode(events, second, encoded);
  // Every event goes into a half (and takes that half's outcome) unless it
  // is too big on its own.
  answer.per_event.resize(sent.items.size());
  for (uint32_t i : encoded.too_big) {
    for (size_t k = 0; k < sent.items.size(); ++k)
      if (sent.items[k].event == i)
        answer.per_event[k] = {Outcome::Permanent, "the record's bulk lines are larger than max_request_bytes (" +
                                                       std::to_string(encoder_.settings().max_request_bytes) +
                                                       " bytes)"};
    counters_->items_rejected.add();
  }
  for (auto& body : encoded.bodies) answer.then.push_back(request_for(std::move(body)));
}

void BulkCodec::trace(std::string_view what, const std::string& sent_head, const http::Response& response) {
  log::warn("output {}: trace_error: {}: HTTP {}{}; request (first {} bytes):\n{}\nanswer (first {} bytes):\n{}",
            instance_, what, response.status, response.status == 0 ? " (" + response.error + ")" : std::string(),
            kTraceBytes, sent_head, kTraceBytes, head_of(response.body));
}

}  // namespace sluice::es
