// The `oci_logging` codec: records as PutLogs entries (a UUID derived from
// the record, the record as the entry's data, its time) in one batch per
// request, under OCI's entry limit and a few MB per request by
// construction; answers sorted as OCI's SDKs retry them (409, 429 and 5xx
// retried; 401 signed again; 400 and 404 refused with OCI's code).
#pragma once
#include "outputs/common/json_array_codec.hpp"
#include "outputs/common/record_id.hpp"
#include "outputs/oci/oci_settings.hpp"

namespace sluice::oci {

// Runs on the output's worker thread.
class Codec final : public http::JsonArrayCodec {
 public:
  explicit Codec(Settings settings);

 protected:
  bool append_item(const EventRef& e, std::string& out, std::string* why) override;
  http::PlannedRequest make_request() override;
  std::string_view body_prefix() const override { return prefix_; }
  std::string_view body_suffix() const override { return "]}]}"; }
  http::Answer read_refusal(http::PlannedRequest& sent, http::Response& response) override;
  std::string_view backend_name() const override { return "OCI Logging"; }

 private:
  Settings s_;
  std::string prefix_;  // the batch's head up to "entries":[ (its default time set per request)
  std::string data_;    // scratch
  RecordIdHasher hasher_;
};

// A UUID (version 8: custom, RFC 9562) from 32 hex digits of a record id.
std::string uuid_from_hex(std::string_view hex32);
// The same into u[0..36).
void write_uuid(std::string_view hex32, char* u);

}  // namespace sluice::oci
