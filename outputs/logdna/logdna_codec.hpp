// The `logdna` codec: lines as Fluent Bit's out_logdna builds them (the
// record's level or severity, meta, file and app promoted to the line's
// fields, the record as JSON in `line`, the time in milliseconds) in one
// {"lines":[…]} body per request, under Mezmo's 10 MB; 401/403 refused (the
// key is static), 429/5xx retried; a 207 answer's per-line statuses sorted
// line by line.
#pragma once
#include "agent/config/component_config.hpp"
#include "agent/input.hpp"
#include "outputs/common/http_output_config.hpp"
#include "outputs/common/json_array_codec.hpp"

namespace sluice::logdna {

struct Settings {
  http::HttpOutputSettings http;  // endpoint, and the key as basic auth
  std::string target_prefix;      // path?hostname=…&mac=…&ip=…&tags=… (now= is added per request)
  std::string app;                // when the record has no app
  std::string file;               // when the record has no file
  bool exclude_promoted_keys = false;
};

// Validates and reads the output's keys (cfg.fail on a bad value).
Settings read_settings(const config::ComponentConfig& cfg, const BuildContext& ctx);

// Runs on the output's worker thread.
class Codec final : public http::JsonArrayCodec {
 public:
  explicit Codec(Settings s);

 protected:
  bool append_item(const EventRef& e, std::string& out, std::string* why) override;
  http::PlannedRequest make_request() override;
  std::string_view body_prefix() const override { return "{\"lines\":["; }
  std::string_view body_suffix() const override { return "]}"; }
  http::Answer read_success(http::PlannedRequest& sent, http::Response& response) override;
  http::Answer read_refusal(http::PlannedRequest& sent, http::Response& response) override;
  std::string_view backend_name() const override { return "Mezmo"; }

 private:
  Settings s_;
  std::string line_;
};

}  // namespace sluice::logdna
