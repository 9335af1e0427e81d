// The `splunk` codec: Splunk HTTP Event Collector events as Fluent Bit's
// out_splunk builds them ({"time", "host", "source", "sourcetype",
// "index", "fields", "event"}, one object after another in one body, or
// each record as it is with splunk_send_raw), POSTed to
// /services/collector/event. An answer's `invalid-event-number` names the
// one event HEC refused: it is dead-lettered with HEC's reason and the
// others are sent again.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/record_template.hpp"
#include "outputs/common/http_output_config.hpp"
#include "outputs/common/json_array_codec.hpp"

namespace sluice::splunk {

struct Settings {
  http::HttpOutputSettings http;  // host, port, tls, the token or basic auth, channel
  std::string target = "/services/collector/event";
  bool send_raw = false;
  bool auto_extract_timestamp = false;
  std::optional<RecordAccessor> event_key;
  std::optional<RecordTemplate> event_host;
  std::optional<RecordTemplate> event_source;
  std::string event_sourcetype;
  std::optional<RecordTemplate> event_sourcetype_key;
  std::string event_index;
  std::optional<RecordTemplate> event_index_key;
  std::vector<std::pair<std::string, RecordAccessor>> event_fields;  // output key, the record's value
  size_t max_request_bytes = 1'000'000;
};

// Runs on the output's worker thread.
class Codec final : public http::JsonArrayCodec {
 public:
  explicit Codec(Settings s);

  // The time as Fluent Bit writes it: seconds as a JSON number, to the
  // microsecond (16 significant digits), a whole second as N.0.
  static void append_time(std::string& out, int64_t time_ns);

 protected:
  bool append_item(const EventRef& e, std::string& out, std::string* why) override;
  http::PlannedRequest make_request() override;
  std::string_view body_prefix() const override { return ""; }
  std::string_view body_suffix() const override { return s_.send_raw ? "\n" : ""; }
  std::string_view item_separator() const override { return s_.send_raw ? "\n" : ""; }
  http::Answer read_refusal(http::PlannedRequest& sent, http::Response& response) override;
  std::string_view backend_name() const override { return "Splunk HEC"; }

 private:
  Settings s_;
  std::string scratch_;
};

// HEC's reason for a refusal: "Invalid data format (code 6)" from
// {"text":"Invalid data format","code":6,"invalid-event-number":2}; the
// event number when there is one.
struct HecError {
  std::string reason;
  std::optional<size_t> invalid_event;
};
HecError read_hec_error(const std::string& body);

}  // namespace sluice::splunk
