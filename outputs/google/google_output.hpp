// The `google_cloud_logging` output (also named `stackdriver`, Fluent Bit's
// name): Google Cloud Logging's entries:write, a codec (google_codec) and
// the OAuth2 token signer (outputs/common/gcp) on the shared HTTP sink.
#pragma once
#include <memory>

#include "agent/output.hpp"

namespace sluice {

const config::PluginSchema& google_cloud_logging_schema();
const config::PluginSchema& stackdriver_schema();
std::unique_ptr<Output> make_google_cloud_logging_output(const config::ComponentConfig& cfg, const BuildContext& ctx);

}  // namespace sluice
