// The es output's codec on the shared HTTP sink: a flush becomes _bulk
// bodies under max_request_bytes; each answer is read item by item, a 413
// splits its request in halves, and every record gets its own outcome, so
// that the core resends only what failed.
#pragma once
#include <span>
#include <string>
#include <vector>

#include "agent/log.hpp"
#include "agent/metrics.hpp"
#include "outputs/common/http_sink.hpp"
#include "outputs/es/es_bulk_encoder.hpp"
#include "outputs/es/es_bulk_response.hpp"
#include "outputs/es/es_settings.hpp"

namespace sluice::es {

// The es output's own counters (the sink counts requests, the core records).
struct EsCounters {
  explicit EsCounters(Metrics& m, const std::string& instance);
  Counter& requests_split;      // 413 answers that made sluice split a request
  Counter& items_delivered;     // items answered 200/201
  Counter& items_duplicate;     // 409 on an _id we chose: stored by an earlier attempt
  Counter& items_retried;       // items answered 429/5xx, sent again
  Counter& items_rejected;      // items answered with another 4xx (or too big): dead-lettered
};

// Runs on the output's worker thread (plan and read); several flushes may be
// in flight (workers), so nothing here belongs to one flush.
class BulkCodec final : public http::Codec {
 public:
  explicit BulkCodec(const EsSettings& settings);
  ~BulkCodec() override;

  void start(OutputContext& ctx) override;
  void plan(std::span<const EventRef> events, std::vector<http::PlannedRequest>& requests,
            std::vector<RecordOutcome>& outcomes) override;
  http::Answer read(http::PlannedRequest& sent, http::Response& response,
                    std::span<const EventRef> events) override;

 private:
  // What a _bulk request carries besides its events: one item per action
  // line (whether its _id is ours), and the start of the body for trace_error.
  struct Sent {
    std::vector<BulkItem> items;
    std::string head;
  };

  http::PlannedRequest request_for(BulkBody body);
  void read_items(const Sent& sent, http::Response& response, http::Answer& answer);
  void split(const Sent& sent, std::span<const EventRef> events, http::Answer& answer);
  void trace(std::string_view what, const std::string& sent_head, const http::Response& response);

  std::string instance_;
  const std::string target_;
  const std::vector<http::Header> headers_;
  const bool gzip_;
  const bool trace_error_;
  BulkEncoder encoder_;
  BulkResponseParser parser_;
  std::unique_ptr<EsCounters> counters_;
  std::vector<ItemOutcome> item_scratch_;
  log::RateLimit malformed_log_{100};
  log::RateLimit split_log_{100};
};

}  // namespace sluice::es
