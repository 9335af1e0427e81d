// The `cloudwatch_logs` codec on the shared HTTP sink: records become
// PutLogEvents calls (one log stream each, events sorted by time, within
// CloudWatch's count, size and 24-hour limits); answers are read per event
// (rejectedLogEventsInfo), and a missing stream or group is created before
// the call is made again.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/log.hpp"
#include "agent/metrics.hpp"
#include "outputs/cloudwatch/cloudwatch_settings.hpp"
#include "outputs/common/http_sink.hpp"

namespace sluice::cloudwatch {

// Milliseconds since the epoch now (a test's clock, or the wall clock).
using NowMs = std::function<int64_t()>;
int64_t wall_clock_ms();

// The bytes CloudWatch counts for a message: its UTF-8 length once invalid
// bytes became U+FFFD (3 bytes each), as they are when sent.
size_t sent_length(std::string_view message);
// Cuts message so that sent_length() <= max, at a character boundary.
// Returns whether it was cut.
bool cut_message(std::string& message, size_t max);

// Runs on the output's worker thread.
class Codec final : public http::Codec {
 public:
  Codec(NamingSettings naming, std::vector<http::Header> extra_headers, std::string path, NowMs now = wall_clock_ms);

  void start(OutputContext& ctx) override;
  void plan(std::span<const EventRef> events, std::vector<http::PlannedRequest>& requests,
            std::vector<RecordOutcome>& outcomes) override;
  http::Answer read(http::PlannedRequest& sent, http::Response& response,
                    std::span<const EventRef> events) override;

  // The message of one record: the log_key field (a string as it is,
  // anything else as JSON) or the whole record as JSON. False with *why set
  // when the record has nothing to send.
  bool message_of(const Event& e, std::string& out, std::string* why) const;
  // The cheap check of the same, before anything is encoded.
  bool has_message(const Event& e, std::string* why) const;
  // The log group and stream of one record.
  void destination_of(const std::string& tag, const Event& e, std::string& group, std::string& stream) const;

 private:
  enum class Call { Put, CreateGroup, Retention, CreateStream };
  struct Target {
    Call call = Call::Put;
    std::string group, stream;
    bool after_create = false;  // follows a create: "not found" now means not visible yet, so wait
  };
  struct Counters;

  http::PlannedRequest call(Call c, const std::string& group, const std::string& stream) const;
  void encode_put(http::PlannedRequest& p, std::span<const EventRef> events) const;
  http::Answer after_success(const Target& t, const http::PlannedRequest& sent, std::string_view body,
                             std::span<const EventRef> events);
  http::Answer not_found(const Target& t, const http::PlannedRequest& sent, std::string_view message);

  NamingSettings naming_;
  std::vector<http::Header> extra_headers_;
  std::string path_;
  NowMs now_;
  std::string instance_;
  std::shared_ptr<Counters> counters_;
  log::RateLimit retention_log_{100};
};

}  // namespace sluice::cloudwatch
