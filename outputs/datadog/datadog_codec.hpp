// The `datadog` codec: log entries as Fluent Bit's out_datadog builds them
// (the record with its time in milliseconds, the tag, ddsource, service,
// hostname and ddtags added, the message key renamed `message`, ECS
// attributes moved into ddtags with provider ecs) in one JSON array per
// request to the Logs intake's /api/v2/logs, cut under Datadog's 5 MB and
// 1,000 entries.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/config/component_config.hpp"
#include "agent/output.hpp"
#include "outputs/common/http_output_config.hpp"
#include "outputs/common/json_array_codec.hpp"

namespace sluice::datadog {

inline constexpr std::string_view kDefaultHost = "http-intake.logs.datadoghq.com";

struct Settings {
  http::HttpOutputSettings http;  // host, port, TLS, gzip; DD-API-KEY and the origin headers first
  std::string json_date_key = "timestamp";  // "": no time key
  std::string tag_key;                      // "": no tag (include_tag_key off)
  std::string dd_source;                    // each "": not added
  std::string dd_service;
  std::string dd_hostname;
  std::string dd_tags;
  std::string message_key = "log";  // this top-level key is sent as "message"
  bool remap_ecs = false;           // provider ecs
};

// Validates and reads the output's keys (cfg.fail naming the key at fault).
Settings read_settings(const config::ComponentConfig& cfg, const BuildContext& ctx);

// True for a host of one of Datadog's sites (*.datadoghq.com,
// *.datadoghq.eu, *.ddog-gov.com): TLS is on by default for those.
bool is_datadog_host(std::string_view host);

// Runs on the output's worker thread.
class Codec final : public http::JsonArrayCodec {
 public:
  explicit Codec(Settings s);

  // Milliseconds since the epoch, rounded to the nearest as Fluent Bit does.
  static int64_t timestamp_ms(int64_t time_ns);

 protected:
  bool append_item(const EventRef& e, std::string& out, std::string* why) override;
  http::PlannedRequest make_request() override;
  http::Answer read_refusal(http::PlannedRequest& sent, http::Response& response) override;
  std::string_view backend_name() const override { return "Datadog"; }

 private:
  // The record's ECS attributes as ddtags (provider ecs); true if any.
  bool remap(const Value& record);
  bool remapped(const Member& m) const;
  std::string_view name_of(const Member& m) const;
  // Whether the record (remapped attributes aside) writes a key named `name`.
  bool record_writes(const Value& record, std::string_view name) const;

  Settings s_;
  std::string tags_;  // scratch: the entry's ddtags
};

// Datadog's reason in an error answer: its {"errors":[...]} joined with
// "; "; "" when the body holds none.
std::string read_errors(const std::string& body);

}  // namespace sluice::datadog
