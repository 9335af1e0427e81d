// The `ibm_cloud_logs` codec: records as a JSON array of entries
// (applicationName, subsystemName, computerName, timestamp, severity, text)
// per request to /logs/v1/singles, under IBM's 2 MB by construction; 401
// brings a new IAM token, 429/5xx are retried, 400/403 refused.
#pragma once
#include "outputs/common/json_array_codec.hpp"
#include "outputs/ibm/ibm_settings.hpp"

namespace sluice::ibm {

// Runs on the output's worker thread.
class Codec final : public http::JsonArrayCodec {
 public:
  explicit Codec(Settings settings);

 protected:
  bool append_item(const EventRef& e, std::string& out, std::string* why) override;
  http::PlannedRequest make_request() override;
  http::Answer read_refusal(http::PlannedRequest& sent, http::Response& response) override;
  std::string_view backend_name() const override { return "IBM Cloud Logs"; }

 private:
  Settings s_;
  std::string scratch_;
};

}  // namespace sluice::ibm
