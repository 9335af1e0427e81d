// Reading Elasticsearch's answers: a whole HTTP answer sorted into
// parse-the-items / split / retry / permanent, and a _bulk answer's items
// sorted one by one (item i answers action line i of the request).
#pragma once
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/output.hpp"
#include "outputs/common/http_client.hpp"
#include "outputs/es/es_bulk_encoder.hpp"

namespace sluice::es {

struct ItemOutcome {
  Outcome outcome = Outcome::Delivered;
  bool duplicate = false;  // 409 on an _id we chose: stored by an earlier attempt
  std::string reason;      // "429 es_rejected_execution_exception: rejected execution of ..."
};

// One item's status, as the table in ../shared/protocols.md §1: 2xx stored;
// 409 stored already when we chose the _id, else permanent; 408, 429, 5xx and
// 403 cluster_block_exception (read-only cluster) retried; other 4xx permanent.
// update: the item was an update/upsert, whose 409 is a concurrent change
// of the document (retried), not a document already there.
ItemOutcome classify_item(int status, std::string_view type, std::string_view reason, bool own_id,
                          bool update = false);

enum class RequestVerdict {
  ReadItems,  // 2xx: the body is a _bulk answer
  Split,      // 413: send the items again in smaller requests
  Retry,
  Permanent,
};

struct RequestOutcome {
  RequestVerdict verdict = RequestVerdict::ReadItems;
  std::string reason;
  std::optional<std::chrono::milliseconds> retry_after;
};

// A whole answer: no answer, 408, 429, 5xx and 403 cluster_block_exception
// retry (with Retry-After); 413 splits; other statuses are permanent with the
// backend's text.
RequestOutcome classify_request(const http::Response& response);

enum class BulkParse {
  AllDelivered,  // "errors": false (the items are not read)
  PerItem,       // out holds one outcome per item
  Malformed,     // not a _bulk answer for this request: *error says why
};

// Reads _bulk answers with simdjson On Demand (error codes, no exceptions).
// Runs on the output's worker thread; not thread-safe (reuses its parser).
class BulkResponseParser {
 public:
  BulkResponseParser();
  ~BulkResponseParser();
  BulkResponseParser(const BulkResponseParser&) = delete;
  BulkResponseParser& operator=(const BulkResponseParser&) = delete;

  // body may grow its capacity (simdjson reads padding past the end).
  BulkParse parse(std::string& body, std::span<const BulkItem> items, std::vector<ItemOutcome>& out,
                  std::string* error);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::es
