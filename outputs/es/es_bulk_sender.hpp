// One es flush from batch to FlushResult: encode into bodies under
// max_request_bytes, send each, read every answer item by item, split on 413,
// and report one outcome per record so that the core resends only what
// failed. The transport is a function, so tests can answer without a network.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "agent/log.hpp"
#include "agent/metrics.hpp"
#include "agent/output.hpp"
#include "outputs/common/http_client.hpp"
#include "outputs/es/es_bulk_encoder.hpp"
#include "outputs/es/es_bulk_response.hpp"
#include "outputs/es/es_settings.hpp"

namespace sluice::es {

using SendFn = std::function<void(http::Request, http::ResponseHandler)>;

// The es output's own counters (the core counts records in/out/retried).
struct EsCounters {
  explicit EsCounters(Metrics& m, const std::string& instance);
  Counter& requests;            // _bulk requests sent
  Counter& request_bytes;       // their bodies, before compression
  Counter& requests_failed;     // whole requests answered with an error or not at all
  Counter& requests_split;      // 413 answers that made sluice split a request
  Counter& items_delivered;     // items answered 200/201
  Counter& items_duplicate;     // 409 on an _id we chose: stored by an earlier attempt
  Counter& items_retried;       // items answered 429/5xx, sent again
  Counter& items_rejected;      // items answered with another 4xx (or too big): dead-lettered
};

// Runs on the output's worker thread: flush(), the send function's answers
// and done all run there; several flushes may be in flight (workers).
class BulkSender {
 public:
  BulkSender(const EsSettings& settings, SendFn send, Metrics& metrics, const std::string& instance);
  ~BulkSender();
  BulkSender(const BulkSender&) = delete;
  BulkSender& operator=(const BulkSender&) = delete;

  void flush(const Batch& batch, FlushDone done);

 private:
  struct Job;
  using JobPtr = std::shared_ptr<Job>;

  void send(const JobPtr& job, BulkBody body);
  void on_answer(const JobPtr& job, const std::vector<BulkItem>& items, http::Response response,
                 const std::string& sent_head);
  void read_items(const JobPtr& job, const std::vector<BulkItem>& items, http::Response& response,
                  const std::string& sent_head);
  void split(const JobPtr& job, const std::vector<BulkItem>& items);
  void mark_too_big(const JobPtr& job, const EncodeResult& encoded);
  void fail_all(const JobPtr& job, const std::vector<BulkItem>& items, Outcome outcome, const std::string& reason);
  void finish(const JobPtr& job);
  void trace(std::string_view what, const std::string& sent_head, const http::Response& response);

  const std::string instance_;
  const std::string target_;
  const std::vector<http::Header> headers_;
  const bool gzip_;
  const bool trace_error_;
  SendFn send_;
  BulkEncoder encoder_;
  BulkResponseParser parser_;
  EsCounters counters_;
  std::vector<ItemOutcome> item_scratch_;
  log::RateLimit malformed_log_{100};
  log::RateLimit split_log_{100};
};

}  // namespace sluice::es
