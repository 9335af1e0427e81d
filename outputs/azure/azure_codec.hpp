// The `azure_logs_ingestion` codec: records as a JSON array per call to the
// Logs Ingestion API (under 1 MB before compression, by construction; a 413
// halves the call), answers read as Azure Monitor gives them (204, 401 for
// a new token, 429/5xx retried with Retry-After, 400/403/404 refused with
// Azure's code and message).
#pragma once
#include "outputs/azure/azure_settings.hpp"
#include "outputs/common/json_array_codec.hpp"

namespace sluice::azure {

// Runs on the output's worker thread.
class Codec final : public http::JsonArrayCodec {
 public:
  explicit Codec(Settings settings);

 protected:
  bool append_item(const EventRef& e, std::string& out, std::string* why) override;
  http::PlannedRequest make_request() override;
  http::Answer read_refusal(http::PlannedRequest& sent, http::Response& response) override;
  std::string_view backend_name() const override { return "Azure Monitor"; }

 private:
  Settings s_;
};

}  // namespace sluice::azure
