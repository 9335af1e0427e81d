// The codec shape most cloud logging APIs share: each record becomes one JSON
// item, items go out as an array wrapped in a fixed prefix and suffix
// (`[`…`]`, `{"lines":[`…`]}`), requests are cut by construction under the
// API's byte and item limits, a record too big for any request is refused
// without being sent, and a 413 sends the request again as two halves. An
// output derives from it and says how to encode an item, how to address a
// request and how to read a refusal (Azure Monitor, IBM Cloud Logs, Mezmo,
// OCI Logging).
#pragma once
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "outputs/common/http_output_config.hpp"
#include "outputs/common/http_sink.hpp"

namespace sluice::http {

struct ArrayLimits {
  size_t max_request_bytes = 1'000'000;  // the body before compression, prefix and suffix included
  size_t max_items = 10'000;
  size_t max_item_bytes = 1'000'000;  // an item over this can't be sent: permanent
};

// Runs on the output's worker thread, like every codec.
class JsonArrayCodec : public Codec {
 public:
  void plan(std::span<const EventRef> events, std::vector<PlannedRequest>& requests,
            std::vector<RecordOutcome>& outcomes) final;
  Answer read(PlannedRequest& sent, Response& response, std::span<const EventRef> events) final;

 protected:
  explicit JsonArrayCodec(ArrayLimits limits) : limits_(limits) {}

  // Appends the JSON item for one event to out and returns true; or returns
  // false with *why set when the record can't be sent at all.
  virtual bool append_item(const EventRef& e, std::string& out, std::string* why) = 0;
  // A request with its method, target, headers and gzip flag set; no body.
  virtual PlannedRequest make_request() = 0;
  virtual std::string_view body_prefix() const { return "["; }
  virtual std::string_view body_suffix() const { return "]"; }
  // Between two items (Splunk HEC's bodies are objects one after another).
  virtual std::string_view item_separator() const { return ","; }
  // Sorts a 2xx answer. The default: every record of the request delivered.
  virtual Answer read_success(PlannedRequest& /*sent*/, Response& /*response*/) { return Answer(); }
  // Sorts an answer that is neither 2xx nor 413. The default applies the
  // shared rules (no answer, 408, 429, 5xx retried; other statuses permanent).
  virtual Answer read_refusal(PlannedRequest& sent, Response& response);
  // The name a reason starts with ("Azure Monitor").
  virtual std::string_view backend_name() const = 0;

  // A POST to target with the content type, the output's extra headers and
  // its compression: what most make_request() return.
  static PlannedRequest post(std::string target, const HttpOutputSettings& http,
                             std::string content_type = "application/json");

  // The usual sorting of a refusal, with reason: no answer, 408, 429 and
  // 5xx retried (honouring Retry-After); 401 retried with fresh credentials
  // when the output has a signer (else permanent); other statuses permanent.
  static Answer sort_refusal(const Response& response, std::string reason, bool signed_requests);

  const ArrayLimits& limits() const { return limits_; }

 private:
  // Appends requests carrying `which` (indices into events), cut under the
  // limits; an event that fits no request gets a permanent outcome in
  // `refused` (index into which) when given.
  void encode(std::span<const EventRef> events, std::span<const uint32_t> which, std::vector<PlannedRequest>& out,
              std::vector<std::pair<uint32_t, std::string>>& refused);

  // Ends a request's body; remembers its size for the next one's.
  void close_body(std::string& body);

  ArrayLimits limits_;
  std::string item_;  // scratch
  size_t last_body_size_ = 64 * 1024;
};

}  // namespace sluice::http
